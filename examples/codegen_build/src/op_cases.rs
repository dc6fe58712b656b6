//! One small graph per built-in op (several for ops with options): the op applied to vars,
//! its output the module's output. `build.rs` generates a module from each; `tests/ops.rs`
//! gives the graph and the generated code the same inputs and seeds and compares them.
#![allow(dead_code)] // each includer uses its own subset

use shapegrad::codegen::Module;
use shapegrad::ops::{Relu, Sigmoid, Tanh};
use shapegrad::{Graph, Labels, Real, Var};

use crate::support::{Input, Output, input, output, t};

/// Where an input's random entries are drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Domain {
    /// Uniform in [-2, 2).
    Any,
    /// Uniform in [0.25, 2.25): for ln, sqrt, divisors, weights, targets.
    Positive,
    /// Uniform in [-0.9, 0.9): for asin and acos.
    Unit,
}

/// Inputs at a kink or an extreme, given to the graph and the generated code as they are.
#[derive(Clone, Copy, Debug)]
pub enum Edge {
    /// Every input filled with these values, cycling (column-major).
    Values(&'static [f64]),
    /// Every input (all of one shape) the same random matrix: ties for max and min.
    Equal,
}

/// One op's graph: its inputs (vars, in order) and output, and the module to generate.
pub struct Case<'g, T: Real> {
    pub name: &'static str,
    pub domains: Vec<Domain>,
    pub edges: &'static [Edge],
    pub inputs: Vec<Input<'g, T>>,
    pub output: Output<'g, T>,
    pub module: Module<'g, T>,
}

const NONE: &[Edge] = &[];
const ZEROS: &[Edge] = &[Edge::Values(&[0.0, -0.0, 1.0, -2.0])];
const INFINITIES: &[Edge] = &[
    Edge::Values(&[f64::INFINITY, -1.0, 0.5, f64::NEG_INFINITY, 2.0]),
    Edge::Values(&[f64::NEG_INFINITY, 1.0, 0.0]),
];
const TIES: &[Edge] = &[Edge::Equal, Edge::Values(&[0.5])];
/// asin's and acos' domain edges (an infinite slope) and outside it (NaN).
const UNIT_EDGES: &[Edge] = &[Edge::Values(&[1.0, -1.0, 0.0, 1.5])];
/// The identity rotation, and a half turn about x (for so3_exp's 3×1 input).
const ROTATION_EDGES: &[Edge] = &[
    Edge::Values(&[0.0]),
    Edge::Values(&[std::f64::consts::PI, 0.0, 0.0]),
];
/// A singular matrix (all ones).
const SINGULAR: &[Edge] = &[Edge::Values(&[1.0])];

fn case<'g, T: Real>(
    name: &'static str,
    domains: &[Domain],
    edges: &'static [Edge],
    inputs: Vec<Input<'g, T>>,
    out: Output<'g, T>,
    module: Module<'g, T>,
) -> Case<'g, T> {
    Case {
        name,
        domains: domains.to_vec(),
        edges,
        inputs,
        output: out,
        module,
    }
}

fn unary<'g, T: Real, const R: usize, const C: usize, const R2: usize, const C2: usize>(
    g: &'g Graph<T>,
    name: &'static str,
    domain: Domain,
    edges: &'static [Edge],
    f: impl FnOnce(Var<'g, T, R, C>) -> Var<'g, T, R2, C2>,
) -> Case<'g, T> {
    let a = g.var_named("a", nalgebra::SMatrix::<T, R, C>::zeros());
    let y = f(a);
    let module = Module::new(name).input(a).output_named("y", y);
    case(name, &[domain], edges, vec![input(a)], output(y), module)
}

#[allow(clippy::too_many_arguments)]
fn binary<
    'g,
    T: Real,
    const R1: usize,
    const C1: usize,
    const R2: usize,
    const C2: usize,
    const R3: usize,
    const C3: usize,
>(
    g: &'g Graph<T>,
    name: &'static str,
    domains: [Domain; 2],
    edges: &'static [Edge],
    f: impl FnOnce(Var<'g, T, R1, C1>, Var<'g, T, R2, C2>) -> Var<'g, T, R3, C3>,
) -> Case<'g, T> {
    let a = g.var_named("a", nalgebra::SMatrix::<T, R1, C1>::zeros());
    let b = g.var_named("b", nalgebra::SMatrix::<T, R2, C2>::zeros());
    let y = f(a, b);
    let module = Module::new(name).input(a).input(b).output_named("y", y);
    case(
        name,
        &domains,
        edges,
        vec![input(a), input(b)],
        output(y),
        module,
    )
}

fn ternary<'g, T: Real, const R: usize, const C: usize>(
    g: &'g Graph<T>,
    name: &'static str,
    domains: [Domain; 3],
    f: impl FnOnce(Var<'g, T, R, C>, Var<'g, T, R, C>, Var<'g, T, R, 1>) -> Var<'g, T, 1, 1>,
) -> Case<'g, T> {
    let a = g.var_named("a", nalgebra::SMatrix::<T, R, C>::zeros());
    let b = g.var_named("b", nalgebra::SMatrix::<T, R, C>::zeros());
    let w = g.var_named("w", nalgebra::SMatrix::<T, R, 1>::zeros());
    let y = f(a, b, w);
    let module = Module::new(name)
        .input(a)
        .input(b)
        .input(w)
        .output_named("y", y);
    let inputs = vec![input(a), input(b), input(w)];
    case(name, &domains, NONE, inputs, output(y), module)
}

/// The number of cases.
pub const COUNT: usize = 80;

/// Case `k` (of [`COUNT`]) on `g`.
pub fn build<T: Real>(g: &Graph<T>, k: usize) -> Case<'_, T> {
    use Domain::{Any, Positive, Unit};
    match k {
        0 => unary::<T, 3, 4, 3, 4>(g, "abs", Any, ZEROS, |a| a.abs()),
        1 => binary::<T, 3, 4, 3, 4, 3, 4>(g, "add", [Any, Any], NONE, |a, b| a + b),
        2 => {
            binary::<T, 3, 4, 3, 1, 3, 4>(g, "add_column", [Any, Any], NONE, |a, b| a.add_column(b))
        }
        3 => binary::<T, 3, 4, 1, 4, 3, 4>(g, "add_row", [Any, Any], NONE, |a, b| a.add_row(b)),
        4 => binary::<T, 3, 4, 1, 4, 3, 4>(g, "add_row_tanh", [Any, Any], NONE, |a, b| {
            a.add_row_then(b, Tanh)
        }),
        5 => binary::<T, 3, 4, 1, 4, 3, 4>(g, "add_row_sigmoid", [Any, Any], NONE, |a, b| {
            a.add_row_then(b, Sigmoid)
        }),
        6 => binary::<T, 3, 4, 1, 4, 3, 4>(g, "add_row_relu", [Any, Any], ZEROS, |a, b| {
            a.add_row_then(b, Relu)
        }),
        7 => unary::<T, 3, 4, 3, 4>(g, "add_scalar", Any, NONE, |a| a.add_scalar(t(0.7))),
        8 => binary::<T, 3, 4, 3, 4, 3, 4>(g, "atan2", [Any, Any], ZEROS, |a, b| a.atan2(b)),
        9 => unary::<T, 3, 4, 3, 4>(
            g,
            "clamp",
            Any,
            &[Edge::Values(&[-0.5, 0.5, 0.0, 2.0, -3.0])],
            |a| a.clamp(t(-0.5), t(0.5)),
        ),
        10 => unary::<T, 3, 4, 3, 1>(g, "column", Any, NONE, |a| a.column(2)),
        11 => unary::<T, 3, 4, 3, 1>(g, "column_sum", Any, NONE, |a| a.column_sum()),
        12 => binary::<T, 3, 4, 3, 4, 3, 4>(g, "component_div", [Any, Positive], NONE, |a, b| {
            a.component_div(b)
        }),
        13 => binary::<T, 3, 4, 3, 4, 3, 4>(g, "component_mul", [Any, Any], NONE, |a, b| {
            a.component_mul(b)
        }),
        14 => unary::<T, 3, 4, 3, 4>(g, "cos", Any, NONE, |a| a.cos()),
        15 => binary::<T, 3, 1, 3, 1, 3, 1>(g, "cross", [Any, Any], NONE, |a, b| a.cross(b)),
        16 => unary::<T, 3, 4, 3, 4>(g, "detach", Any, NONE, |a| a.detach() + a),
        17 => binary::<T, 3, 4, 3, 4, 1, 1>(g, "dot", [Any, Any], NONE, |a, b| a.dot(b)),
        18 => unary::<T, 3, 4, 3, 4>(g, "exp", Any, NONE, |a| a.exp()),
        19 => unary::<T, 3, 4, 2, 3>(g, "fixed_view", Any, NONE, |a| a.fixed_view::<2, 3, 1, 1>()),
        20 => binary::<T, 3, 4, 3, 2, 3, 6>(g, "hstack", [Any, Any], NONE, |a, b| a.hstack(b)),
        21 => unary::<T, 3, 4, 1, 1>(g, "l2_penalty", Any, NONE, |a| a.l2_penalty(t(1e-3))),
        22 => unary::<T, 3, 4, 3, 4>(g, "ln", Positive, NONE, |a| a.ln()),
        23 => unary::<T, 3, 4, 3, 4>(g, "log_softmax", Any, INFINITIES, |a| a.log_softmax()),
        24 => binary::<T, 3, 4, 4, 2, 3, 2>(g, "matmul", [Any, Any], NONE, |a, b| a * b),
        25 => binary::<T, 3, 4, 3, 4, 3, 4>(g, "maximum", [Any, Any], TIES, |a, b| a.maximum(b)),
        26 => unary::<T, 3, 4, 1, 1>(g, "mean", Any, NONE, |a| a.mean()),
        27 => binary::<T, 3, 4, 3, 4, 3, 4>(g, "minimum", [Any, Any], TIES, |a, b| a.minimum(b)),
        28 => binary::<T, 3, 4, 3, 4, 1, 1>(g, "mse", [Any, Any], NONE, |a, b| a.mse(b)),
        29 => ternary::<T, 3, 4>(g, "mse_weighted", [Any, Any, Positive], |a, b, w| {
            a.mse_weighted(b, w)
        }),
        30 => unary::<T, 3, 4, 3, 4>(g, "neg", Any, NONE, |a| -a),
        31 => unary::<T, 3, 4, 1, 1>(g, "norm", Any, &[Edge::Values(&[0.0])], |a| a.norm()),
        32 => unary::<T, 3, 4, 1, 1>(g, "norm_squared", Any, NONE, |a| a.norm_squared()),
        33 => unary::<T, 3, 4, 3, 4>(g, "powf", Positive, NONE, |a| a.powf(t(1.7))),
        34 => unary::<T, 3, 4, 3, 4>(g, "powf_zero", Positive, NONE, |a| a.powf(t(0.0))),
        35 => unary::<T, 3, 4, 3, 4>(g, "powi", Any, ZEROS, |a| a.powi(3)),
        36 => unary::<T, 3, 4, 3, 4>(g, "powi_negative", Positive, NONE, |a| a.powi(-2)),
        37 => unary::<T, 3, 4, 3, 4>(g, "reciprocal", Positive, NONE, |a| a.reciprocal()),
        38 => unary::<T, 3, 4, 3, 4>(g, "relu", Any, ZEROS, |a| a.relu()),
        39 => unary::<T, 3, 4, 4, 3>(g, "reshape", Any, NONE, |a| a.reshape::<4, 3>()),
        40 => unary::<T, 3, 4, 12, 1>(g, "flatten", Any, NONE, |a| a.flatten::<12>()),
        41 => unary::<T, 3, 4, 1, 4>(g, "row", Any, NONE, |a| a.row(1)),
        42 => unary::<T, 3, 4, 1, 4>(g, "row_sum", Any, NONE, |a| a.row_sum()),
        43 => unary::<T, 3, 4, 3, 1>(g, "rowwise_max", Any, TIES, |a| a.rowwise_max()),
        44 => unary::<T, 3, 4, 3, 4>(g, "scale", Any, NONE, |a| a.scale(t(-1.5))),
        45 => unary::<T, 3, 4, 3, 4>(g, "sigmoid", Any, INFINITIES, |a| a.sigmoid()),
        46 => unary::<T, 3, 4, 3, 4>(g, "sin", Any, NONE, |a| a.sin()),
        47 => unary::<T, 3, 4, 3, 4>(g, "softmax", Any, INFINITIES, |a| a.softmax()),
        48 => unary::<T, 3, 4, 1, 1>(g, "softmax_cross_entropy", Any, INFINITIES, |a| {
            a.softmax_cross_entropy(&Labels::new([0, 3, 1]).expect("labels < 4"))
        }),
        49 => binary::<T, 3, 4, 3, 4, 1, 1>(
            g,
            "softmax_cross_entropy_targets",
            [Any, Positive],
            NONE,
            |a, b| a.softmax_cross_entropy_targets(b),
        ),
        50 => ternary::<T, 3, 4>(
            g,
            "softmax_cross_entropy_weighted",
            [Any, Positive, Positive],
            |a, b, w| a.softmax_cross_entropy_weighted(b, w),
        ),
        51 => unary::<T, 3, 4, 3, 4>(g, "softplus", Any, INFINITIES, |a| a.softplus()),
        52 => unary::<T, 3, 4, 3, 4>(g, "sqrt", Positive, NONE, |a| a.sqrt()),
        53 => unary::<T, 3, 4, 3, 4>(g, "square", Any, NONE, |a| a.square()),
        54 => binary::<T, 3, 4, 3, 4, 3, 4>(g, "sub", [Any, Any], NONE, |a, b| a - b),
        55 => unary::<T, 3, 4, 1, 1>(g, "sum", Any, NONE, |a| a.sum()),
        56 => unary::<T, 3, 4, 3, 4>(g, "tanh", Any, INFINITIES, |a| a.tanh()),
        57 => unary::<T, 3, 4, 4, 3>(g, "transpose", Any, NONE, |a| a.transpose()),
        58 => binary::<T, 3, 4, 2, 4, 5, 4>(g, "vstack", [Any, Any], NONE, |a, b| a.vstack(b)),
        // A fork: a used three times, once by an op with the same node as both inputs.
        59 => unary::<T, 3, 4, 1, 1>(g, "fork", Any, NONE, |a| {
            (a.component_mul(a) + a.exp()).sum() + a.dot(a)
        }),
        60 => unary::<T, 3, 4, 3, 4>(g, "acos", Unit, UNIT_EDGES, |a| a.acos()),
        61 => unary::<T, 3, 4, 3, 4>(g, "asin", Unit, UNIT_EDGES, |a| a.asin()),
        62 => unary::<T, 3, 4, 3, 4>(g, "atan", Any, INFINITIES, |a| a.atan()),
        63 => unary::<T, 3, 4, 3, 4>(g, "tan", Any, ZEROS, |a| a.tan()),
        64 => unary::<T, 3, 4, 3, 4>(g, "sinh", Any, ZEROS, |a| a.sinh()),
        65 => unary::<T, 3, 4, 3, 4>(g, "cosh", Any, ZEROS, |a| a.cosh()),
        66 => binary::<T, 3, 4, 1, 1, 3, 4>(g, "scale_by", [Any, Any], ZEROS, |a, s| a.scale_by(s)),
        67 => unary::<T, 3, 1, 3, 3>(g, "hat", Any, NONE, |a| a.hat()),
        68 => unary::<T, 3, 3, 3, 1>(g, "vee", Any, NONE, |a| a.vee()),
        69 => unary::<T, 3, 1, 3, 3>(g, "so3_exp", Any, ROTATION_EDGES, |a| a.so3_exp()),
        // so3_log and rotation_to_quat take rotations: so3_exp makes them.
        70 => unary::<T, 3, 1, 3, 1>(g, "so3_log", Any, ROTATION_EDGES, |a| a.so3_exp().so3_log()),
        71 => unary::<T, 4, 1, 3, 3>(g, "quat_to_rotation", Any, NONE, |a| a.quat_to_rotation()),
        72 => unary::<T, 3, 1, 4, 1>(g, "rotation_to_quat", Any, ROTATION_EDGES, |a| {
            a.so3_exp().rotation_to_quat()
        }),
        73 => unary::<T, 3, 3, 1, 1>(g, "determinant", Any, SINGULAR, |a| a.determinant()),
        74 => unary::<T, 3, 3, 3, 3>(g, "inverse", Any, NONE, |a| a.inverse()),
        75 => binary::<T, 3, 3, 3, 2, 3, 2>(g, "solve", [Any, Any], NONE, |a, b| a.solve(b)),
        // cholesky takes a positive definite matrix: a·aᵀ + I.
        76 => unary::<T, 3, 3, 3, 3>(g, "cholesky", Any, NONE, |a| {
            let identity = a.graph().constant(nalgebra::Matrix3::identity());
            (a * a.transpose() + identity).cholesky()
        }),
        77 => binary::<T, 3, 3, 3, 2, 3, 2>(g, "cholesky_solve", [Positive, Any], NONE, |l, b| {
            l.cholesky_solve(b)
        }),
        78 => unary::<T, 3, 3, 1, 1>(g, "trace", Any, NONE, |a| a.trace()),
        79 => binary::<T, 3, 4, 2, 2, 3, 4>(g, "with_block", [Any, Any], NONE, |a, b| {
            a.with_block(1, 2, b)
        }),
        _ => panic!("there are {COUNT} op cases"),
    }
}
