//! Random compositions of the ops (the generator of shapegrad's
//! `tests/integration/compositions/`), drawn with a fixed seed so that `build.rs` and
//! `tests/compositions.rs` draw the same ones: the build script generates a module from each,
//! the test compares it with the graph.
#![allow(dead_code)] // each includer uses its own subset

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use shapegrad::codegen::Module;
use shapegrad::{Graph, Real, Var};

use crate::builder::{Builder, GradientOf, VarAccess};
use crate::steps::{Reduction, Step, reduction, step};

/// A composition: its working shape (an index of [`SHAPES`]) and its steps.
#[derive(Clone, Debug)]
pub struct Composition {
    pub shape: usize,
    pub case: (u64, Vec<Step>, Reduction),
}

/// The working shapes (R×C through K), as in `tests/integration/compositions/mod.rs`.
pub const SHAPES: [&str; 4] = [
    "3×4 through 2",
    "1×5 through 3",
    "4×1 through 3",
    "2×2 through 5",
];

/// Compositions per shape.
pub const PER_SHAPE: usize = 16;

/// A composition on a graph, its shape erased.
pub struct Built<'g, T: Real> {
    pub vars: Vec<VarAccess<'g>>,
    pub gradients: Vec<GradientOf<'g, T>>,
    pub loss: Var<'g, T, 1, 1>,
    /// Whether the builder's own inputs keep it away from kinks and overflow (f64 only).
    pub well_conditioned: bool,
}

fn built<
    'g,
    T: Real,
    const R: usize,
    const C: usize,
    const K: usize,
    const R2: usize,
    const C2: usize,
    const N: usize,
>(
    g: &'g Graph<T>,
    case: &(u64, Vec<Step>, Reduction),
    check: impl FnOnce(&Builder<'g, T, R, C>, Var<'g, T, 1, 1>) -> bool,
) -> Built<'g, T> {
    let (b, loss) = Builder::<T, R, C>::build::<K, R2, C2, N>(g, case);
    let well_conditioned = check(&b, loss);
    Built {
        vars: b.vars,
        gradients: b.gradients,
        loss,
        well_conditioned,
    }
}

/// Builds `composition` on `g`.
pub fn build<'g, T: Real>(g: &'g Graph<T>, composition: &Composition) -> Built<'g, T> {
    let c = &composition.case;
    match composition.shape {
        0 => built::<T, 3, 4, 2, 6, 8, 12>(g, c, |_, _| true),
        1 => built::<T, 1, 5, 3, 2, 10, 5>(g, c, |_, _| true),
        2 => built::<T, 4, 1, 3, 8, 2, 4>(g, c, |_, _| true),
        _ => built::<T, 2, 2, 5, 4, 4, 4>(g, c, |_, _| true),
    }
}

fn conditioned(composition: &Composition) -> bool {
    let g = Graph::<f64>::new();
    let c = &composition.case;
    match composition.shape {
        0 => built::<f64, 3, 4, 2, 6, 8, 12>(&g, c, |b, l| b.is_well_conditioned(l)),
        1 => built::<f64, 1, 5, 3, 2, 10, 5>(&g, c, |b, l| b.is_well_conditioned(l)),
        2 => built::<f64, 4, 1, 3, 8, 2, 4>(&g, c, |b, l| b.is_well_conditioned(l)),
        _ => built::<f64, 2, 2, 5, 4, 4, 4>(&g, c, |b, l| b.is_well_conditioned(l)),
    }
    .well_conditioned
}

/// The compositions, the same on every call: [`PER_SHAPE`] per shape, drawn as
/// `tests/integration/compositions/mod.rs` draws them (up to 8 steps and a reduction), keeping those
/// that its own inputs keep away from kinks.
pub fn all() -> Vec<Composition> {
    let strategy = (
        any::<u64>(),
        prop::collection::vec(step(), 1..=8),
        reduction(),
    );
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[19; 32]);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let mut out = Vec::new();
    for shape in 0..SHAPES.len() {
        let mut kept = 0;
        while kept < PER_SHAPE {
            let case = strategy
                .new_tree(&mut runner)
                .expect("a composition")
                .current();
            let composition = Composition { shape, case };
            if conditioned(&composition) {
                out.push(composition);
                kept += 1;
            }
        }
    }
    out
}

/// The module generated from composition `k` on `g`: every var an input, the loss the
/// output.
pub fn module<'g>(built: &Built<'g, f64>, k: usize) -> Module<'g, f64> {
    Module::new(format!("composition{k}"))
        .output_named("loss", built.loss)
        .all_vars()
}
