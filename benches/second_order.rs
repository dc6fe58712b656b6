//! `cargo bench -p shapegrad-benches --bench second_order`: Jacobians and second derivatives, each contender
//! against a baseline in the same run, ending with lines such as
//! `ratio W5 forward/analytic 1.23 f64` (the contender's median over the baseline's).
//! Before timing, every contender's result is checked against the baseline's.
//!
//! W5: the 3-link arm's 2×3 Jacobian (`examples/robot_arm/arm.rs`). Baseline `analytic`,
//!     written carefully by hand (three `sin_cos`, suffix sums); contenders `forward`
//!     (`second_order::ForwardJacobian`, the arm's graph over `DualSVec64<3>`, replayed),
//!     `reverse` (`jacobian(tip, q)` on a replayed f64 graph: two backward passes) and
//!     `num_dual` (num-dual's own forward mode on plain nalgebra code, no graph), and on the
//!     plain, generic function `arm::tip_by_hand` (no graph, the kind of function `codegen`
//!     generates): `fn` (`second_order::jacobian_of_fn`) and `num_dual_fn` (num-dual's own
//!     `jacobian` on the same function). Also `ratio W5 fn/num_dual_fn` and `fn/num_dual`.
//!     In f64 and in f32 (`W5_f32`: `analytic`, `forward`, `fn`, `num_dual_fn`).
//! HVP: H·v of the spiral net's loss (N = 300, 2 → 100 ReLU → 3, softmax cross-entropy +
//!     L2 1e-3) with respect to W1 (2×100). Baseline `gradient`: one gradient step of the
//!     same function on a replayed f64 graph; contender `hvp`
//!     (`second_order::HessianVectorProduct`, the graph over `Dual64`, replayed).
//! HESS: the full 10×10 Hessian of the 10-dimensional Rosenbrock function. Baseline `fd`:
//!     `jacobian::numerical_hessian`, central differences of 2N = 20 exact gradients on a replayed
//!     f64 graph; contender `exact` (`second_order::Hessian`, one backward pass over
//!     `DualSVec64<10>`, replayed).

#[path = "support/medians.rs"]
mod medians;

#[path = "../examples/robot_arm/arm.rs"]
mod arm;

use std::hint::black_box;
use std::sync::Mutex;
use std::time::Duration;

use criterion::Criterion;
use nalgebra::{SMatrix, SVector, Vector3};
use num_dual::DualNum;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use shapegrad::jacobian::{self, jacobian};
use shapegrad::second_order::{ForwardJacobian, Hessian, HessianVectorProduct, jacobian_of_fn};
use shapegrad::{Graph, Labels, Real, Var, datasets};

/// The (workload, precision, baseline, contender) sets that ran.
type Ran = (&'static str, &'static str, &'static str, &'static str);
static RAN: Mutex<Vec<Ran>> = Mutex::new(Vec::new());

/// More ratio lines: (workload, contender, baseline) where both ran in the same precision.
const ALSO: [(&str, &str, &str); 2] = [("W5", "fn", "num_dual_fn"), ("W5", "fn", "num_dual")];

/// Times `step` as `name` in the group `workload`_`precision`, and records it against
/// `baseline`.
fn run<O>(
    c: &mut Criterion,
    (workload, precision, baseline): (&'static str, &'static str, &'static str),
    name: &'static str,
    mut step: impl FnMut() -> O,
) {
    c.benchmark_group(format!("{workload}_{precision}"))
        .bench_function(name, |b| {
            RAN.lock()
                .unwrap()
                .push((workload, precision, baseline, name));
            b.iter(&mut step)
        });
}

fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

fn random<const R: usize, const C: usize>(rng: &mut StdRng, scale: f64) -> SMatrix<f64, R, C> {
    SMatrix::from_fn(|_, _| rng.random_range(-scale..scale))
}

fn assert_close<const R: usize, const C: usize>(
    what: &str,
    got: &SMatrix<f64, R, C>,
    want: &SMatrix<f64, R, C>,
    tol: f64,
) {
    let err = (got - want).amax();
    assert!(
        err <= tol * want.amax(),
        "{what}: differs from the baseline by {err}"
    );
}

// W5 ------------------------------------------------------------------------------------------

/// The arm's tip on plain nalgebra vectors, for num-dual's forward mode.
fn tip_plain<D: DualNum<Primitive = f64> + Copy>(q: SVector<D, 3>) -> SVector<D, 2> {
    let mut theta = D::zero();
    let mut tip = SVector::<D, 2>::zeros();
    for (l, q) in arm::LINKS.iter().zip(q.iter()) {
        theta += *q;
        let (s, c) = theta.sin_cos();
        tip[0] += c * *l;
        tip[1] += s * *l;
    }
    tip
}

fn w5(c: &mut Criterion) {
    let q0 = Vector3::new(0.3, 0.6, -0.4);
    let analytic = arm::analytic_jacobian(&q0);
    let forward = ForwardJacobian::new(arm::tip, q0);
    let g = Graph::<f64>::new();
    let q = g.var(q0);
    let tip = arm::tip(q);
    assert_close("forward", &forward.at(q0).1, &analytic, 1e-14);
    assert_close("reverse", &jacobian(tip, q), &analytic, 1e-14);
    assert_close(
        "num_dual",
        &num_dual::jacobian(tip_plain, &q0).1,
        &analytic,
        1e-14,
    );
    assert_close(
        "fn",
        &jacobian_of_fn(arm::tip_by_hand, q0).1,
        &analytic,
        1e-14,
    );
    assert_close(
        "num_dual_fn",
        &num_dual::jacobian(|q| arm::tip_by_hand(&q), &q0).1,
        &analytic,
        1e-14,
    );

    let key = ("W5", "f64", "analytic");
    run(c, key, "analytic", || {
        arm::analytic_jacobian(black_box(&q0))
    });
    run(c, key, "forward", || forward.at(black_box(q0)));
    run(c, key, "reverse", || {
        q.set_value(black_box(q0));
        jacobian(tip, q)
    });
    run(c, key, "num_dual", || {
        num_dual::jacobian(tip_plain, black_box(&q0))
    });
    run(c, key, "fn", || {
        jacobian_of_fn(arm::tip_by_hand, black_box(q0))
    });
    run(c, key, "num_dual_fn", || {
        num_dual::jacobian(|q| arm::tip_by_hand(&q), black_box(&q0))
    });
}

/// W5 in f32: the analytic Jacobian, the graph's forward mode and the plain function's, and
/// num-dual's own `jacobian` on the same plain function, all in single precision.
fn w5_f32(c: &mut Criterion) {
    let q0 = Vector3::new(0.3f32, 0.6, -0.4);
    let analytic = arm::analytic_jacobian(&q0).cast::<f64>();
    let forward = ForwardJacobian::new(arm::tip, q0);
    let tol = 1e-6; // f32 roundings (tests/integration/second_order_f32.rs states the bound)
    assert_close("forward", &forward.at(q0).1.cast(), &analytic, tol);
    let plain = jacobian_of_fn(arm::tip_by_hand, q0).1;
    assert_close("fn", &plain.cast(), &analytic, tol);
    let own = num_dual::jacobian(|q| arm::tip_by_hand(&q), &q0).1;
    assert_close("num_dual_fn", &own.cast(), &analytic, tol);

    let key = ("W5", "f32", "analytic");
    run(c, key, "analytic", || {
        arm::analytic_jacobian(black_box(&q0))
    });
    run(c, key, "forward", || forward.at(black_box(q0)));
    run(c, key, "fn", || {
        jacobian_of_fn(arm::tip_by_hand, black_box(q0))
    });
    run(c, key, "num_dual_fn", || {
        num_dual::jacobian(|q| arm::tip_by_hand(&q), black_box(&q0))
    });
}

// HVP -----------------------------------------------------------------------------------------

struct Spiral {
    x: Box<SMatrix<f64, 300, 2>>,
    labels: Labels<300, 3>,
    b1: SMatrix<f64, 1, 100>,
    w2: Box<SMatrix<f64, 100, 3>>,
    b2: SMatrix<f64, 1, 3>,
}

/// The spiral net's loss as a function of W1, the rest of the net fixed.
fn spiral_loss<'g, T: Real>(w1: Var<'g, T, 2, 100>, net: &Spiral) -> Var<'g, T, 1, 1> {
    let g = w1.graph();
    let (x, b1) = (
        g.constant(net.x.cast::<T>()),
        g.constant(net.b1.cast::<T>()),
    );
    let (w2, b2) = (
        g.constant(net.w2.cast::<T>()),
        g.constant(net.b2.cast::<T>()),
    );
    let scores = ((x * w1).add_row(b1).relu() * w2).add_row(b2);
    let lambda: T = nalgebra::convert(1e-3);
    scores.softmax_cross_entropy(&net.labels) + w1.l2_penalty(lambda) + w2.l2_penalty(lambda)
}

fn hvp(c: &mut Criterion) {
    let (points, labels) = datasets::spiral::<300, 3>(0);
    let mut rng = rng(5);
    let net = Spiral {
        x: Box::new(points),
        labels,
        b1: random(&mut rng, 0.1),
        w2: Box::new(random(&mut rng, 0.3)),
        b2: random(&mut rng, 0.1),
    };
    let (w, v): (SMatrix<f64, 2, 100>, _) = (random(&mut rng, 1.0), random(&mut rng, 1.0));
    let g = Graph::<f64>::new();
    let w1 = g.var(w);
    let loss = spiral_loss(w1, &net);
    let products = HessianVectorProduct::new(|w1| spiral_loss(w1, &net), w);
    let (_, gradient, hv) = products.at(w, v);
    assert_close("gradient", &gradient, loss.backward().wrt(w1), 1e-12);
    // H·v against central differences of the gradient along v.
    let h = 1e-5;
    let along = |s: f64| {
        w1.set_value(w + v * s);
        *loss.backward().wrt(w1)
    };
    assert_close("H·v", &hv, &((along(h) - along(-h)) / (2.0 * h)), 1e-6);

    let key = ("HVP", "f64", "gradient");
    run(c, key, "gradient", || {
        w1.set_value(black_box(w));
        loss.backward().wrt(w1)[0]
    });
    run(c, key, "hvp", || products.at(black_box(w), black_box(v)));
}

// HESS ----------------------------------------------------------------------------------------

fn rosenbrock<'g, T: Real>(x: Var<'g, T, 10, 1>) -> Var<'g, T, 1, 1> {
    let (head, tail) = (x.fixed_view::<9, 1, 0, 0>(), x.fixed_view::<9, 1, 1, 0>());
    let hundred: T = nalgebra::convert(100.0);
    let ones = (-head).add_scalar(T::one());
    (tail - head.square()).square().scale(hundred).sum() + ones.square().sum()
}

fn hess(c: &mut Criterion) {
    let x0: SVector<f64, 10> = random(&mut rng(6), 1.5);
    let exact = Hessian::new(rosenbrock, x0);
    let g = Graph::<f64>::new();
    let x = g.var(x0);
    let f = rosenbrock(x);
    assert_close(
        "exact",
        &exact.at(x0).2,
        &jacobian::numerical_hessian(f, x, 6e-6),
        1e-8,
    );

    let key = ("HESS", "f64", "fd");
    run(c, key, "fd", || {
        jacobian::numerical_hessian(f, x, black_box(6e-6))
    });
    run(c, key, "exact", || exact.at(black_box(x0)));
}

fn main() {
    let mut c = Criterion::default()
        .output_directory(&medians::output_directory())
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    w5(&mut c);
    w5_f32(&mut c);
    hvp(&mut c);
    hess(&mut c);
    c.final_summary();
    println!();
    let mut ran = RAN.lock().unwrap().clone();
    ran.dedup();
    let mut lines: Vec<Ran> = ran
        .iter()
        .filter(|(_, _, baseline, name)| name != baseline)
        .copied()
        .collect();
    for (workload, precision, _, _) in ran.iter().filter(|(_, _, b, n)| b == n) {
        for (w, name, baseline) in ALSO.iter().filter(|(w, _, _)| w == workload) {
            lines.push((w, precision, baseline, name));
        }
    }
    // A baseline timed in several groups is listed once per group: one line per pair.
    let mut seen = std::collections::HashSet::new();
    lines.retain(|line| seen.insert(*line));
    for (workload, precision, baseline, name) in lines {
        let group = format!("{workload}_{precision}");
        if let (Some(base), Some(time)) = (
            medians::median_ns(&group, baseline),
            medians::median_ns(&group, name),
        ) {
            println!(
                "ratio {workload} {name}/{baseline} {:.2} {precision} ({time:.0} ns vs {base:.0} ns)",
                time / base
            );
        }
    }
}
