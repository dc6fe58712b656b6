use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;
use crate::kernels::vmath::{Func, apply_in_place};
use crate::kernels::{columns, sum};
use crate::ops::Activation;
use crate::ops::{Relu, Sigmoid, Tanh};

/// A dense layer's bias and activation in one op: `act(Z + b)`, the row `b` added to every
/// row of `Z` — the same as `z.add_row(b)` followed by `.tanh()` (or `.relu()`,
/// `.sigmoid()`), with one pass over the output and one over its gradient instead of two and
/// three.
///
/// ```text
/// Shape:    (R×C) + (1×C) → (R×C)
/// Gradient: dZ = dOut ∘ act′(y) (R×C), dB = row_sum(dZ) (1×C), where y is the cached output
///           and act′(y) is 1 − y² (tanh), y∘(1 − y) (sigmoid) or [y > 0] (relu)
/// ```
///
/// The shape rule is AddRow's typed equality: the row's `C` is the matrix's `C`. The
/// backward pass writes `dZ` straight into the gradient of `Z` and sums its columns into `dB`
/// in the same pass over `dOut`. The values and gradients are those of the two separate ops
/// (the tests check it), so the choice is only one of speed. Sugar: `z.add_row_then(b, Tanh)`.
///
/// ```
/// use nalgebra::{Matrix1x2, Matrix2};
/// use shapegrad::ops::Tanh;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let z = g.var(Matrix2::new(0.0, 1.0, -1.0, 0.5));
/// let b = g.var(Matrix1x2::new(0.0, -1.0));
/// let y: Var<'_, f64, 2, 2> = z.add_row_then(b, Tanh);
/// assert_eq!(y.value(), z.add_row(b).tanh().value());
/// let grads = y.sum().backward();
/// assert_eq!(grads.wrt(b)[1], 1.0 + 1.0 - 0.5_f64.tanh().powi(2)); // tanh'(0) + tanh'(−0.5)
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct AddRowThen<A>(pub A);

/// `out = z + b` (row broadcast), then `f` in place.
fn bias_then<T: Real, const R: usize, const C: usize>(
    z: &SMatrix<T, R, C>,
    b: &SMatrix<T, 1, C>,
    out: &mut SMatrix<T, R, C>,
    f: Func,
) {
    let out_columns = out.as_mut_slice().chunks_exact_mut(R.max(1));
    for ((out, z), &b) in out_columns.zip(columns(z)).zip(b.iter()) {
        out.iter_mut().zip(z).for_each(|(y, &z)| *y = z + b);
    }
    apply_in_place(f, out);
}

impl<T: Real> Activation<T> for Tanh {
    fn to_rust(self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Tanh"))
    }
    fn fused_name(self) -> &'static str {
        "add_row_tanh"
    }
    fn bias_forward<const R: usize, const C: usize>(
        self,
        z: &SMatrix<T, R, C>,
        b: &SMatrix<T, 1, C>,
        out: &mut SMatrix<T, R, C>,
    ) {
        bias_then(z, b, out, Func::Tanh);
    }
    #[inline(always)]
    fn derivative_at_output(self, y: T) -> T {
        T::one() - y * y
    }
}

impl<T: Real> Activation<T> for Sigmoid {
    fn to_rust(self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Sigmoid"))
    }
    fn fused_name(self) -> &'static str {
        "add_row_sigmoid"
    }
    fn bias_forward<const R: usize, const C: usize>(
        self,
        z: &SMatrix<T, R, C>,
        b: &SMatrix<T, 1, C>,
        out: &mut SMatrix<T, R, C>,
    ) {
        bias_then(z, b, out, Func::Sigmoid);
    }
    #[inline(always)]
    fn derivative_at_output(self, y: T) -> T {
        y * (T::one() - y)
    }
}

/// ReLU's subgradient at 0 is 0, as for [`Relu`]: `y > 0` exactly where `z + b > 0`.
impl<T: Real> Activation<T> for Relu {
    fn to_rust(self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Relu"))
    }
    fn fused_name(self) -> &'static str {
        "add_row_relu"
    }
    fn bias_forward<const R: usize, const C: usize>(
        self,
        z: &SMatrix<T, R, C>,
        b: &SMatrix<T, 1, C>,
        out: &mut SMatrix<T, R, C>,
    ) {
        let out_columns = out.as_mut_slice().chunks_exact_mut(R.max(1));
        for ((out, z), &b) in out_columns.zip(columns(z)).zip(b.iter()) {
            out.iter_mut()
                .zip(z)
                .for_each(|(y, &z)| *y = (z + b).max(T::zero()));
        }
    }
    #[inline(always)]
    fn derivative_at_output(self, y: T) -> T {
        if y > T::zero() { T::one() } else { T::zero() }
    }
}

impl<T: Real, A: Activation<T>, const R: usize, const C: usize>
    Op<T, (SMatrix<T, R, C>, SMatrix<T, 1, C>)> for AddRowThen<A>
{
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::call(
            "shapegrad::ops::AddRowThen",
            [self.0.to_rust()?],
        ))
    }

    fn name(&self) -> &'static str {
        self.0.fused_name()
    }

    fn forward(&self, (z, b): (&SMatrix<T, R, C>, &SMatrix<T, 1, C>)) -> SMatrix<T, R, C> {
        let mut out = SMatrix::zeros();
        self.0.bias_forward(z, b, &mut out);
        out
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, R, C>, &SMatrix<T, 1, C>),
        out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>, SMatrix<T, 1, C>) {
        let d_z = d_out.zip_map(out, |d, y| d * self.0.derivative_at_output(y));
        let d_b = d_z.row_sum();
        (d_z, d_b)
    }

    #[inline]
    fn forward_into(
        &self,
        (z, b): (&SMatrix<T, R, C>, &SMatrix<T, 1, C>),
        out: &mut SMatrix<T, R, C>,
    ) {
        self.0.bias_forward(z, b, out);
    }

    /// One pass over `dOut`: each column of `dZ` is written and then summed while it is in
    /// cache (or, when `Z` needs no gradient, only summed).
    #[inline]
    fn backward_into(
        &self,
        _inputs: (&SMatrix<T, R, C>, &SMatrix<T, 1, C>),
        out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_z, d_b): (Option<GradSlot<'_, T, R, C>>, Option<GradSlot<'_, T, 1, C>>),
    ) {
        let act = self.0;
        let local = |d: T, y: T| d * act.derivative_at_output(y);
        let mut d_b = d_b.map(GradSlot::into_parts);
        let mut total_into = |c: usize, total: T| {
            if let Some((d_b, add)) = d_b.as_mut() {
                d_b[c] = if *add { d_b[c] + total } else { total };
            }
        };
        match d_z.map(GradSlot::into_parts) {
            Some((d_z, add_z)) => {
                let d_z_columns = d_z.as_mut_slice().chunks_exact_mut(R.max(1));
                let pairs = columns(d_out).zip(columns(out));
                for (c, (d_z, (d, y))) in d_z_columns.zip(pairs).enumerate() {
                    if add_z {
                        // Adding to an earlier contribution: sum this contribution alone.
                        let mut total = T::zero();
                        for ((g, &d), &y) in d_z.iter_mut().zip(d).zip(y) {
                            let v = local(d, y);
                            *g += v;
                            total += v;
                        }
                        total_into(c, total);
                    } else {
                        d_z.iter_mut()
                            .zip(d.iter().zip(y))
                            .for_each(|(g, (&d, &y))| *g = local(d, y));
                        total_into(c, sum(d_z));
                    }
                }
            }
            None => {
                for (c, (d, y)) in columns(d_out).zip(columns(out)).enumerate() {
                    let total = d
                        .iter()
                        .zip(y)
                        .fold(T::zero(), |t, (&d, &y)| t + local(d, y));
                    total_into(c, total);
                }
            }
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `act(self + row)`, the 1×C `row` added to every row, in one op: see
    /// [`AddRowThen`](crate::ops::AddRowThen).
    ///
    /// ```
    /// use nalgebra::{Matrix1x2, Matrix3x2};
    /// use shapegrad::ops::Relu;
    /// let g = shapegrad::Graph::<f64>::new();
    /// let z = g.constant(Matrix3x2::new(1.0, 1.0, -2.0, 0.0, 0.5, -0.5));
    /// let bias = g.var(Matrix1x2::new(0.5, -0.5));
    /// let y = z.add_row_then(bias, Relu);
    /// assert_eq!(y.value(), Matrix3x2::new(1.5, 0.5, 0.0, 0.0, 1.0, 0.0));
    /// ```
    #[track_caller]
    pub fn add_row_then<A: Activation<T>>(self, row: Var<'g, T, 1, C>, act: A) -> Var<'g, T, R, C> {
        self.graph().apply(AddRowThen(act), (self, row))
    }
}

#[cfg(test)]
mod tests;
