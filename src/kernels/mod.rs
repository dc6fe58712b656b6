//! Layer 1, kernels: numerics that know nothing of graphs. The scalar trait [`Real`], the
//! matrix products (nalgebra's static kernels for small sizes, shapegrad's blocked GEMM for
//! large ones), the vectorised element-wise functions, reductions and row-wise softmax
//! pieces, per-thread scratch matrices, and the pinned random generator of seeded
//! initialisation, shuffles and synthetic data. The fast paths for `f64` and `f32` are chosen
//! in one place (`float`), and compiled for the CPU's vector extensions in one place (`simd`,
//! feature `simd`).

pub(crate) mod float;
pub(crate) mod gemm;
pub(crate) mod gemm_kernel;
pub(crate) mod linalg;
mod real;
pub(crate) mod rng;
pub(crate) mod rows;
pub(crate) mod scratch;
pub(crate) mod simd;
pub(crate) mod vmath;

pub use real::Real;
pub(crate) use rows::{
    columns, cross_entropy_sum, dot, exp_shifted_into, exp_shifted_sums, row_max, shifted,
    softmax_minus_one_hot, sum,
};
