//! Property test: random compositions of the ops, each checked with gradcheck.
//!
//! A composition is a random sequence of up to 8 steps applied to a 3×4 working value (unary
//! ops, products with other vars, broadcasts, binary ops against a fresh var, a constant or an
//! earlier intermediate — a fork), followed by a random reduction to a 1×1 loss. Inputs are
//! random; a composition that lands near a kink (ReLU/abs at 0, a max or min tie, a clamp
//! bound) or overflows is rejected and another is drawn. Ops with a restricted domain (ln, sqrt, reciprocal, powf,
//! division, negative powers) are applied to `x² + ½`, which keeps them inside it.
//!
//! `cargo test` runs 500 compositions; set `SHAPEGRAD_PROPTEST_CASES` to run more.

mod common;
use common::{proptest_cases, random, rows_have_a_clear_max};

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use shapegrad::check::{GradcheckOptions, gradcheck};
use shapegrad::{Graph, Labels, Var};

const R: usize = 3;
const C: usize = 4;
/// How close to a kink (|x|, |a − b|, a row's max gap) a composition may come.
const KINK_MARGIN: f64 = 1e-3;
/// Larger intermediate values are rejected (they make finite differences meaningless).
const MAX_MAGNITUDE: f64 = 1e4;

#[derive(Clone, Debug)]
enum Other {
    FreshVar,
    FreshConstant,
    /// An earlier intermediate (index modulo how many there are): a fork.
    Earlier(usize),
}

#[derive(Clone, Debug)]
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
    TransposeTwice,
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
    Sin,
    Cos,
    /// `atan2(x, ·)` with a positive second input: away from the origin and the branch cut.
    Atan2(Other),
    /// Clamped to [−½, ½].
    Clamp,
    /// `x` stacked on `other` (6×4), then the 3×4 block starting at the given row.
    VstackView(Other, usize),
    /// `x` beside `other` (3×8), then the 3×4 block starting at the given column.
    HstackView(Other, usize),
    /// 3×4 → 4×3 (column-major) → transposed back to 3×4: entries move.
    ReshapeTranspose,
    /// Flattened to 12×1 and back.
    FlattenBack,
    /// `x` plus its own row `i` added to every row (a fork through `row`).
    AddOwnRow(usize),
    /// `x` plus its own column `j` added to every column.
    AddOwnColumn(usize),
}

#[derive(Clone, Debug)]
enum Reduction {
    Sum,
    Mean,
    NormSquared,
    Dot,
    Mse,
    SoftmaxCrossEntropy([usize; R]),
    SoftTargets,
    RowwiseMaxSum,
    RowSumSum,
    ColumnSumMean,
    L2Penalty(f64),
    Norm,
}

fn other() -> impl Strategy<Value = Other> {
    prop_oneof![
        Just(Other::FreshVar),
        Just(Other::FreshConstant),
        (0usize..8).prop_map(Other::Earlier),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::Neg),
        (-2.0..2.0f64).prop_map(Step::Scale),
        (-1.0..1.0f64).prop_map(Step::AddScalar),
        Just(Step::Exp),
        Just(Step::Tanh),
        Just(Step::Sigmoid),
        Just(Step::Softplus),
        Just(Step::Square),
        Just(Step::Abs),
        Just(Step::Relu),
        Just(Step::Sqrt),
        Just(Step::Ln),
        Just(Step::Reciprocal),
        (-2i32..=3).prop_map(Step::Powi),
        (-1.5..2.5f64).prop_map(Step::Powf),
        Just(Step::Softmax),
        Just(Step::LogSoftmax),
        Just(Step::TransposeTwice),
        Just(Step::MatMulRight),
        Just(Step::MatMulLeft),
        Just(Step::AddRow),
        Just(Step::AddColumn),
        other().prop_map(Step::Add),
        other().prop_map(Step::Sub),
        other().prop_map(Step::ComponentMul),
        other().prop_map(Step::ComponentDiv),
        other().prop_map(Step::Maximum),
        other().prop_map(Step::Minimum),
        Just(Step::Sin),
        Just(Step::Cos),
        other().prop_map(Step::Atan2),
        Just(Step::Clamp),
        (other(), 0usize..=R).prop_map(|(o, i)| Step::VstackView(o, i)),
        (other(), 0usize..=C).prop_map(|(o, j)| Step::HstackView(o, j)),
        Just(Step::ReshapeTranspose),
        Just(Step::FlattenBack),
        (0usize..R).prop_map(Step::AddOwnRow),
        (0usize..C).prop_map(Step::AddOwnColumn),
    ]
}

fn reduction() -> impl Strategy<Value = Reduction> {
    prop_oneof![
        Just(Reduction::Sum),
        Just(Reduction::Mean),
        Just(Reduction::NormSquared),
        Just(Reduction::Dot),
        Just(Reduction::Mse),
        prop::array::uniform3(0usize..C).prop_map(Reduction::SoftmaxCrossEntropy),
        Just(Reduction::SoftTargets),
        Just(Reduction::RowwiseMaxSum),
        Just(Reduction::RowSumSum),
        Just(Reduction::ColumnSumMean),
        (0.01..1.0f64).prop_map(Reduction::L2Penalty),
        Just(Reduction::Norm),
    ]
}

/// Builds one composition and returns its loss and whether it stays clear of kinks.
struct Builder<'g> {
    g: &'g Graph<f64>,
    rng: StdRng,
    earlier: Vec<Var<'g, f64, R, C>>,
    /// Values whose entries must stay away from 0 (inputs of ReLU and abs, max gaps).
    away_from_zero: Vec<Var<'g, f64, R, C>>,
    /// Inputs of rowwise_max: each row's two largest entries must differ.
    row_maxed: Vec<Var<'g, f64, R, C>>,
}

impl<'g> Builder<'g> {
    fn operand(&mut self, other: &Other) -> Var<'g, f64, R, C> {
        match other {
            Other::FreshVar => self.g.var(random(&mut self.rng)),
            Other::FreshConstant => self.g.constant(random(&mut self.rng)),
            Other::Earlier(i) => self.earlier[i % self.earlier.len()],
        }
    }

    /// `x² + ½`: positive and away from 0, for ops with a restricted domain.
    fn positive(x: Var<'g, f64, R, C>) -> Var<'g, f64, R, C> {
        x.square().add_scalar(0.5)
    }

    fn apply(&mut self, x: Var<'g, f64, R, C>, step: &Step) -> Var<'g, f64, R, C> {
        match step {
            Step::Neg => -x,
            Step::Scale(s) => x.scale(*s),
            Step::AddScalar(s) => x.add_scalar(*s),
            Step::Exp => x.exp(),
            Step::Tanh => x.tanh(),
            Step::Sigmoid => x.sigmoid(),
            Step::Softplus => x.softplus(),
            Step::Square => x.square(),
            Step::Abs => {
                self.away_from_zero.push(x);
                x.abs()
            }
            Step::Relu => {
                self.away_from_zero.push(x);
                x.relu()
            }
            Step::Sqrt => Self::positive(x).sqrt(),
            Step::Ln => Self::positive(x).ln(),
            Step::Reciprocal => Self::positive(x).reciprocal(),
            Step::Powi(n) if *n < 0 => Self::positive(x).powi(*n),
            Step::Powi(n) => x.powi(*n),
            Step::Powf(p) => Self::positive(x).powf(*p),
            Step::Softmax => x.softmax(),
            Step::LogSoftmax => x.log_softmax(),
            Step::TransposeTwice => x.transpose().transpose(),
            Step::MatMulRight => x * self.g.var(random::<C, C>(&mut self.rng)),
            Step::MatMulLeft => self.g.var(random::<R, R>(&mut self.rng)) * x,
            Step::AddRow => x.add_row(self.g.var(random(&mut self.rng))),
            Step::AddColumn => x.add_column(self.g.var(random(&mut self.rng))),
            Step::Add(o) => x + self.operand(o),
            Step::Sub(o) => x - self.operand(o),
            Step::ComponentMul(o) => x.component_mul(self.operand(o)),
            Step::ComponentDiv(o) => x.component_div(Self::positive(self.operand(o))),
            Step::Maximum(o) => {
                let y = self.operand(o);
                self.away_from_zero.push(x - y);
                x.maximum(y)
            }
            Step::Minimum(o) => {
                let y = self.operand(o);
                self.away_from_zero.push(x - y);
                x.minimum(y)
            }
            Step::Sin => x.sin(),
            Step::Cos => x.cos(),
            Step::Atan2(o) => x.atan2(Self::positive(self.operand(o))),
            Step::Clamp => {
                self.away_from_zero.push(x.add_scalar(0.5));
                self.away_from_zero.push(x.add_scalar(-0.5));
                x.clamp(-0.5, 0.5)
            }
            Step::VstackView(o, i) => {
                let stacked: Var<'g, f64, 6, C> = x.vstack(self.operand(o));
                match i {
                    0 => stacked.fixed_view::<R, C, 0, 0>(),
                    1 => stacked.fixed_view::<R, C, 1, 0>(),
                    2 => stacked.fixed_view::<R, C, 2, 0>(),
                    _ => stacked.fixed_view::<R, C, 3, 0>(),
                }
            }
            Step::HstackView(o, j) => {
                let side_by_side: Var<'g, f64, R, 8> = x.hstack(self.operand(o));
                match j {
                    0 => side_by_side.fixed_view::<R, C, 0, 0>(),
                    1 => side_by_side.fixed_view::<R, C, 0, 1>(),
                    2 => side_by_side.fixed_view::<R, C, 0, 2>(),
                    3 => side_by_side.fixed_view::<R, C, 0, 3>(),
                    _ => side_by_side.fixed_view::<R, C, 0, 4>(),
                }
            }
            Step::ReshapeTranspose => x.reshape::<C, R>().transpose(),
            Step::FlattenBack => x.flatten::<12>().reshape::<R, C>(),
            Step::AddOwnRow(i) => x.add_row(x.row(*i)),
            Step::AddOwnColumn(j) => x.add_column(x.column(*j)),
        }
    }

    fn reduce(&mut self, x: Var<'g, f64, R, C>, reduction: &Reduction) -> Var<'g, f64, 1, 1> {
        match reduction {
            Reduction::Sum => x.sum(),
            Reduction::Mean => x.mean(),
            Reduction::NormSquared => x.norm_squared(),
            Reduction::Dot => x.dot(self.g.var(random(&mut self.rng))),
            Reduction::Mse => x.mse(self.g.constant(random(&mut self.rng))),
            Reduction::SoftmaxCrossEntropy(labels) => {
                x.softmax_cross_entropy(&Labels::new(*labels).expect("labels are < C"))
            }
            Reduction::SoftTargets => {
                let weights = random::<R, C>(&mut self.rng).map(f64::abs);
                x.softmax_cross_entropy_targets(self.g.var(weights))
            }
            Reduction::RowwiseMaxSum => {
                self.row_maxed.push(x);
                x.rowwise_max().sum()
            }
            Reduction::RowSumSum => x.row_sum().sum(),
            Reduction::ColumnSumMean => x.column_sum().mean(),
            Reduction::L2Penalty(lambda) => x.l2_penalty(*lambda),
            Reduction::Norm => x.norm(),
        }
    }

    /// Whether the composition, at its current inputs, is smooth and of moderate size.
    fn is_well_conditioned(&self, loss: Var<'g, f64, 1, 1>) -> bool {
        let clear_of_zero = self
            .away_from_zero
            .iter()
            .all(|v| v.value().iter().all(|x| x.abs() > KINK_MARGIN));
        let rows_have_a_clear_max = self
            .row_maxed
            .iter()
            .all(|v| rows_have_a_clear_max(&v.value(), KINK_MARGIN));
        let moderate = self.earlier.iter().all(|v| {
            v.value()
                .iter()
                .all(|x| x.is_finite() && x.abs() < MAX_MAGNITUDE)
        });
        clear_of_zero && rows_have_a_clear_max && moderate && loss.value()[0].is_finite()
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: proptest_cases(500),
        max_global_rejects: 100_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_compositions_pass_gradcheck(
        seed in any::<u64>(),
        steps in prop::collection::vec(step(), 1..=8),
        reduction in reduction(),
    ) {
        let g = Graph::<f64>::new();
        let mut b = Builder {
            g: &g,
            rng: StdRng::seed_from_u64(seed),
            earlier: Vec::new(),
            away_from_zero: Vec::new(),
            row_maxed: Vec::new(),
        };
        let mut x = g.var_named("x0", random(&mut b.rng));
        b.earlier.push(x);
        for step in &steps {
            x = b.apply(x, step);
            b.earlier.push(x);
        }
        let loss = b.reduce(x, &reduction);
        prop_assume!(b.is_well_conditioned(loss));

        let report = gradcheck(loss, &GradcheckOptions::default());
        prop_assert!(report.passed(), "{report}\nsteps: {steps:?}\nreduction: {reduction:?}");
    }
}
