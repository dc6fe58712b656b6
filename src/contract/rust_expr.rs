//! `RustExpr`: how an op writes its own constructor into generated code ([`Op::to_rust`]).
//!
//! [`Op::to_rust`]: crate::Op::to_rust

use crate::kernels::Real;

/// A Rust expression that constructs an op in the code generated from a graph
/// (`shapegrad::codegen`): the value of [`Op::to_rust`](crate::Op::to_rust).
///
/// It is a small tree of paths, calls, exact scalars, integers and arrays of indices, so that
/// the generator can lay it out as rustfmt would and move long arrays into constants of the
/// generated module. Scalars are written as `f64` literals that round-trip and converted to
/// the generated code's scalar type `T` exactly (for `f32` and `f64`).
///
/// ```
/// use shapegrad::RustExpr;
///
/// // A unit op of shapegrad's (the same as RustExpr::path("shapegrad::ops::MatMul")):
/// assert_eq!(RustExpr::builtin("MatMul").to_string(), "shapegrad::ops::MatMul");
/// // An op of your crate that holds a scalar:
/// let swish = RustExpr::call("crate::ops::Swish", [RustExpr::scalar(0.5_f32).unwrap()]);
/// assert_eq!(swish.to_string(), "crate::ops::Swish(scalar(0.5))");
/// ```
///
/// In generated code, `scalar` is `shapegrad::codegen::scalar::<T>` and an array of indices is
/// a `[usize; N]` constant of the module; `Display` shows that text on one line.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum RustExpr {
    /// A path or a short expression, written as is: `shapegrad::ops::MatMul`,
    /// `crate::Swish`, `shapegrad::ops::FixedView::<2, 2, 1, 0>`.
    Path(String),
    /// A call, `callee(arguments…)`: a tuple struct's constructor or a function.
    Call(String, Vec<RustExpr>),
    /// A scalar of the generated code's type `T`, given by the `f64` it converts from.
    Scalar(f64),
    /// An integer literal (its type comes from where it is used: `i32`, `usize`, …).
    Int(i64),
    /// An array of `usize` (class labels), written as a constant of the generated module.
    Usizes(Vec<usize>),
}

impl RustExpr {
    /// A path or a short expression, written as is.
    ///
    /// ```
    /// let view = shapegrad::RustExpr::path(format!("shapegrad::ops::Row::<{}>", 2));
    /// assert_eq!(view.to_string(), "shapegrad::ops::Row::<2>");
    /// ```
    pub fn path(path: impl Into<String>) -> Self {
        RustExpr::Path(path.into())
    }

    /// One of shapegrad's ops by its name in [`ops`](crate::ops): `shapegrad::ops::<name>`.
    ///
    /// ```
    /// assert_eq!(shapegrad::RustExpr::builtin("Tanh").to_string(), "shapegrad::ops::Tanh");
    /// ```
    pub fn builtin(name: &str) -> Self {
        RustExpr::Path(format!("shapegrad::ops::{name}"))
    }

    /// A call of `callee` with `arguments`.
    ///
    /// ```
    /// use shapegrad::RustExpr;
    /// let powi = RustExpr::call("shapegrad::ops::Powi", [RustExpr::int(3)]);
    /// assert_eq!(powi.to_string(), "shapegrad::ops::Powi(3)");
    /// ```
    pub fn call(callee: impl Into<String>, arguments: impl IntoIterator<Item = RustExpr>) -> Self {
        RustExpr::Call(callee.into(), arguments.into_iter().collect())
    }

    /// The scalar `x` by its `f64` value: exact for `f32` and `f64` (record a graph meant
    /// for code generation in one of them; a dual number gives its real part). `None` if `x`
    /// has no `f64` value.
    ///
    /// ```
    /// use shapegrad::RustExpr;
    /// assert_eq!(RustExpr::scalar(0.1_f32), Some(RustExpr::Scalar(0.1_f32 as f64)));
    /// assert_eq!(RustExpr::scalar(-2.5).unwrap().to_string(), "scalar(-2.5)");
    /// ```
    pub fn scalar<T: Real>(x: T) -> Option<Self> {
        x.to_subset().map(RustExpr::Scalar)
    }

    /// An integer literal.
    ///
    /// ```
    /// assert_eq!(shapegrad::RustExpr::int(-2).to_string(), "-2");
    /// ```
    pub fn int(i: i64) -> Self {
        RustExpr::Int(i)
    }

    /// An index (a row, a column) as an integer literal.
    ///
    /// ```
    /// assert_eq!(shapegrad::RustExpr::index(7).to_string(), "7");
    /// ```
    pub fn index(i: usize) -> Self {
        RustExpr::Int(i64::try_from(i).expect("an index fits in i64"))
    }

    /// An array of `usize`, such as class labels.
    ///
    /// ```
    /// assert_eq!(shapegrad::RustExpr::usizes(&[0, 2]).to_string(), "[0, 2]");
    /// ```
    pub fn usizes(values: &[usize]) -> Self {
        RustExpr::Usizes(values.to_vec())
    }
}

impl From<&str> for RustExpr {
    /// A path, as [`RustExpr::path`].
    fn from(path: &str) -> Self {
        RustExpr::path(path)
    }
}

impl std::fmt::Display for RustExpr {
    /// The expression on one line, with scalars as `scalar(<f64 literal>)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RustExpr::Path(path) => f.write_str(path),
            RustExpr::Call(callee, arguments) => {
                write!(f, "{callee}(")?;
                for (k, argument) in arguments.iter().enumerate() {
                    if k > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{argument}")?;
                }
                f.write_str(")")
            }
            RustExpr::Scalar(x) => write!(f, "scalar({})", f64_literal(*x)),
            RustExpr::Int(i) => write!(f, "{i}"),
            RustExpr::Usizes(values) => {
                f.write_str("[")?;
                for (k, value) in values.iter().enumerate() {
                    if k > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{value}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// `x` as a Rust expression of type `f64` that evaluates to exactly `x`: the shortest decimal
/// that round-trips (`0.1`, `-2.5`, `1e-300`, `1.0`), or `f64::NAN`, `f64::INFINITY`,
/// `f64::NEG_INFINITY`.
///
/// ```
/// # use shapegrad::RustExpr;
/// assert_eq!(RustExpr::Scalar(f64::NEG_INFINITY).to_string(), "scalar(f64::NEG_INFINITY)");
/// assert_eq!(RustExpr::Scalar(-0.0).to_string(), "scalar(-0.0)");
/// ```
pub(crate) fn f64_literal(x: f64) -> String {
    if x.is_nan() {
        "f64::NAN".into()
    } else if x == f64::INFINITY {
        "f64::INFINITY".into()
    } else if x == f64::NEG_INFINITY {
        "f64::NEG_INFINITY".into()
    } else {
        // `{:?}` is the shortest representation that parses back to the same f64, and always
        // a float literal (`1.0`, not `1`; `1e-7` has its exponent).
        format!("{x:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::{RustExpr, f64_literal};

    #[test]
    fn literals_round_trip_and_are_float_literals() {
        let values = [
            0.1,
            -0.0,
            1.0,
            1e-300,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            std::f64::consts::PI,
            0.1_f32 as f64,
            123456789.0,
            1e21,
        ];
        for x in values {
            let text = f64_literal(x);
            let back: f64 = text.parse().unwrap();
            assert_eq!(back.to_bits(), x.to_bits(), "{text}");
            assert!(text.contains('.') || text.contains('e'), "{text}");
        }
    }

    #[test]
    fn scalars_are_exact_for_f32_and_f64() {
        assert_eq!(
            RustExpr::scalar(0.1_f32),
            Some(RustExpr::Scalar(0.1_f32 as f64))
        );
        assert_eq!(RustExpr::scalar(0.1_f64), Some(RustExpr::Scalar(0.1)));
        assert!(matches!(RustExpr::scalar(f64::NAN), Some(RustExpr::Scalar(x)) if x.is_nan()));
    }
}
