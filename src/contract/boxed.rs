//! Large matrices made on the heap directly.
//!
//! An `SMatrix` lives where it is made: `Box::new(SMatrix::<f64, 500, 500>::zeros())` builds
//! its 2 MB on the stack and then copies them into the box, which overflows a thread's 2 MiB
//! stack (the default of spawned threads and test threads) in a debug build. These functions
//! write the entries into a heap allocation and hand it over as a box; together with
//! [`Graph::var_from`](crate::Graph::var_from), [`Graph::constant_from`](crate::Graph::constant_from)
//! and [`Var::value_boxed`](crate::Var::value_boxed) no large matrix needs to touch the stack.
//!
//! ```
//! use nalgebra::SMatrix;
//! use shapegrad::{Graph, boxed};
//!
//! let w: Box<SMatrix<f64, 500, 500>> = boxed::from_fn(|r, c| (r + c) as f64);
//! let g = Graph::<f64>::new();
//! let v = g.var_from(&w);
//! assert_eq!(v.value_boxed()[(499, 1)], 500.0);
//! ```

use nalgebra::SMatrix;

use crate::contract::layout;
use crate::kernels::Real;

/// A boxed R×C matrix of zeros.
///
/// ```
/// let z: Box<nalgebra::SMatrix<f32, 300, 200>> = shapegrad::boxed::zeros();
/// assert_eq!(z.amax(), 0.0);
/// ```
pub fn zeros<T: Real, const R: usize, const C: usize>() -> Box<SMatrix<T, R, C>> {
    from_element(T::zero())
}

/// A boxed R×C matrix with every entry `x`.
///
/// ```
/// let m: Box<nalgebra::SMatrix<f64, 2, 3>> = shapegrad::boxed::from_element(0.5);
/// assert_eq!(*m, nalgebra::SMatrix::<f64, 2, 3>::repeat(0.5));
/// ```
pub fn from_element<T: Real, const R: usize, const C: usize>(x: T) -> Box<SMatrix<T, R, C>> {
    layout::boxed(vec![x; R * C].into_boxed_slice())
}

/// A boxed R×C matrix whose entry `(r, c)` is `f(r, c)`, called column by column as
/// nalgebra's `from_fn` does.
///
/// ```
/// let m: Box<nalgebra::SMatrix<f64, 2, 2>> = shapegrad::boxed::from_fn(|r, c| (10 * r + c) as f64);
/// assert_eq!(*m, nalgebra::Matrix2::new(0.0, 1.0, 10.0, 11.0));
/// ```
pub fn from_fn<T: Real, const R: usize, const C: usize>(
    mut f: impl FnMut(usize, usize) -> T,
) -> Box<SMatrix<T, R, C>> {
    let entries: Vec<T> = (0..R * C).map(|k| f(k % R, k / R)).collect();
    layout::boxed(entries.into_boxed_slice())
}

/// A boxed R×C matrix of the column-major `entries` (as nalgebra's `from_column_slice`).
///
/// ```
/// let m: Box<nalgebra::SMatrix<f64, 2, 2>> = shapegrad::boxed::from_column_slice(&[1.0, 2.0, 3.0, 4.0]);
/// assert_eq!(*m, nalgebra::Matrix2::new(1.0, 3.0, 2.0, 4.0));
/// ```
///
/// # Panics
/// If `entries` does not hold exactly R·C entries (the message gives both).
#[track_caller]
pub fn from_column_slice<T: Real, const R: usize, const C: usize>(
    entries: &[T],
) -> Box<SMatrix<T, R, C>> {
    assert!(
        entries.len() == R * C,
        "shapegrad: boxed::from_column_slice of a {R}×{C} matrix needs {} entries, not {}",
        R * C,
        entries.len()
    );
    layout::boxed(entries.into())
}
