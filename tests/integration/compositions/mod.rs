//! Property test: random compositions of the ops, each checked with gradcheck in f64 and
//! rebuilt in f32 to agree with f64.
//!
//! A composition is a random sequence of up to 8 steps applied to an R×C working value (unary
//! ops, rectangular products through a K-wide intermediate, broadcasts, stacking and views,
//! reshapes, binary ops against a fresh var, a constant or an earlier intermediate — a fork),
//! followed by a random reduction to a 1×1 loss. It runs at several shapes (R, C, K): 3×4
//! through 2, 1×5 through 3, 4×1 through 3 and 2×2 through 5. Inputs are random; a
//! composition that lands near a kink (ReLU/abs at 0, a max or min tie, a clamp bound) or
//! grows past 100 is rejected and another is drawn: each shape prints its rejection rate (about
//! 7.5%), which must
//! stay below [`MAX_REJECTION_RATE`]. Ops with a restricted domain (ln, sqrt, reciprocal, powf,
//! division, negative powers, atan2's second input) are applied to `x² + ½`.
//!
//! The f64 build passes gradcheck (see [`GRADCHECK`] for its tolerance); the same composition
//! built over f32 (same inputs, rounded) gives the loss and every gradient within
//! [`F32_TOLERANCE`]·max(1, |f64 value|). Each shape prints its worst f64 relative error and
//! f32 discrepancy with its rejection rate (`cargo test --test integration compositions:: -- --nocapture`).
//!
//! `cargo test` runs 300 compositions per shape; set `SHAPEGRAD_PROPTEST_CASES` to run more.

mod builder;
use crate::common;
mod steps;

use builder::Builder;
use common::proptest_cases;
use steps::{reduction, step};

use std::cell::Cell;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use shapegrad::Graph;
use shapegrad::check::{GradcheckOptions, gradcheck};

/// The largest share of drawn compositions that may be rejected (about 7.5% are).
const MAX_REJECTION_RATE: f64 = 0.2;
/// f32 against f64: |v32 − v64| ≤ F32_TOLERANCE·max(1, |v64|) for the loss and each gradient
/// (f32's 1.2e-7 amplified by the composition: the worst over 40 000 compositions in one run
/// was 5.3e-5, in another of 8 000 1.7e-4).
const F32_TOLERANCE: f64 = 1e-3;
/// The f64 gradcheck. A single op reaches 1e-9 relative (the ops' tests check 1e-8), but the
/// third derivatives of a composition add up: over 40 000 compositions the worst entry was at
/// 1.1e-5, most below 1e-6. Hence rtol 1e-4 (gradcheck's default is 1.2e-5, which that tail
/// reaches).
const GRADCHECK: GradcheckOptions<f64> = GradcheckOptions {
    h: 6.0554544523933395e-6, // ε^(1/3), gradcheck's default
    rtol: 1e-4,
    atol: 1.4901161193847656e-8, // ε^(1/2), gradcheck's default
};

/// The worst `|v32 − v64| / max(1, |v64|)` over the loss and every gradient entry.
fn f32_discrepancy(loss32: f64, loss64: f64, grads32: &[Vec<f64>], grads64: &[Vec<f64>]) -> f64 {
    let all32 = std::iter::once(loss32).chain(grads32.iter().flatten().copied());
    let all64 = std::iter::once(loss64).chain(grads64.iter().flatten().copied());
    all32
        .zip(all64)
        .map(|(a, b)| (a - b).abs() / b.abs().max(1.0))
        .fold(0.0, f64::max)
}

/// Runs the property test at one shape and reports its rejection rate.
fn compositions_pass<
    const R: usize,
    const C: usize,
    const K: usize,
    const R2: usize,
    const C2: usize,
    const N: usize,
>() {
    let cases = proptest_cases(300);
    let config = Config {
        cases,
        max_global_rejects: cases * 4,
        source_file: Some(file!()),
        ..Config::default()
    };
    let (accepted, rejected) = (Cell::new(0u32), Cell::new(0u32));
    let (worst_f64, worst_f32) = (Cell::new(0.0f64), Cell::new(0.0f64));
    let strategy = (
        any::<u64>(),
        prop::collection::vec(step(), 1..=8),
        reduction(),
    );
    let result = TestRunner::new(config).run(&strategy, |case| {
        let g = Graph::<f64>::new();
        let (b, loss) = Builder::<f64, R, C>::build::<K, R2, C2, N>(&g, &case);
        if !b.is_well_conditioned(loss) {
            rejected.set(rejected.get() + 1);
            return Err(TestCaseError::reject("near a kink, or too large"));
        }
        accepted.set(accepted.get() + 1);
        let report = gradcheck(loss, &GRADCHECK);
        if let Some(w) = report
            .worst
            .as_ref()
            .filter(|w| w.abs_error > GRADCHECK.atol + w.noise)
        {
            worst_f64.set(worst_f64.get().max(w.rel_error));
        }
        prop_assert!(report.passed(), "{report}\n{R}×{C} through {K}: {case:?}");

        let g32 = Graph::<f32>::new();
        let (b32, loss32) = Builder::<f32, R, C>::build::<K, R2, C2, N>(&g32, &case);
        let (grads, grads32) = (loss.backward(), loss32.backward());
        let d64: Vec<Vec<f64>> = b.gradients.iter().map(|f| f(&grads)).collect();
        let d32: Vec<Vec<f64>> = b32.gradients.iter().map(|f| f(&grads32)).collect();
        let worst = f32_discrepancy(f64::from(loss32.value()[0]), loss.value()[0], &d32, &d64);
        worst_f32.set(worst_f32.get().max(worst));
        prop_assert!(
            worst <= F32_TOLERANCE,
            "f32 differs from f64 by {worst:e}\n{R}×{C} through {K}: {case:?}"
        );
        Ok(())
    });
    let (accepted, rejected) = (accepted.get(), rejected.get());
    let rate = f64::from(rejected) / f64::from(accepted + rejected).max(1.0);
    eprintln!(
        "compositions {R}×{C} through {K}: {accepted} passed, {rejected} rejected ({:.1}%); \
         worst f64 relative error {:.1e}, worst f32 discrepancy {:.1e}",
        rate * 100.0,
        worst_f64.get(),
        worst_f32.get()
    );
    if let Err(failure) = result {
        panic!("{R}×{C} through {K}: {failure}");
    }
    assert!(
        rate <= MAX_REJECTION_RATE,
        "{R}×{C} through {K}: {:.1}% of the compositions were rejected",
        rate * 100.0
    );
}

#[test]
fn compositions_at_3x4_through_2() {
    compositions_pass::<3, 4, 2, 6, 8, 12>();
}

#[test]
fn compositions_at_1x5_through_3() {
    compositions_pass::<1, 5, 3, 2, 10, 5>();
}

#[test]
fn compositions_at_4x1_through_3() {
    compositions_pass::<4, 1, 3, 8, 2, 4>();
}

#[test]
fn compositions_at_2x2_through_5() {
    compositions_pass::<2, 2, 5, 4, 4, 4>();
}
