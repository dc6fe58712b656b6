//! What ±∞ inputs give, value and gradient, in the ops that guard a domain or a range: the
//! table of the README's "Infinite inputs", checked here. Each op is applied to the 1×2 input
//! (+∞, −∞) with dOut = 1; "NaN" marks a NaN (IEEE 754's ∞ − ∞, 0·∞ or a function outside its
//! domain).

use nalgebra::Matrix1x2;
use shapegrad::{Graph, Var};

const INF: f64 = f64::INFINITY;
const HALF_PI: f64 = std::f64::consts::FRAC_PI_2;

/// `op` at (+∞, −∞): its values and its gradient for dOut = 1, NaN written as NaN.
fn at_infinities(
    op: impl for<'g> Fn(Var<'g, f64, 1, 2>) -> Var<'g, f64, 1, 2>,
) -> ([f64; 2], [f64; 2]) {
    let g = Graph::<f64>::new();
    let x = g.var(Matrix1x2::new(INF, -INF));
    let y = op(x);
    let grads = y.backward_with(Matrix1x2::repeat(1.0));
    let d_x = grads.wrt(x);
    ([y.value()[0], y.value()[1]], [d_x[0], d_x[1]])
}

fn same(a: [f64; 2], b: [f64; 2]) -> bool {
    a.iter()
        .zip(&b)
        .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
}

#[test]
fn element_wise_ops_at_plus_and_minus_infinity() {
    let nan = f64::NAN;
    #[allow(clippy::type_complexity)]
    let table: [(
        &str,
        fn(Var<'_, f64, 1, 2>) -> Var<'_, f64, 1, 2>,
        [f64; 2],
        [f64; 2],
    ); 18] = [
        ("exp", |x| x.exp(), [INF, 0.0], [INF, 0.0]),
        ("ln", |x| x.ln(), [INF, nan], [0.0, nan]),
        ("sqrt", |x| x.sqrt(), [INF, nan], [0.0, nan]),
        ("reciprocal", |x| x.reciprocal(), [0.0, -0.0], [0.0, 0.0]),
        ("powf(0.5)", |x| x.powf(0.5), [INF, INF], [0.0, 0.0]),
        ("powi(-1)", |x| x.powi(-1), [0.0, -0.0], [0.0, 0.0]),
        ("tanh", |x| x.tanh(), [1.0, -1.0], [0.0, 0.0]),
        ("sigmoid", |x| x.sigmoid(), [1.0, 0.0], [0.0, 0.0]),
        ("softplus", |x| x.softplus(), [INF, 0.0], [1.0, 0.0]),
        ("square", |x| x.square(), [INF, INF], [INF, -INF]),
        ("sin", |x| x.sin(), [nan, nan], [nan, nan]),
        ("relu", |x| x.relu(), [INF, 0.0], [1.0, 0.0]),
        ("atan", |x| x.atan(), [HALF_PI, -HALF_PI], [0.0, 0.0]),
        ("sinh", |x| x.sinh(), [INF, -INF], [INF, INF]),
        ("cosh", |x| x.cosh(), [INF, INF], [INF, -INF]),
        ("tan", |x| x.tan(), [nan, nan], [nan, nan]),
        ("asin", |x| x.asin(), [nan, nan], [nan, nan]),
        ("acos", |x| x.acos(), [nan, nan], [nan, nan]),
    ];
    let mut wrong = Vec::new();
    for (name, op, value, gradient) in table {
        let (got_value, got_gradient) = at_infinities(op);
        if !same(got_value, value) || !same(got_gradient, gradient) {
            wrong.push(format!(
                "{name}: value {got_value:?} (table {value:?}), gradient {got_gradient:?} (table {gradient:?})"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn division_atan2_and_norm_at_infinity() {
    let g = Graph::<f64>::new();
    let one = g.var(Matrix1x2::repeat(1.0));
    let inf = g.var(Matrix1x2::new(INF, -INF));
    // 1/±∞ = ±0; dA = dOut/b = ±0, dB = −dOut·y/b = −0/∞ = −0 (and 0 for −∞).
    let ratio = one.component_div(inf);
    let grads = ratio.backward_with(Matrix1x2::repeat(1.0));
    assert!(same([ratio.value()[0], ratio.value()[1]], [0.0, -0.0]));
    assert!(same([grads.wrt(one)[0], grads.wrt(one)[1]], [0.0, -0.0]));
    assert!(same([grads.wrt(inf)[0], grads.wrt(inf)[1]], [-0.0, 0.0]));
    drop(grads);
    // atan2(1, ±∞) = 0 and π, exact; its gradients x/(x² + y²) and −y/(x² + y²) are NaN there
    // (∞/∞ and 0·∞ in the way they are computed), although their limits are 0.
    let angle = one.atan2(inf);
    let grads = angle.backward_with(Matrix1x2::repeat(1.0));
    assert!(same(
        [angle.value()[0], angle.value()[1]],
        [0.0, std::f64::consts::PI]
    ));
    assert!(
        grads
            .wrt(one)
            .iter()
            .chain(grads.wrt(inf).iter())
            .all(|d| d.is_nan())
    );
    drop(grads);
    // ‖(∞, −∞)‖ = ∞, and its gradient x/‖x‖ is ∞/∞ = NaN.
    let norm = inf.norm();
    assert_eq!(norm.value()[0], INF);
    assert!(norm.backward().wrt(inf).iter().all(|d| d.is_nan()));
}
