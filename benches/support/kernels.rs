//! The crate's kernel files that the GEMM benchmark compiles in, at the paths they have inside
//! the crate (`crate::kernels::…`), so they build here as they do there.

#[path = "../../src/kernels/budget.rs"]
pub(crate) mod budget;
#[path = "../../src/kernels/float.rs"]
pub(crate) mod float;
#[path = "../../src/kernels/gemm_kernel.rs"]
pub(crate) mod gemm_kernel;
#[path = "../../src/kernels/simd.rs"]
pub(crate) mod simd;

pub(crate) use shapegrad::Real;
