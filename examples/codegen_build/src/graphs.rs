//! The two graphs this crate generates code from, built once by `build.rs` (which writes their
//! modules) and again by the examples and tests (which compare with them).
#![allow(dead_code)] // each includer uses its own subset

use nalgebra::{Matrix2, Matrix4, Matrix4x2, SMatrix, Vector3, Vector4};
use shapegrad::codegen::Module;
use shapegrad::{Graph, Var};

#[path = "../../robot_arm/arm.rs"]
mod arm;

/// The planar 3-link arm of `examples/robot_arm` (links 1.0, 0.8, 0.5): joint angles `q`
/// (3×1) → the tip `p` (2×1).
pub fn arm(g: &Graph<f64>) -> (Var<'_, f64, 3, 1>, Var<'_, f64, 2, 1>) {
    let q = g.var_named("q", Vector3::new(0.3, -0.7, 1.1));
    (q, arm::tip(q))
}

pub fn arm_module<'g>(q: Var<'g, f64, 3, 1>, p: Var<'g, f64, 2, 1>) -> Module<'g, f64> {
    Module::new("arm").input(q).output_named("p", p)
}

/// The MPC horizon.
pub const STEPS: usize = 20;

/// The MPC system: a double integrator in two axes (position and velocity per axis,
/// dt = 0.1), the cost weights Q and R.
pub fn system() -> (Matrix4<f64>, Matrix4x2<f64>, Matrix4<f64>, Matrix2<f64>) {
    let dt = 0.1;
    #[rustfmt::skip]
    let a = Matrix4::new(
        1.0, dt, 0.0, 0.0,
        0.0, 1.0, 0.0, 0.0,
        0.0, 0.0, 1.0, dt,
        0.0, 0.0, 0.0, 1.0,
    );
    let h = 0.5 * dt * dt;
    #[rustfmt::skip]
    let b = Matrix4x2::new(
        h, 0.0,
        dt, 0.0,
        0.0, h,
        0.0, dt,
    );
    let q = Matrix4::from_diagonal(&Vector4::new(1.0, 0.1, 1.0, 0.1));
    (a, b, q, Matrix2::identity() * 0.01)
}

/// A shooting MPC cost: from the state `x0` (4×1, a parameter), the commands `u` (2×20, one
/// column per step) drive x_{t+1} = A·x_t + B·u_t, and the cost is
/// J = Σ_{t=1..20} x_tᵀQx_t + Σ_{t<20} u_tᵀRu_t.
pub fn mpc(
    g: &Graph<f64>,
) -> (
    Var<'_, f64, 4, 1>,
    Var<'_, f64, 2, STEPS>,
    Var<'_, f64, 1, 1>,
) {
    let (a, b, q, r) = system();
    let x0 = g.constant_named("x0", Vector4::new(1.0, 0.0, -0.5, 0.2));
    let u = g.var_named("u", SMatrix::<f64, 2, STEPS>::zeros());
    let (a, b, q, r) = (g.constant(a), g.constant(b), g.constant(q), g.constant(r));
    let mut x = x0;
    let mut cost = None;
    for k in 0..STEPS {
        let u_k = u.column(k);
        x = a * x + b * u_k;
        let stage = x.dot(q * x) + u_k.dot(r * u_k);
        cost = Some(match cost {
            None => stage,
            Some(cost) => cost + stage,
        });
    }
    (x0, u, cost.expect("at least one step"))
}

pub fn mpc_module<'g>(
    x0: Var<'g, f64, 4, 1>,
    u: Var<'g, f64, 2, STEPS>,
    cost: Var<'g, f64, 1, 1>,
) -> Module<'g, f64> {
    Module::new("mpc")
        .input(x0)
        .input(u)
        .output_named("cost", cost)
}
