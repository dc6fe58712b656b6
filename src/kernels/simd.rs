//! The run-time CPU dispatch of the vectorised kernels, in one place: the one list of targets
//! (feature `simd`, through the crate `multiversion`), and the plain baseline build without
//! the feature.
//!
//! [`dispatched!`] wraps a function. With `simd`, `multiversion` compiles it once for each
//! target below and once for the baseline target, and calls the best version the CPU has
//! (detected once, at the first call), without `unsafe` in this crate. Without `simd`, the
//! function is left as written: the same loops, compiled for the target the crate is built
//! for (the x86-64 baseline, SSE2, unless `-C target-cpu` says more).
//!
//! The targets (x86-64 only; other architectures run the baseline build):
//!
//! * AVX-512 with AVX2, AVX, FMA and SSE4.1. `multiversion` 0.9 widens any AVX-512 target to
//!   the Ice Lake set (F, BW, CD, DQ, VL, IFMA, VBMI, VBMI2, VNNI, BITALG, VPOPCNTDQ, GFNI,
//!   VAES, VPCLMULQDQ), so older AVX-512 CPUs (Skylake-X) run the AVX2 version;
//! * AVX2 with AVX, FMA and SSE4.1;
//! * SSE4.1.
//!
//! A target with FMA changes results only where code asks for a fused multiply-add
//! ([`target_has!`]`("fma")`, which the GEMM does): Rust never contracts `a·b + c` into one by
//! itself, so code that does not ask (the element-wise functions of `vmath`) gives the same
//! bits on every target (`vmath`'s tests compare the versions).

/// Puts the CPU dispatch of this module on a function (see the module docs): with feature
/// `simd`, the function compiled for each target and chosen at run time; without it, the
/// function as written.
macro_rules! dispatched {
    ($function:item) => {
        #[cfg_attr(
            feature = "simd",
            multiversion::multiversion(targets(
                "x86_64+avx512f+avx512dq+avx512vl+avx2+avx+fma+sse4.1",
                "x86_64+avx2+avx+fma+sse4.1",
                "x86_64+sse4.1"
            ))
        )]
        $function
    };
}
pub(crate) use dispatched;

/// Inside a [`dispatched!`] function: whether the version that runs has the target feature
/// (`target_has!("fma")`), known when that version is compiled. Without feature `simd`,
/// `cfg!(target_feature = …)` of the one build.
#[cfg(feature = "simd")]
macro_rules! target_has {
    ($feature:literal) => {
        multiversion::target::target_cfg_f!(target_feature = $feature)
    };
}
/// Inside a [`dispatched!`] function: whether the version that runs has the target feature
/// (`target_has!("fma")`), known when that version is compiled. Without feature `simd`,
/// `cfg!(target_feature = …)` of the one build.
#[cfg(not(feature = "simd"))]
macro_rules! target_has {
    ($feature:literal) => {
        cfg!(target_feature = $feature)
    };
}
pub(crate) use target_has;
