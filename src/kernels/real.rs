//! The scalar trait every layer works with.

/// A scalar shapegrad differentiates over: `f32`, `f64`, or any other nalgebra
/// [`RealField`](nalgebra::RealField) that is `Copy`, such as the dual numbers of
/// [`num_dual`] that [`second_order`] runs graphs on (feature `second-order`).
///
/// It is implemented for every such type; you never implement it yourself.
///
/// ```
/// fn takes_real<T: shapegrad::Real>(x: T) -> T { x * x }
/// assert_eq!(takes_real(3.0_f32), 9.0);
/// assert_eq!(takes_real(3.0_f64), 9.0);
/// # #[cfg(feature = "second-order")] {
/// use shapegrad::num_dual::{Dual64, DualSVec64, HyperDual64};
/// assert_eq!(takes_real(Dual64::new(3.0, 1.0)).eps, 6.0); // d(x²)/dx at 3
/// let _ = (takes_real(DualSVec64::<4>::from_re(1.0)), takes_real(HyperDual64::from_re(1.0)));
/// # }
/// ```
#[cfg_attr(
    feature = "second-order",
    doc = "",
    doc = "[`num_dual`]: crate::num_dual",
    doc = "[`second_order`]: crate::second_order"
)]
#[cfg_attr(
    not(feature = "second-order"),
    doc = "",
    doc = "[`num_dual`]: crate#features",
    doc = "[`second_order`]: crate#features"
)]
pub trait Real: nalgebra::RealField + Copy {}

impl<T: nalgebra::RealField + Copy> Real for T {}
