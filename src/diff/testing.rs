//! Helpers for the ops' unit tests: random inputs and the standard checks.

use nalgebra::SMatrix;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::contract::Op;
use crate::diff::check::{GradcheckOptions, gradcheck};
use crate::graph::Graph;

pub(crate) fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// A matrix with entries uniform in [-1, 1).
pub(crate) fn random<const R: usize, const C: usize>(rng: &mut StdRng) -> SMatrix<f64, R, C> {
    SMatrix::from_fn(|_, _| rng.random_range(-1.0..1.0))
}

/// The gradcheck tolerances of the ops' tests: relative 1e-8 (or absolute 1e-12 plus the
/// rounding noise of the central difference), against gradcheck's defaults of 1.2e-5 and
/// 1.5e-8. Central differences with the default h ≈ 6e-6 reach about 1e-9 relative on smooth
/// random inputs: the worst entry of the ops' tests is at 1.4e-9 (`powi`, `powf`), a margin
/// of 7 (measured with rtol 1e-12 and the report's worst entry).
pub(crate) fn tight() -> GradcheckOptions<f64> {
    GradcheckOptions {
        rtol: 1e-8,
        atol: 1e-12,
        ..GradcheckOptions::default()
    }
}

/// Moves every entry with |x| < margin to ±margin, keeping kinks at 0 out of reach of h.
pub(crate) fn away_from_zero<const R: usize, const C: usize>(
    m: SMatrix<f64, R, C>,
    margin: f64,
) -> SMatrix<f64, R, C> {
    m.map(|x| {
        if x.abs() < margin {
            margin.copysign(x)
        } else {
            x
        }
    })
}

/// |a − b| ≤ tol·max(1, |b|) entry by entry, with a message naming the entry.
pub(crate) fn assert_close<const R: usize, const C: usize>(
    what: &str,
    a: &SMatrix<f64, R, C>,
    b: &SMatrix<f64, R, C>,
    tol: f64,
) {
    for (k, (x, y)) in a.iter().zip(b.iter()).enumerate() {
        assert!(
            (x - y).abs() <= tol * y.abs().max(1.0),
            "{what}: entry {k} is {x}, expected {y} (tolerance {tol})"
        );
    }
}

/// The checks every unary op passes:
/// 1. f64: gradcheck of `sum(op(x) ∘ G)` (G a random upstream gradient) on the graph;
/// 2. f64: the graph's value (`Op::forward_into`) equals `Op::forward` and its gradient
///    (`Op::backward_into`) equals `Op::backward` called directly,
///    in a second pass too (the buffers are overwritten, not added to), and twice it where x
///    feeds the op twice (the first-created use adds to the other's gradient);
/// 3. f32: forward value and gradient agree with f64 to f32 precision.
pub(crate) fn check_unary<
    O64,
    O32,
    const R: usize,
    const C: usize,
    const R2: usize,
    const C2: usize,
>(
    op64: O64,
    op32: O32,
    x: SMatrix<f64, R, C>,
) where
    O64: Op<f64, (SMatrix<f64, R, C>,), Output = SMatrix<f64, R2, C2>> + Clone,
    O32: Op<f32, (SMatrix<f32, R, C>,), Output = SMatrix<f32, R2, C2>>,
{
    check_unary_with(op64, op32, x, Some(&tight()), 1e-5);
}

/// [`check_unary`] with the gradcheck's options given (`None`: no finite differences, for a
/// point where every central difference straddles a jump of the function, such as the SO(3)
/// logarithm at θ = π; the caller then checks the gradient another way) and the tolerance of
/// the f32-against-f64 comparison.
pub(crate) fn check_unary_with<
    O64,
    O32,
    const R: usize,
    const C: usize,
    const R2: usize,
    const C2: usize,
>(
    op64: O64,
    op32: O32,
    x: SMatrix<f64, R, C>,
    gradcheck_options: Option<&GradcheckOptions<f64>>,
    f32_tolerance: f64,
) where
    O64: Op<f64, (SMatrix<f64, R, C>,), Output = SMatrix<f64, R2, C2>> + Clone,
    O32: Op<f32, (SMatrix<f32, R, C>,), Output = SMatrix<f32, R2, C2>>,
{
    let upstream = random::<R2, C2>(&mut rng(0xD0));

    let g = Graph::<f64>::new();
    let xv = g.var(x);
    let y = g.apply(op64.clone(), (xv,));
    if let Some(options) = gradcheck_options {
        let loss = y.component_mul(g.constant(upstream)).sum();
        let report = gradcheck(loss, options);
        assert!(report.passed(), "{report}");
    }

    let grads = y.backward_with(upstream);
    let (direct,) = op64.backward((&x,), &y.value(), &upstream);
    assert_close(
        "graph vs Op::forward",
        &y.value(),
        &op64.forward((&x,)),
        1e-12,
    );
    assert_close("graph vs Op::backward", grads.wrt(xv), &direct, 1e-12);
    drop(grads);
    assert_close(
        "second pass",
        y.backward_with(upstream).wrt(xv),
        &direct,
        1e-12,
    );

    // A fork: x feeds the op twice, so the first-created use adds to the second's gradient.
    let twice = g.apply(op64.clone(), (xv,)) + g.apply(op64.clone(), (xv,));
    let grads = twice.backward_with(upstream);
    assert_close("fork", grads.wrt(xv), &(direct * 2.0), 1e-12);
    drop(grads);

    let g32 = Graph::<f32>::new();
    let x32 = g32.var(x.cast::<f32>());
    let y32 = g32.apply(op32, (x32,));
    let grads32 = y32.backward_with(upstream.cast::<f32>());
    assert_close(
        "f32 forward",
        &y32.value().cast::<f64>(),
        &y.value(),
        f32_tolerance,
    );
    assert_close(
        "f32 backward",
        &grads32.wrt(x32).cast::<f64>(),
        &direct,
        f32_tolerance,
    );
}

/// [`check_unary`] for ops of two inputs, plus: with one input a constant, the other's gradient
/// is unchanged and the constant gets none.
pub(crate) fn check_binary<
    O64,
    O32,
    const R1: usize,
    const C1: usize,
    const R2: usize,
    const C2: usize,
    const RO: usize,
    const CO: usize,
>(
    op64: O64,
    op32: O32,
    a: SMatrix<f64, R1, C1>,
    b: SMatrix<f64, R2, C2>,
) where
    O64: Op<f64, (SMatrix<f64, R1, C1>, SMatrix<f64, R2, C2>), Output = SMatrix<f64, RO, CO>>
        + Clone,
    O32: Op<f32, (SMatrix<f32, R1, C1>, SMatrix<f32, R2, C2>), Output = SMatrix<f32, RO, CO>>,
{
    check_binary_with(op64, op32, a, b, Some(&tight()), 1e-5);
}

/// [`check_binary`] with the gradcheck's options given (`None`: no finite differences) and
/// the tolerance of the f32-against-f64 comparison: for ops whose derivatives grow with a
/// condition number (the linear-algebra ops on ill-conditioned matrices), where central
/// differences need a smaller step and f32 loses digits in proportion.
pub(crate) fn check_binary_with<
    O64,
    O32,
    const R1: usize,
    const C1: usize,
    const R2: usize,
    const C2: usize,
    const RO: usize,
    const CO: usize,
>(
    op64: O64,
    op32: O32,
    a: SMatrix<f64, R1, C1>,
    b: SMatrix<f64, R2, C2>,
    gradcheck_options: Option<&GradcheckOptions<f64>>,
    f32_tolerance: f64,
) where
    O64: Op<f64, (SMatrix<f64, R1, C1>, SMatrix<f64, R2, C2>), Output = SMatrix<f64, RO, CO>>
        + Clone,
    O32: Op<f32, (SMatrix<f32, R1, C1>, SMatrix<f32, R2, C2>), Output = SMatrix<f32, RO, CO>>,
{
    let upstream = random::<RO, CO>(&mut rng(0xD1));

    let g = Graph::<f64>::new();
    let (av, bv) = (g.var(a), g.var(b));
    let y = g.apply(op64.clone(), (av, bv));
    if let Some(options) = gradcheck_options {
        let loss = y.component_mul(g.constant(upstream)).sum();
        let report = gradcheck(loss, options);
        assert!(report.passed(), "{report}");
    }

    let grads = y.backward_with(upstream);
    let (d_a, d_b) = op64.backward((&a, &b), &y.value(), &upstream);
    assert_close(
        "graph vs Op::forward",
        &y.value(),
        &op64.forward((&a, &b)),
        1e-12,
    );
    assert_close("graph vs Op::backward (a)", grads.wrt(av), &d_a, 1e-12);
    assert_close("graph vs Op::backward (b)", grads.wrt(bv), &d_b, 1e-12);
    drop(grads);

    // A fork: each input feeds the op twice, so the first-created use adds to the second's.
    let twice = g.apply(op64.clone(), (av, bv)) + g.apply(op64.clone(), (av, bv));
    let grads = twice.backward_with(upstream);
    assert_close("fork (a)", grads.wrt(av), &(d_a * 2.0), 1e-12);
    assert_close("fork (b)", grads.wrt(bv), &(d_b * 2.0), 1e-12);
    drop(grads);

    // A constant input gets no gradient; the other input's is unchanged.
    let (a_only, b_const) = (g.var(a), g.constant(b));
    let grads = g
        .apply(op64.clone(), (a_only, b_const))
        .backward_with(upstream);
    assert_close("constant b (a)", grads.wrt(a_only), &d_a, 1e-12);
    assert!(grads.get(b_const).is_none());
    drop(grads);
    let (a_const, b_only) = (g.constant(a), g.var(b));
    let grads = g
        .apply(op64.clone(), (a_const, b_only))
        .backward_with(upstream);
    assert_close("constant a (b)", grads.wrt(b_only), &d_b, 1e-12);

    let g32 = Graph::<f32>::new();
    let (a32, b32) = (g32.var(a.cast::<f32>()), g32.var(b.cast::<f32>()));
    let y32 = g32.apply(op32, (a32, b32));
    let grads32 = y32.backward_with(upstream.cast::<f32>());
    assert_close(
        "f32 forward",
        &y32.value().cast::<f64>(),
        &y.value(),
        f32_tolerance,
    );
    assert_close(
        "f32 backward (a)",
        &grads32.wrt(a32).cast::<f64>(),
        &d_a,
        f32_tolerance,
    );
    assert_close(
        "f32 backward (b)",
        &grads32.wrt(b32).cast::<f64>(),
        &d_b,
        f32_tolerance,
    );
}

/// A random orthogonal N×N matrix: a product of N Householder reflections.
pub(crate) fn random_orthogonal<const N: usize>(rng: &mut StdRng) -> SMatrix<f64, N, N> {
    let identity = SMatrix::<f64, N, N>::identity();
    (0..N).fold(identity, |q, _| {
        let v = random::<N, 1>(rng);
        q * (identity - v * v.transpose() * (2.0 / v.norm_squared()))
    })
}

/// A random N×N matrix with the singular values `sigma` (U·diag(σ)·Vᵀ, U and V random
/// orthogonal): condition number max σ / min σ, determinant ±∏σ.
pub(crate) fn with_singular_values<const N: usize>(
    seed: u64,
    sigma: [f64; N],
) -> SMatrix<f64, N, N> {
    let mut rng = rng(seed);
    let u = random_orthogonal::<N>(&mut rng);
    let v = random_orthogonal::<N>(&mut rng);
    u * SMatrix::<f64, N, N>::from_diagonal(&sigma.into()) * v.transpose()
}
