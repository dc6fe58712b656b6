//! Property test: random compositions of the ops, with their exact Hessian (the graph run on
//! dual scalars, `second_order::hessian_flat`) against central differences of the exact
//! gradient (`jacobian::numerical_hessian` on the same composition over f64).
//!
//! This checks that every op's backward pass is itself differentiable in dual arithmetic,
//! which is what `second_order` relies on: a backward that dropped the dual parts (a constant
//! where it should compute from its inputs, a branch on a value) would give a wrong Hessian
//! here while its gradient still passes gradcheck. A composition is up to 6 steps on a 2×3
//! working value, then a reduction; its constants are drawn from a seed, so the dual and the
//! f64 builds are the same function. Kinks and restricted domains are handled as in
//! `tests/integration/compositions/`.

use crate::common;
use common::{proptest_cases, random, rows_have_a_clear_max};

use nalgebra::{SMatrix, SVector};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use shapegrad::second_order::hessian_flat;
use shapegrad::{Graph, Labels, Real, Var, jacobian};

const R: usize = 2;
const C: usize = 3;
const N: usize = R * C;
const KINK_MARGIN: f64 = 1e-3;
const MAX_MAGNITUDE: f64 = 1e3;

#[derive(Clone, Copy, Debug)]
enum Other {
    Constant,
    /// An earlier intermediate (index modulo how many there are): a fork.
    Earlier(usize),
}

#[derive(Clone, Copy, Debug)]
enum Step {
    Neg,
    Scale(f64),
    AddScalar(f64),
    Exp,
    Tanh,
    Sigmoid,
    Softplus,
    Square,
    Abs,
    Relu,
    Sqrt,
    Ln,
    Reciprocal,
    Powi(i32),
    Powf(f64),
    Softmax,
    LogSoftmax,
    Sin,
    Cos,
    Atan2(Other),
    Clamp,
    /// `x ∘ stop(x)`: the gradient treats the second factor as constant.
    TimesDetached,
    MatMulRight,
    MatMulLeft,
    AddRow,
    AddColumn,
    Add(Other),
    Sub(Other),
    ComponentMul(Other),
    ComponentDiv(Other),
    Maximum(Other),
    Minimum(Other),
    /// `x` stacked on `other`, then the lower block.
    VstackView(Other),
    /// 2×3 → 3×2 (column-major) → transposed back.
    ReshapeTranspose,
    AddOwnRow(usize),
}

#[derive(Clone, Copy, Debug)]
enum Reduction {
    Sum,
    Mean,
    NormSquared,
    Norm,
    Dot,
    Mse,
    SoftmaxCrossEntropy([usize; R]),
    SoftTargets,
    RowwiseMaxSum,
    ColumnSumMean,
    L2Penalty(f64),
}

fn other() -> impl Strategy<Value = Other> {
    prop_oneof![Just(Other::Constant), (0usize..6).prop_map(Other::Earlier)]
}

fn step() -> impl Strategy<Value = Step> {
    use Step::*;
    prop_oneof![
        Just(Neg),
        (-2.0..2.0f64).prop_map(Scale),
        (-1.0..1.0f64).prop_map(AddScalar),
        Just(Exp),
        Just(Tanh),
        Just(Sigmoid),
        Just(Softplus),
        Just(Square),
        Just(Abs),
        Just(Relu),
        Just(Sqrt),
        Just(Ln),
        Just(Reciprocal),
        (-2i32..=3).prop_map(Powi),
        (-1.5..2.5f64).prop_map(Powf),
        Just(Softmax),
        Just(LogSoftmax),
        Just(Sin),
        Just(Cos),
        other().prop_map(Atan2),
        Just(Clamp),
        Just(TimesDetached),
        Just(MatMulRight),
        Just(MatMulLeft),
        Just(AddRow),
        Just(AddColumn),
        other().prop_map(Add),
        other().prop_map(Sub),
        other().prop_map(ComponentMul),
        other().prop_map(ComponentDiv),
        other().prop_map(Maximum),
        other().prop_map(Minimum),
        other().prop_map(VstackView),
        Just(ReshapeTranspose),
        (0usize..R).prop_map(AddOwnRow),
    ]
}

fn reduction() -> impl Strategy<Value = Reduction> {
    use Reduction::*;
    prop_oneof![
        Just(Sum),
        Just(Mean),
        Just(NormSquared),
        Just(Norm),
        Just(Dot),
        Just(Mse),
        prop::array::uniform2(0usize..C).prop_map(SoftmaxCrossEntropy),
        Just(SoftTargets),
        Just(RowwiseMaxSum),
        Just(ColumnSumMean),
        (0.01..1.0f64).prop_map(L2Penalty),
    ]
}

/// One composition, built the same way on any scalar: its constants come from `seed`.
struct Composition<'a> {
    seed: u64,
    steps: &'a [Step],
    reduction: Reduction,
}

/// What a build records besides the loss, in f64: the values that must stay clear of kinks.
#[derive(Default)]
struct Conditions {
    away_from_zero: Vec<SMatrix<f64, R, C>>,
    row_maxed: Vec<SMatrix<f64, R, C>>,
    magnitudes: Vec<SMatrix<f64, R, C>>,
}

impl Composition<'_> {
    fn build<'g, T: Real>(&self, x: Var<'g, T, R, C>, cond: &mut Conditions) -> Var<'g, T, 1, 1> {
        let g = x.graph();
        let mut rng = StdRng::seed_from_u64(self.seed);
        let constant = |rng: &mut StdRng| g.constant(random::<R, C>(rng).cast::<T>());
        let t = |v: f64| -> T { nalgebra::convert(v) };
        let re = |v: Var<'g, T, R, C>| v.value().map(|e| real_part(e));
        let positive = |v: Var<'g, T, R, C>| v.square().add_scalar(t(0.5));
        let mut earlier = vec![x];
        let mut x = x;
        for step in self.steps {
            let operand = |o: Other, rng: &mut StdRng| match o {
                Other::Constant => constant(rng),
                Other::Earlier(i) => earlier[i % earlier.len()],
            };
            x = match *step {
                Step::Neg => -x,
                Step::Scale(s) => x.scale(t(s)),
                Step::AddScalar(s) => x.add_scalar(t(s)),
                Step::Exp => x.exp(),
                Step::Tanh => x.tanh(),
                Step::Sigmoid => x.sigmoid(),
                Step::Softplus => x.softplus(),
                Step::Square => x.square(),
                Step::Abs | Step::Relu => {
                    cond.away_from_zero.push(re(x));
                    if matches!(step, Step::Abs) {
                        x.abs()
                    } else {
                        x.relu()
                    }
                }
                Step::Sqrt => positive(x).sqrt(),
                Step::Ln => positive(x).ln(),
                Step::Reciprocal => positive(x).reciprocal(),
                Step::Powi(n) if n < 0 => positive(x).powi(n),
                Step::Powi(n) => x.powi(n),
                Step::Powf(p) => positive(x).powf(t(p)),
                Step::Softmax => x.softmax(),
                Step::LogSoftmax => x.log_softmax(),
                Step::Sin => x.sin(),
                Step::Cos => x.cos(),
                Step::Atan2(o) => x.atan2(positive(operand(o, &mut rng))),
                Step::Clamp => {
                    cond.away_from_zero.push(re(x.add_scalar(t(0.5))));
                    cond.away_from_zero.push(re(x.add_scalar(t(-0.5))));
                    x.clamp(t(-0.5), t(0.5))
                }
                Step::TimesDetached => x.component_mul(x.detach()),
                Step::MatMulRight => x * g.constant(random::<C, C>(&mut rng).cast::<T>()),
                Step::MatMulLeft => g.constant(random::<R, R>(&mut rng).cast::<T>()) * x,
                Step::AddRow => x.add_row(g.constant(random::<1, C>(&mut rng).cast::<T>())),
                Step::AddColumn => x.add_column(g.constant(random::<R, 1>(&mut rng).cast::<T>())),
                Step::Add(o) => x + operand(o, &mut rng),
                Step::Sub(o) => x - operand(o, &mut rng),
                Step::ComponentMul(o) => x.component_mul(operand(o, &mut rng)),
                Step::ComponentDiv(o) => x.component_div(positive(operand(o, &mut rng))),
                Step::Maximum(o) | Step::Minimum(o) => {
                    let y = operand(o, &mut rng);
                    cond.away_from_zero.push(re(x - y));
                    if matches!(step, Step::Maximum(_)) {
                        x.maximum(y)
                    } else {
                        x.minimum(y)
                    }
                }
                Step::VstackView(o) => {
                    let stacked: Var<'g, T, 4, C> = x.vstack(operand(o, &mut rng));
                    stacked.fixed_view::<R, C, 1, 0>()
                }
                Step::ReshapeTranspose => x.reshape::<C, R>().transpose(),
                Step::AddOwnRow(i) => x.add_row(x.row(i)),
            };
            cond.magnitudes.push(re(x));
            earlier.push(x);
        }
        let lambda = |l: f64| -> T { nalgebra::convert(l) };
        match self.reduction {
            Reduction::Sum => x.sum(),
            Reduction::Mean => x.mean(),
            Reduction::NormSquared => x.norm_squared(),
            Reduction::Norm => x.norm(),
            Reduction::Dot => x.dot(constant(&mut rng)),
            Reduction::Mse => x.mse(constant(&mut rng)),
            Reduction::SoftmaxCrossEntropy(labels) => {
                x.softmax_cross_entropy(&Labels::new(labels).expect("labels are < C"))
            }
            Reduction::SoftTargets => {
                let weights = random::<R, C>(&mut rng).map(f64::abs);
                x.softmax_cross_entropy_targets(g.constant(weights.cast::<T>()))
            }
            Reduction::RowwiseMaxSum => {
                cond.row_maxed.push(re(x));
                x.rowwise_max().sum()
            }
            Reduction::ColumnSumMean => x.column_sum().mean(),
            Reduction::L2Penalty(l) => x.l2_penalty(lambda(l)),
        }
    }
}

/// The real part of a scalar, read through nalgebra's conversion to f64.
fn real_part<T: Real>(x: T) -> f64 {
    nalgebra::try_convert::<T, f64>(x).unwrap_or(f64::NAN)
}

impl Conditions {
    fn well_conditioned(&self) -> bool {
        let clear = self
            .away_from_zero
            .iter()
            .all(|m| m.iter().all(|x| x.abs() > KINK_MARGIN));
        let rows = self
            .row_maxed
            .iter()
            .all(|m| rows_have_a_clear_max(m, KINK_MARGIN));
        let moderate = self
            .magnitudes
            .iter()
            .all(|m| m.iter().all(|x| x.is_finite() && x.abs() < MAX_MAGNITUDE));
        clear && rows && moderate
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: proptest_cases(300),
        max_global_rejects: 100_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn exact_hessians_of_random_compositions_match_central_differences(
        seed in any::<u64>(),
        steps in prop::collection::vec(step(), 1..=6),
        reduction in reduction(),
    ) {
        let composition = Composition { seed, steps: &steps, reduction };
        let x0: SMatrix<f64, R, C> = random(&mut StdRng::seed_from_u64(seed ^ 0x5EED));

        let mut cond = Conditions::default();
        let g = Graph::<f64>::new();
        let flat = g.var(SVector::<f64, N>::from_column_slice(x0.as_slice()));
        let loss = composition.build(flat.reshape::<R, C>(), &mut cond);
        prop_assume!(cond.well_conditioned() && loss.value()[0].is_finite());
        // Central differences of the gradient at h and 2h, combined by Richardson extrapolation
        // ((4·N(h) − N(2h))/3): the h² truncation term cancels. Near a kink (kept at least
        // KINK_MARGIN away) the higher derivatives are large, and plain central differences
        // at h = 6e-6 were off by a few 1e-6 of the scale in about one run in three.
        let coarse = jacobian::numerical_hessian(loss, flat, 1.2e-5);
        let fine = jacobian::numerical_hessian(loss, flat, 6e-6);
        let numeric = (fine * 4.0 - coarse) / 3.0;

        let (value, _, exact): (f64, _, SMatrix<f64, N, N>) =
            hessian_flat(|x| composition.build(x, &mut Conditions::default()), x0);
        prop_assert!((value - loss.value()[0]).abs() <= 1e-12 * value.abs().max(1.0));
        let scale = exact.amax().max(1.0);
        let err = (exact - numeric).amax();
        prop_assert!(
            err <= 1e-6 * scale,
            "exact vs central differences: {err:e} (scale {scale})\nexact {exact}\nnumeric {numeric}\nsteps: {steps:?}\nreduction: {reduction:?}"
        );
    }
}
