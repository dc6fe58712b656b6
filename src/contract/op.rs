//! The typed op contract.

#[cfg(doc)]
use crate::contract::GradSlot;
use crate::contract::{Inputs, RustExpr, Value};
use crate::kernels::Real;

/// One differentiable operation: a typed `forward` and, directly under it, a typed `backward`.
///
/// `I` is the tuple of input matrices, so the arity and every input shape are part of the type
/// (see [`Inputs`]); [`Op::Output`] is the output matrix. The contract the compiler enforces:
///
/// * `forward` receives references to the inputs and returns the output;
/// * `backward` receives `d_out`, the gradient of the loss with respect to the output —
///   typed exactly as the output — and returns the gradients of the inputs, typed exactly as the
///   inputs (the return type *is* `I`). It multiplies its local gradient by `d_out` (the chain
///   rule); adding gradients where a value is used twice, and the order of the calls, are the
///   graph's job.
///
/// A backward that returns a gradient of the wrong shape, such as the classic `d_a = d_out · b`
/// with the transpose forgotten, does not compile.
///
/// An op is `Send + 'static`: a graph owns its ops and can move to another thread. An op may
/// hold data (a scale factor, labels); it is boxed once when it joins the graph (unit-struct ops
/// are not allocated at all).
///
/// # A user-defined op
///
/// Swish, `y = x ∘ σ(x)`, element-wise, with `dy/dx = σ(x) + y ∘ (1 − σ(x))`:
///
/// ```
/// use nalgebra::SMatrix;
/// use shapegrad::{Graph, Op, Real};
///
/// /// Swish, element-wise. Shape: (R×C) → (R×C). Gradient: dX = dOut ∘ (σ(x) + y ∘ (1 − σ(x))).
/// struct Swish;
///
/// fn sigmoid<T: Real>(x: T) -> T {
///     T::one() / (T::one() + (-x).exp())
/// }
///
/// impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Swish {
///     type Output = SMatrix<T, R, C>;
///
///     fn forward(&self, (x,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
///         x.map(|v| v * sigmoid(v))
///     }
///
///     fn backward(
///         &self,
///         (x,): (&SMatrix<T, R, C>,),
///         y: &SMatrix<T, R, C>,
///         d_out: &SMatrix<T, R, C>,
///     ) -> (SMatrix<T, R, C>,) {
///         let local = x.zip_map(y, |x, y| {
///             let s = sigmoid(x);
///             s + y * (T::one() - s)
///         });
///         (d_out.component_mul(&local),)
///     }
/// }
///
/// let g = Graph::<f64>::new();
/// let x = g.var(SMatrix::<f64, 2, 2>::new(-1.0, 0.5, 2.0, 0.0));
/// let y = g.apply(Swish, (x,)); // y: Var<'_, f64, 2, 2>
/// let loss = y.sum();
/// let grads = loss.backward();
/// assert!((grads.wrt(x)[(1, 1)] - 0.5).abs() < 1e-12); // swish'(0) = 1/2
/// drop(grads);
///
/// // The analytic gradient agrees with central differences.
/// let report = shapegrad::check::gradcheck(loss, &Default::default());
/// assert!(report.passed(), "{report}");
/// ```
///
/// # Products in a backward
///
/// The gradients of a product are products with one factor transposed. Write them with
/// [`product`](crate::product)'s [`mul`](crate::product::mul),
/// [`tr_mul`](crate::product::tr_mul) (Aᵀ·B) and [`mul_tr`](crate::product::mul_tr) (A·Bᵀ),
/// whose signatures state the shape rule: the notes' mistake `d_w = d_out·x` (transpose
/// forgotten) is then one error at the argument, "expected `C`, found `K`"
/// (`ui-tests/op_backward_transpose_forgotten.rs`), where nalgebra's `d_out * x` first
/// prints some twenty lines about `ShapeConstraint: DimEq<Const<C>, Const<K>>`. Large
/// products take the graph's blocked GEMM.
///
/// ```
/// use nalgebra::SMatrix;
/// use shapegrad::product::{mul, mul_tr, tr_mul};
/// use shapegrad::{Graph, Op, Real};
///
/// /// `y = w·x`. Shape: (R×K)·(K×C) → R×C. Gradient: dW = dOut·xᵀ, dX = wᵀ·dOut.
/// struct Linear;
///
/// type Inputs<T, const R: usize, const K: usize, const C: usize> =
///     (SMatrix<T, R, K>, SMatrix<T, K, C>);
///
/// impl<T: Real, const R: usize, const K: usize, const C: usize> Op<T, Inputs<T, R, K, C>>
///     for Linear
/// {
///     type Output = SMatrix<T, R, C>;
///
///     fn forward(&self, (w, x): (&SMatrix<T, R, K>, &SMatrix<T, K, C>)) -> SMatrix<T, R, C> {
///         mul(w, x)
///     }
///
///     fn backward(
///         &self,
///         (w, x): (&SMatrix<T, R, K>, &SMatrix<T, K, C>),
///         _y: &SMatrix<T, R, C>,
///         d_out: &SMatrix<T, R, C>,
///     ) -> Inputs<T, R, K, C> {
///         (mul_tr(d_out, x), tr_mul(w, d_out)) // dOut·xᵀ (R×K), wᵀ·dOut (K×C)
///         // (mul(d_out, x), …) does not compile: (R×C)·(K×C), expected `C`, found `K`
///     }
/// }
///
/// let g = Graph::<f64>::new();
/// let w = g.var(SMatrix::<f64, 2, 3>::from_fn(|r, c| (r + 2 * c) as f64 / 4.0));
/// let x = g.var(SMatrix::<f64, 3, 4>::from_fn(|r, c| (r as f64 - c as f64) / 3.0));
/// let loss = g.apply(Linear, (w, x)).square().sum();
/// let report = shapegrad::check::gradcheck(loss, &Default::default());
/// assert!(report.passed(), "{report}");
/// ```
///
/// # Fast paths
///
/// [`Op::forward_into`] and [`Op::backward_into`] have default implementations in terms of
/// `forward` and `backward`, so an op needs neither. Override them to write the output in
/// place and the input gradients straight into the graph's buffers, without temporaries,
/// or to skip the gradient of an input that needs none (its slot is `None`). The defaults
/// move the output and the gradients by value, through the stack: an op on large matrices
/// (a 500×500 `f64` is 2 MB, a spawned thread's whole stack) must override both to run on
/// a small stack. The graph itself keeps large values on the heap, also where one node
/// feeds two inputs of an op (`x ∘ x`). Overrides must compute the same values as
/// `forward` and `backward`; the built-in ops' tests check that theirs do.
///
/// Each input's gradient slot is a [`GradSlot`]: the graph does not zero its buffers before a
/// backward pass, so the first contribution to a buffer overwrites it and later ones (where
/// the input is used again) add to it. `GradSlot`'s methods do the right one:
///
/// ```
/// use nalgebra::SMatrix;
/// use shapegrad::{GradSlot, Graph, Op, Real};
///
/// /// `y = x³` element-wise. Gradient: dX = dOut ∘ 3x².
/// struct Cube;
///
/// impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Cube {
///     type Output = SMatrix<T, R, C>;
///
///     fn forward(&self, (x,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
///         x.map(|v| v * v * v)
///     }
///
///     fn backward(
///         &self,
///         (x,): (&SMatrix<T, R, C>,),
///         _y: &SMatrix<T, R, C>,
///         d_out: &SMatrix<T, R, C>,
///     ) -> (SMatrix<T, R, C>,) {
///         let three: T = nalgebra::convert(3.0);
///         (d_out.zip_map(x, |d, v| d * three * v * v),)
///     }
///
///     fn forward_into(&self, (x,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, C>) {
///         out.zip_apply(x, |y, v| *y = v * v * v);
///     }
///
///     fn backward_into(
///         &self,
///         (x,): (&SMatrix<T, R, C>,),
///         _y: &SMatrix<T, R, C>,
///         d_out: &SMatrix<T, R, C>,
///         (d_x,): (Option<GradSlot<'_, T, R, C>>,),
///     ) {
///         if let Some(d_x) = d_x {
///             let three: T = nalgebra::convert(3.0);
///             d_x.add_zip_map(d_out, x, |d, v| d * three * v * v);
///         }
///     }
/// }
///
/// let g = Graph::<f64>::new();
/// let x = g.var(SMatrix::<f64, 1, 2>::new(1.0, -2.0));
/// let y = g.apply(Cube, (x,)) + g.apply(Cube, (x,)); // x feeds Cube twice: the uses add
/// assert_eq!(*y.sum().backward().wrt(x), SMatrix::<f64, 1, 2>::new(6.0, 24.0));
/// ```
pub trait Op<T: Real, I: Inputs<T>>: Send + 'static {
    /// The output matrix, e.g. `SMatrix<T, R, C>`.
    type Output: Value<T>;

    /// A short name for the op, used in messages and graph drawings.
    ///
    /// Defaults to the type's name without its path and generic arguments.
    fn name(&self) -> &'static str {
        short_type_name(std::any::type_name::<Self>())
    }

    /// Computes the output from the inputs.
    fn forward(&self, inputs: I::Refs<'_>) -> Self::Output;

    /// Given the inputs, the cached output and `d_out` (∂loss/∂output), returns ∂loss/∂input
    /// for each input, each of its input's shape.
    fn backward(&self, inputs: I::Refs<'_>, output: &Self::Output, d_out: &Self::Output) -> I;

    /// Writes the output into `out` (which holds the previous output). Defaults to
    /// `*out = self.forward(inputs)`.
    fn forward_into(&self, inputs: I::Refs<'_>, out: &mut Self::Output) {
        *out = self.forward(inputs);
    }

    /// Writes each input's gradient into its [`GradSlot`] in `d_inputs` (`None`: not needed),
    /// with the slot's methods, which overwrite the first contribution of a pass and add later
    /// ones. A slot left untouched counts as a zero gradient (as in `detach`'s op, or a user op
    /// that skips an input): each slot records whether it was written, and the tape zeroes a
    /// pass's first-use slot that was not, so an op that always writes pays nothing for the
    /// option. Defaults to calling [`Op::backward`] and adding its result
    /// ([`Inputs::accumulate`]).
    fn backward_into(
        &self,
        inputs: I::Refs<'_>,
        output: &Self::Output,
        d_out: &Self::Output,
        d_inputs: I::GradsMut<'_>,
    ) {
        I::accumulate(self.backward(inputs, output, d_out), d_inputs);
    }

    /// This op's constructor as Rust, for the code [`codegen`](crate::codegen) writes from a graph: an
    /// expression that builds the op (`shapegrad::ops::MatMul`, `shapegrad::ops::Scale(s)`,
    /// `crate::Swish`), made of paths, calls and exact scalars ([`RustExpr`]). The generated
    /// code calls this op's own `forward_into` and `backward_into` on it, so an op needs
    /// nothing else to be generated.
    ///
    /// The default, `None`, says the op cannot be generated: [`Module::to_rust`](crate::codegen::Module::to_rust) then fails
    /// with an error that names the op and the line where it was recorded. Adding it is one
    /// line in the op's `impl Op`:
    ///
    /// ```
    /// # use nalgebra::SMatrix;
    /// # use shapegrad::{Op, Real, RustExpr};
    /// /// `y = s·x` for a constant `s`. Gradient: dX = s·dOut.
    /// pub struct Times<T>(pub T);
    ///
    /// impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Times<T> {
    ///     type Output = SMatrix<T, R, C>;
    ///     fn forward(&self, (x,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
    ///         x * self.0
    ///     }
    ///     fn backward(
    ///         &self,
    ///         _x: (&SMatrix<T, R, C>,),
    ///         _y: &SMatrix<T, R, C>,
    ///         d_out: &SMatrix<T, R, C>,
    ///     ) -> (SMatrix<T, R, C>,) {
    ///         (d_out * self.0,)
    ///     }
    ///     // The path is where the generated module finds the op: here, `crate::Times`.
    ///     fn to_rust(&self) -> Option<RustExpr> {
    ///         Some(RustExpr::call("crate::Times", [RustExpr::scalar(self.0)?]))
    ///     }
    /// }
    ///
    /// let op = Times(0.5_f64);
    /// let text = Op::<f64, (SMatrix<f64, 1, 1>,)>::to_rust(&op).unwrap().to_string();
    /// assert_eq!(text, "crate::Times(scalar(0.5))");
    /// ```
    ///
    /// A unit op is `Some(RustExpr::path("crate::Swish"))` (shapegrad's own are
    /// `RustExpr::builtin("Tanh")`); const parameters go into the path
    /// (`format!("shapegrad::ops::FixedView::<{R2}, {C2}, {I}, {J}>")`); scalars are exact
    /// (`RustExpr::scalar`), integers and indices are `RustExpr::int` and `RustExpr::index`,
    /// arrays of indices (labels) `RustExpr::usizes`.
    fn to_rust(&self) -> Option<RustExpr> {
        None
    }
}

/// `a::b::Swish<f64, 2>` → `Swish`.
fn short_type_name(full: &'static str) -> &'static str {
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use super::short_type_name;

    #[test]
    fn short_names_drop_path_and_generics() {
        assert_eq!(short_type_name("a::b::Swish<f64, 2>"), "Swish");
        assert_eq!(short_type_name("Plain"), "Plain");
    }
}
