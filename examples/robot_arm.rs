//! A planar 3-link arm (links 1.0, 0.8, 0.5) built from shapegrad's ops: its Jacobian by
//! forward mode next to the analytic one, damped least-squares inverse kinematics, and Newton
//! steps on a smooth cost with the exact Hessian next to the central-difference one.
//!
//! The arm is one function generic over the scalar (`robot_arm/arm.rs`): on `f64` it gives
//! positions and reverse-mode gradients; `second_order` runs the same function on dual
//! scalars for the forward-mode Jacobian and the exact Hessian.
//!
//! Run: `cargo run --release --example robot_arm`

#[path = "robot_arm/arm.rs"]
mod arm;

use nalgebra::{Matrix2, Matrix2x3, Matrix3, SMatrix, Vector2, Vector3};
use shapegrad::jacobian::{self, jacobian};
use shapegrad::second_order::{ForwardJacobian, Hessian};
use shapegrad::{Graph, Real, Var};

/// The cost of the Newton part: ½‖tip(q) − target‖² + ½·μ·‖q − rest‖², smooth, with a unique
/// minimum near a reachable target (the second term picks one of the redundant arm's poses).
fn cost<'g, T: Real>(q: Var<'g, T, 3, 1>, target: &Vector2<f64>) -> Var<'g, T, 1, 1> {
    let g = q.graph();
    let error = arm::tip(q) - g.constant(target.cast::<T>());
    let away = q - g.constant(REST.cast::<T>());
    let (half, mu): (T, T) = (nalgebra::convert(0.5), nalgebra::convert(MU));
    (error.norm_squared() + away.norm_squared().scale(mu)).scale(half)
}

const MU: f64 = 0.1;
const REST: Vector3<f64> = Vector3::new(0.0, 0.5, 0.5);

fn row<const C: usize>(m: &SMatrix<f64, 2, C>, i: usize) -> String {
    (0..C).map(|j| format!("{:10.6}", m[(i, j)])).collect()
}

fn main() {
    // 1. The Jacobian: forward mode (dual scalars), reverse mode, by hand.
    let q0 = Vector3::new(0.3, 0.6, -0.4);
    let forward = ForwardJacobian::new(arm::tip, q0); // built once, replayed below
    let (tip, jac): (Vector2<f64>, Matrix2x3<f64>) = forward.at(q0);
    let g = Graph::<f64>::new();
    let q = g.var(q0);
    let reverse: Matrix2x3<f64> = jacobian(arm::tip(q), q);
    let analytic = arm::analytic_jacobian(&q0);
    println!(
        "planar arm, links {:?}, q = {:?}",
        arm::LINKS,
        q0.as_slice()
    );
    println!(
        "tip {:?} (by hand {:?})",
        tip.as_slice(),
        arm::tip_by_hand(&q0).as_slice()
    );
    println!("Jacobian ∂tip/∂q (2×3): forward mode | analytic");
    for i in 0..2 {
        println!("  [{} ] | [{} ]", row(&jac, i), row(&analytic, i));
    }
    println!(
        "max |forward − analytic| = {:.1e}, max |reverse − analytic| = {:.1e}",
        (jac - analytic).amax(),
        (reverse - analytic).amax()
    );

    // 2. Damped least squares: Δq = Jᵀ·(J·Jᵀ + λ²·I)⁻¹·e.
    let target = Vector2::new(1.2, 1.1);
    let lambda: f64 = 0.01;
    println!(
        "\ninverse kinematics to {:?}, damping λ = {lambda}",
        target.as_slice()
    );
    let mut q = q0;
    let mut error = f64::INFINITY;
    for iteration in 0..30 {
        let (tip, jac) = forward.at(q);
        let e = target - tip;
        error = e.norm();
        println!("  iteration {iteration:2}  error {error:.3e}");
        if error < 1e-12 {
            break;
        }
        let damped = jac * jac.transpose() + Matrix2::identity() * lambda.powi(2);
        let step = damped
            .try_inverse()
            .expect("J·Jᵀ + λ²·I is positive definite")
            * e;
        q += jac.transpose() * step;
    }
    assert!(
        error < 1e-10,
        "inverse kinematics stopped at error {error:e}"
    );
    println!("reached: q = {:?}, error {error:.1e}", q.as_slice());

    // 3. Newton steps on a smooth cost: the exact Hessian (one backward pass over
    //    DualSVec64<3>) next to central differences of the exact gradient (6 passes).
    let goal = Vector2::new(0.9, 1.3);
    let exact = Hessian::new(|q| cost(q, &goal), q); // built once, replayed below
    let g = Graph::<f64>::new();
    let qv = g.var(q);
    let c = cost(qv, &goal);
    let (value, gradient, h): (f64, Vector3<f64>, Matrix3<f64>) = exact.at(q);
    let numeric = jacobian::numerical_hessian(c, qv, 6e-6);
    println!(
        "\nNewton on ½‖tip − {:?}‖² + ½·{MU}·‖q − rest‖²",
        goal.as_slice()
    );
    println!("Hessian (3×3): exact | central differences of the gradient (h = 6e-6)");
    for i in 0..3 {
        let r = |m: &Matrix3<f64>| {
            (0..3)
                .map(|j| format!("{:10.6}", m[(i, j)]))
                .collect::<String>()
        };
        println!("  [{} ] | [{} ]", r(&h), r(&numeric));
    }
    println!(
        "max |exact − central differences| = {:.1e}",
        (h - numeric).amax()
    );
    let step_exact = h.try_inverse().expect("the Hessian is invertible") * gradient;
    let step_numeric = numeric.try_inverse().expect("the Hessian is invertible") * gradient;
    println!(
        "Newton step −H⁻¹∇c: exact {:?}, central differences differ by {:.1e}",
        (-step_exact).as_slice(),
        (step_exact - step_numeric).amax()
    );
    let (mut q, mut value, mut gradient) = (q, value, gradient);
    for step in 0..8 {
        println!(
            "  step {step}  cost {value:.15}  |∇c| {:.3e}",
            gradient.norm()
        );
        if gradient.norm() < 1e-14 {
            break;
        }
        let (_, _, h) = exact.at(q);
        q -= h.try_inverse().expect("the Hessian is invertible") * gradient;
        (value, gradient, _) = exact.at(q);
    }
    assert!(
        gradient.norm() < 1e-12,
        "Newton stopped at |∇c| = {:e}",
        gradient.norm()
    );
    println!(
        "minimum: q = {:?}, tip {:?}",
        q.as_slice(),
        arm::tip_by_hand(&q).as_slice()
    );
}
