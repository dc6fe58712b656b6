//! The activations that fuse with a bias.

use nalgebra::SMatrix;

use crate::contract::RustExpr;
use crate::kernels::Real;

/// An activation that [`AddRowThen`](crate::ops::AddRowThen) fuses with a bias:
/// [`Tanh`](crate::ops::Tanh), [`Relu`](crate::ops::Relu) or
/// [`Sigmoid`](crate::ops::Sigmoid), whose derivatives are functions of their outputs.
///
/// ```
/// use shapegrad::Activation;
/// use shapegrad::ops::{Sigmoid, Tanh};
/// assert_eq!(Activation::<f64>::derivative_at_output(Tanh, 0.5), 0.75); // 1 − y²
/// assert_eq!(Activation::<f64>::derivative_at_output(Sigmoid, 0.5), 0.25); // y(1 − y)
/// ```
pub trait Activation<T: Real>: Copy + Send + 'static {
    /// The op's name in messages and drawings, such as `"add_row_tanh"`.
    fn fused_name(self) -> &'static str;
    /// `out = act(z + b)`, the row `b` added to every row.
    fn bias_forward<const R: usize, const C: usize>(
        self,
        z: &SMatrix<T, R, C>,
        b: &SMatrix<T, 1, C>,
        out: &mut SMatrix<T, R, C>,
    );
    /// The derivative at an entry whose output is `y`.
    fn derivative_at_output(self, y: T) -> T;
    /// The activation's constructor for generated code, as
    /// [`Op::to_rust`](crate::Op::to_rust): `None` (the default) if it cannot be generated.
    fn to_rust(self) -> Option<RustExpr> {
        None
    }
}
