//! Builds one composition on a graph over any scalar, at any working shape.

use nalgebra::SMatrix;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use shapegrad::{Gradients, Graph, Labels, Real, Var};

use super::steps::{Other, Reduction, Step};
use crate::common::{random, rows_have_a_clear_max};

/// How close to a kink (|x|, |a − b|, a row's max gap) a composition may come.
const KINK_MARGIN: f64 = 1e-3;
/// Larger intermediate values are rejected: past them the finite differences of exponential
/// and oscillating steps are meaningless (sin(exp(exp(1/(x² + ½)))), whose argument reaches
/// 1600, is off by 6e-4 relative at the default step).
const MAX_MAGNITUDE: f64 = 1e2;

/// `f64` as the graph's scalar.
fn t<T: Real>(x: f64) -> T {
    nalgebra::convert(x)
}

/// Reads one var's gradient, as `f64`s, from a backward pass.
pub type GradientOf<'g, T> = Box<dyn Fn(&Gradients<'g, T>) -> Vec<f64> + 'g>;

/// One var of a composition without its shape in the type: its shape, and its value to set
/// and read as `f64`s (column-major). The generated code's tests (`examples/codegen_build`)
/// give the same values to a composition's graph and to the code generated from it.
#[allow(dead_code)] // read by examples/codegen_build only
pub struct VarAccess<'g> {
    pub shape: (usize, usize),
    pub set: SetEntries<'g>,
    pub get: GetEntries<'g>,
}

/// Sets a var from its entries as `f64`s.
pub type SetEntries<'g> = Box<dyn Fn(&[f64]) + 'g>;
/// Reads a var's entries as `f64`s.
pub type GetEntries<'g> = Box<dyn Fn() -> Vec<f64> + 'g>;

/// Builds one composition over `T` at the working shape R×C, with K the inner dimension of
/// the products, R2 = 2R, C2 = 2C and N = R·C (declared sizes of the stacks and the flatten).
pub struct Builder<'g, T: Real, const R: usize, const C: usize> {
    g: &'g Graph<T>,
    rng: StdRng,
    earlier: Vec<Var<'g, T, R, C>>,
    /// Values whose entries must stay away from 0 (inputs of ReLU and abs, max gaps).
    away_from_zero: Vec<Var<'g, T, R, C>>,
    /// Inputs of rowwise_max: each row's two largest entries must differ.
    row_maxed: Vec<Var<'g, T, R, C>>,
    /// Every var's gradient as `f64`s, to compare an f32 build with an f64 one.
    pub gradients: Vec<GradientOf<'g, T>>,
    /// Every var, in creation order.
    pub vars: Vec<VarAccess<'g>>,
}

impl<'g, T: Real, const R: usize, const C: usize> Builder<'g, T, R, C> {
    fn var<const R1: usize, const C1: usize>(&mut self) -> Var<'g, T, R1, C1> {
        let v = self.g.var(random::<R1, C1>(&mut self.rng).cast::<T>());
        let to_f64 = |x: &T| x.to_subset().unwrap_or(f64::NAN);
        self.gradients.push(Box::new(move |grads| {
            grads.wrt(v).iter().map(to_f64).collect()
        }));
        self.vars.push(VarAccess {
            shape: (R1, C1),
            set: Box::new(move |entries| {
                v.set_value(SMatrix::from_iterator(entries.iter().map(|&x| t(x))));
            }),
            get: Box::new(move || v.value().iter().map(to_f64).collect()),
        });
        v
    }

    fn operand(&mut self, other: Other) -> Var<'g, T, R, C> {
        match other {
            Other::FreshVar => self.var(),
            Other::FreshConstant => self.g.constant(random::<R, C>(&mut self.rng).cast::<T>()),
            Other::Earlier(i) => self.earlier[i % self.earlier.len()],
        }
    }

    /// `x² + ½`: positive and away from 0, for ops with a restricted domain.
    fn positive(x: Var<'g, T, R, C>) -> Var<'g, T, R, C> {
        x.square().add_scalar(t(0.5))
    }

    fn apply<const K: usize, const R2: usize, const C2: usize, const N: usize>(
        &mut self,
        x: Var<'g, T, R, C>,
        step: Step,
    ) -> Var<'g, T, R, C> {
        match step {
            Step::Neg => -x,
            Step::Scale(s) => x.scale(t(s)),
            Step::AddScalar(s) => x.add_scalar(t(s)),
            Step::Exp => x.exp(),
            Step::Tanh => x.tanh(),
            Step::Sigmoid => x.sigmoid(),
            Step::Softplus => x.softplus(),
            Step::Square => x.square(),
            Step::Abs | Step::Relu => {
                self.away_from_zero.push(x);
                if matches!(step, Step::Abs) {
                    x.abs()
                } else {
                    x.relu()
                }
            }
            Step::Sqrt => Self::positive(x).sqrt(),
            Step::Ln => Self::positive(x).ln(),
            Step::Reciprocal => Self::positive(x).reciprocal(),
            Step::Powi(n) if n < 0 => Self::positive(x).powi(n),
            Step::Powi(n) => x.powi(n),
            Step::Powf(p) => Self::positive(x).powf(t(p)),
            Step::Softmax => x.softmax(),
            Step::LogSoftmax => x.log_softmax(),
            Step::Sin => x.sin(),
            Step::Cos => x.cos(),
            Step::Atan2(o) => x.atan2(Self::positive(self.operand(o))),
            Step::Clamp => {
                self.away_from_zero.push(x.add_scalar(t(0.5)));
                self.away_from_zero.push(x.add_scalar(t(-0.5)));
                x.clamp(t(-0.5), t(0.5))
            }
            Step::TransposeTwice => x.transpose().transpose(),
            Step::MatMulRight => x * self.var::<C, K>() * self.var::<K, C>(),
            Step::MatMulLeft => self.var::<R, K>() * (self.var::<K, R>() * x),
            Step::AddRow => x.add_row(self.var()),
            Step::AddColumn => x.add_column(self.var()),
            Step::Add(o) => x + self.operand(o),
            Step::Sub(o) => x - self.operand(o),
            Step::ComponentMul(o) => x.component_mul(self.operand(o)),
            Step::ComponentDiv(o) => x.component_div(Self::positive(self.operand(o))),
            Step::Maximum(o) | Step::Minimum(o) => {
                let y = self.operand(o);
                self.away_from_zero.push(x - y);
                if matches!(step, Step::Maximum(_)) {
                    x.maximum(y)
                } else {
                    x.minimum(y)
                }
            }
            Step::VstackView(o, i) => {
                let stacked = x.vstack_to::<R2, R>(self.operand(o));
                match i {
                    0 => stacked.fixed_view::<R, C, 0, 0>(),
                    1 => stacked.fixed_view::<R, C, 1, 0>(),
                    _ => stacked.fixed_view::<R, C, R, 0>(),
                }
            }
            Step::HstackView(o, j) => {
                let side_by_side = x.hstack_to::<C2, C>(self.operand(o));
                match j {
                    0 => side_by_side.fixed_view::<R, C, 0, 0>(),
                    1 => side_by_side.fixed_view::<R, C, 0, 1>(),
                    _ => side_by_side.fixed_view::<R, C, 0, C>(),
                }
            }
            Step::ReshapeTranspose => x.reshape::<C, R>().transpose(),
            Step::FlattenBack => x.flatten::<N>().reshape::<R, C>(),
            Step::AddOwnRow(i) => x.add_row(x.row(i % R)),
            Step::AddOwnColumn(j) => x.add_column(x.column(j % C)),
        }
    }

    fn reduce(&mut self, x: Var<'g, T, R, C>, reduction: Reduction) -> Var<'g, T, 1, 1> {
        match reduction {
            Reduction::Sum => x.sum(),
            Reduction::Mean => x.mean(),
            Reduction::NormSquared => x.norm_squared(),
            Reduction::Norm => x.norm(),
            Reduction::Dot => x.dot(self.var()),
            Reduction::Mse => x.mse(self.g.constant(random::<R, C>(&mut self.rng).cast::<T>())),
            Reduction::SoftmaxCrossEntropy(seed) => {
                let mut labels = StdRng::seed_from_u64(seed);
                let labels = std::array::from_fn(|_| labels.random_range(0..C));
                x.softmax_cross_entropy(&Labels::new(labels).expect("labels are < C"))
            }
            Reduction::SoftTargets => {
                let weights = random::<R, C>(&mut self.rng).map(f64::abs).cast::<T>();
                x.softmax_cross_entropy_targets(self.g.constant(weights))
            }
            Reduction::RowwiseMaxSum => {
                self.row_maxed.push(x);
                x.rowwise_max().sum()
            }
            Reduction::RowSumSum => x.row_sum().sum(),
            Reduction::ColumnSumMean => x.column_sum().mean(),
            Reduction::L2Penalty(lambda) => x.l2_penalty(t(lambda)),
        }
    }

    /// The composition's loss on a new builder of `g`, from `seed`.
    pub fn build<const K: usize, const R2: usize, const C2: usize, const N: usize>(
        g: &'g Graph<T>,
        (seed, steps, reduction): &(u64, Vec<Step>, Reduction),
    ) -> (Self, Var<'g, T, 1, 1>) {
        let mut b = Builder {
            g,
            rng: StdRng::seed_from_u64(*seed),
            earlier: Vec::new(),
            away_from_zero: Vec::new(),
            row_maxed: Vec::new(),
            gradients: Vec::new(),
            vars: Vec::new(),
        };
        let mut x = b.var();
        b.earlier.push(x);
        for &step in steps {
            x = b.apply::<K, R2, C2, N>(x, step);
            b.earlier.push(x);
        }
        let loss = b.reduce(x, *reduction);
        (b, loss)
    }
}

impl<'g, const R: usize, const C: usize> Builder<'g, f64, R, C> {
    /// Whether the composition, at its current inputs, is smooth and of moderate size.
    pub fn is_well_conditioned(&self, loss: Var<'g, f64, 1, 1>) -> bool {
        let clear_of_zero =
            (self.away_from_zero.iter()).all(|v| v.value().iter().all(|x| x.abs() > KINK_MARGIN));
        let clear_max = (self.row_maxed.iter())
            .all(|v| C == 1 || rows_have_a_clear_max(&v.value(), KINK_MARGIN));
        let moderate = (self.earlier.iter()).all(|v| {
            v.value()
                .iter()
                .all(|x| x.is_finite() && x.abs() < MAX_MAGNITUDE)
        });
        clear_of_zero && clear_max && moderate && loss.value()[0].is_finite()
    }
}
