//! Matrix-shaped inputs and outputs in `second_order`: a linear model-predictive-control
//! rollout driven by a 20×2 control sequence U (no reshaping inside the function), with its
//! closed forms. xₜ₊₁ = A·xₜ + B·uₜ (uₜ = row t of U, 4 states), the trajectory X (4×20,
//! column t = xₜ₊₁) and the cost Σₜ xₜ₊₁ᵀ·Q·xₜ₊₁ + uₜᵀ·R·uₜ.
//!
//! In nalgebra's column-major order U[s, c] is entry `s + 20·c` of vec(U) and X[i, t] entry
//! `i + 4·t` of vec(X), so the flat Jacobian G = ∂vec(X)/∂vec(U) (80×40) has the blocks
//! `G[(i + 4t, s + 20c)] = (A^(t−s)·B)[(i, c)]` for s ≤ t (0 otherwise), and the cost's flat
//! Hessian is `2·(Gᵀ·(I₂₀ ⊗ Q)·G + R ⊗ I₂₀)`. Both families are checked against them: the
//! graph's `forward_jacobian_flat`, `ForwardJacobian::new_flat`, `hessian_flat` and `hvp`, and
//! the plain functions' `jacobian_of_fn_flat`, `jvp_of_fn` and `hessian_of_fn_flat`.

use crate::common;

use common::{random, rng};
use nalgebra::{Matrix1, Matrix2, Matrix4, Matrix4x2, SMatrix, SVector, Vector4};
use shapegrad::second_order::{
    ForwardJacobian, forward_jacobian_flat, hessian_flat, hessian_of_fn_flat, hvp,
    jacobian_of_fn_flat, jvp_of_fn,
};
use shapegrad::{Real, Var};

const STEPS: usize = 20;

fn a() -> Matrix4<f64> {
    Matrix4::new(
        1.0, 0.1, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.1, 0.0, 0.0, 0.0, 1.0,
    )
}
fn b() -> Matrix4x2<f64> {
    Matrix4x2::new(0.005, 0.0, 0.1, 0.0, 0.0, 0.005, 0.0, 0.1)
}
fn q() -> Matrix4<f64> {
    Matrix4::from_diagonal(&Vector4::new(1.0, 0.1, 1.0, 0.1))
}
fn r() -> Matrix2<f64> {
    Matrix2::new(0.02, 0.005, 0.005, 0.01)
}
const X0: Vector4<f64> = Vector4::new(1.0, 0.0, -0.5, 0.2);

/// X (4×20) on the graph: column t is placed by the product with the constant row eₜᵀ.
fn trajectory<'g, T: Real>(u: Var<'g, T, STEPS, 2>) -> Var<'g, T, 4, STEPS> {
    let g = u.graph();
    let (a, b) = (g.constant(a().cast::<T>()), g.constant(b().cast::<T>()));
    let mut x = g.constant(X0.cast::<T>());
    let mut states = g.constant(SMatrix::zeros());
    for t in 0..STEPS {
        x = a * x + b * u.row(t).transpose();
        let e_t = SMatrix::<f64, 1, STEPS>::from_fn(|_, c| if c == t { 1.0 } else { 0.0 });
        states = states + x * g.constant(e_t.cast::<T>());
    }
    states
}

fn cost<'g, T: Real>(u: Var<'g, T, STEPS, 2>) -> Var<'g, T, 1, 1> {
    let g = u.graph();
    let (a, b) = (g.constant(a().cast::<T>()), g.constant(b().cast::<T>()));
    let (q, r) = (g.constant(q().cast::<T>()), g.constant(r().cast::<T>()));
    let mut x = g.constant(X0.cast::<T>());
    let mut total = g.constant(Matrix1::zeros());
    for t in 0..STEPS {
        let u_t = u.row(t).transpose();
        x = a * x + b * u_t;
        total = total + x.dot(q * x) + u_t.dot(r * u_t);
    }
    total
}

fn trajectory_by_hand<T: Real>(u: &SMatrix<T, STEPS, 2>) -> SMatrix<T, 4, STEPS> {
    let (a, b) = (a().cast::<T>(), b().cast::<T>());
    let mut x = X0.cast::<T>();
    SMatrix::from_columns(&std::array::from_fn::<_, STEPS, _>(|t| {
        x = a * x + b * u.row(t).transpose();
        x
    }))
}

fn cost_by_hand<T: Real>(u: &SMatrix<T, STEPS, 2>) -> Matrix1<T> {
    let (a, b, q, r) = (
        a().cast::<T>(),
        b().cast::<T>(),
        q().cast::<T>(),
        r().cast::<T>(),
    );
    let (mut x, mut total) = (X0.cast::<T>(), T::zero());
    for t in 0..STEPS {
        let u_t = u.row(t).transpose();
        x = a * x + b * u_t;
        total = total + x.dot(&(q * x)) + u_t.dot(&(r * u_t));
    }
    Matrix1::new(total)
}

/// The closed forms: G (80×40), vec(X) at U, the cost's gradient (20×2) and Hessian (40×40).
struct Closed {
    g: SMatrix<f64, 80, 40>,
    x: SMatrix<f64, 4, STEPS>,
    gradient: SMatrix<f64, STEPS, 2>,
    hessian: SMatrix<f64, 40, 40>,
}

fn closed(u: &SMatrix<f64, STEPS, 2>) -> Closed {
    let mut g = SMatrix::<f64, 80, 40>::zeros();
    let mut free = SMatrix::<f64, 4, STEPS>::zeros(); // the states with U = 0
    let mut power = Matrix4::identity(); // A^(t−s) for s = t − k, built up as k grows
    let mut a_t = X0;
    for k in 0..STEPS {
        let block = power * b();
        for t in k..STEPS {
            let s = t - k;
            for (i, c) in (0..4).flat_map(|i| (0..2).map(move |c| (i, c))) {
                g[(i + 4 * t, s + STEPS * c)] = block[(i, c)];
            }
        }
        power *= a();
        a_t = a() * a_t;
        free.set_column(k, &a_t);
    }
    let vec_u = SVector::<f64, 40>::from_column_slice(u.as_slice());
    let vec_x = g * vec_u + SVector::<f64, 80>::from_column_slice(free.as_slice());
    let q_bar = SMatrix::<f64, STEPS, STEPS>::identity().kronecker(&q());
    let r_bar = r().kronecker(&SMatrix::<f64, STEPS, STEPS>::identity());
    let gradient = (g.transpose() * q_bar * vec_x + r_bar * vec_u) * 2.0;
    Closed {
        g,
        x: SMatrix::from_column_slice(vec_x.as_slice()),
        gradient: SMatrix::from_column_slice(gradient.as_slice()),
        hessian: (g.transpose() * q_bar * g + r_bar) * 2.0,
    }
}

/// max |got − want| ≤ tol · max |want|, naming the entry.
fn assert_relative<const R: usize, const C: usize>(
    what: &str,
    got: &SMatrix<f64, R, C>,
    want: &SMatrix<f64, R, C>,
    tol: f64,
) {
    let scale = want.amax().max(f64::MIN_POSITIVE);
    for (k, (x, y)) in got.iter().zip(want.iter()).enumerate() {
        assert!(
            (x - y).abs() <= tol * scale,
            "{what}: entry {k} (column-major) is {x}, expected {y} (tolerance {tol} × {scale})"
        );
    }
}

#[test]
fn graph_entry_points_take_the_20x2_control_sequence_as_it_is() {
    let replayed: ForwardJacobian<40, 80, STEPS, 2, 4, STEPS> =
        ForwardJacobian::new_flat(trajectory, SMatrix::zeros());
    for seed in 0..3 {
        let u = random::<STEPS, 2>(&mut rng(seed));
        let closed = closed(&u);
        let (x, g): (_, SMatrix<f64, 80, 40>) = forward_jacobian_flat(trajectory, u);
        assert_relative("trajectory", &x, &closed.x, 1e-14);
        assert_relative("flat Jacobian", &g, &closed.g, 1e-14);
        assert_eq!(replayed.at(u), (x, g), "replayed vs fresh");

        let (_, gradient, h): (_, _, SMatrix<f64, 40, 40>) = hessian_flat(cost, u);
        assert_relative("gradient", &gradient, &closed.gradient, 1e-12);
        assert_relative("flat Hessian", &h, &closed.hessian, 1e-12);

        let v = random::<STEPS, 2>(&mut rng(seed + 10));
        let (_, _, hv) = hvp(cost, u, v);
        let flat_hv = closed.hessian * SVector::<f64, 40>::from_column_slice(v.as_slice());
        let flat_hv = SMatrix::<f64, STEPS, 2>::from_column_slice(flat_hv.as_slice());
        assert_relative("H·v in U's shape", &hv, &flat_hv, 1e-12);
    }
}

#[test]
fn plain_entry_points_take_the_20x2_control_sequence_as_it_is() {
    for seed in 20..23 {
        let u = random::<STEPS, 2>(&mut rng(seed));
        let closed = closed(&u);
        let (x, g): (_, SMatrix<f64, 80, 40>) = jacobian_of_fn_flat(trajectory_by_hand, u);
        assert_eq!(x, trajectory_by_hand(&u));
        assert_relative("trajectory", &x, &closed.x, 1e-14);
        assert_relative("flat Jacobian", &g, &closed.g, 1e-14);
        let (_, g_graph): (_, SMatrix<f64, 80, 40>) = forward_jacobian_flat(trajectory, u);
        assert_relative("flat Jacobian, plain vs graph", &g, &g_graph, 1e-15);

        let v = random::<STEPS, 2>(&mut rng(seed + 10));
        let (_, gv) = jvp_of_fn(trajectory_by_hand, u, v);
        let flat = closed.g * SVector::<f64, 40>::from_column_slice(v.as_slice());
        assert_relative(
            "J·v",
            &gv,
            &SMatrix::from_column_slice(flat.as_slice()),
            1e-14,
        );

        // Dual2SVec<f64, 40> is 13 KB per scalar: a thread with room for the debug build's
        // temporaries on the stack.
        let (_, gradient, h): (_, _, SMatrix<f64, 40, 40>) = std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn(move || hessian_of_fn_flat(cost_by_hand, u))
            .unwrap()
            .join()
            .unwrap();
        assert_relative("gradient", &gradient, &closed.gradient, 1e-12);
        assert_relative("flat Hessian", &h, &closed.hessian, 1e-12);
        let (_, _, h_graph): (_, _, SMatrix<f64, 40, 40>) = hessian_flat(cost, u);
        // Forward over forward against forward over reverse, 20 steps of sums rounded in other
        // orders: a few ulp of the largest entry.
        assert_relative("flat Hessian, plain vs graph", &h, &h_graph, 1e-14);
    }
}

#[test]
fn the_20x2_control_sequence_in_f32() {
    // The chain of roundings grows with the horizon: each step adds a 4×4 and a 4×2 product
    // (some 8 roundings, each within ε/2), 160 over 20 steps; 256·ε relative to the largest
    // entry leaves a margin (tests/integration/second_order_f32.rs states the other f32 bounds).
    let tol = |want: f64| 256.0 * f64::from(f32::EPSILON) * want;
    for seed in 40..42 {
        let u = random::<STEPS, 2>(&mut rng(seed)).cast::<f32>();
        let closed = closed(&u.cast::<f64>());
        let (_, g): (_, SMatrix<f32, 80, 40>) = forward_jacobian_flat(trajectory, u);
        let (_, g_plain): (_, SMatrix<f32, 80, 40>) = jacobian_of_fn_flat(trajectory_by_hand, u);
        let (_, gradient, h): (_, _, SMatrix<f32, 40, 40>) = hessian_flat(cost, u);
        for (what, got, want) in [
            (
                "flat Jacobian",
                g.cast::<f64>().as_slice().to_vec(),
                closed.g.as_slice(),
            ),
            (
                "flat Jacobian, plain",
                g_plain.cast::<f64>().as_slice().to_vec(),
                closed.g.as_slice(),
            ),
            (
                "gradient",
                gradient.cast::<f64>().as_slice().to_vec(),
                closed.gradient.as_slice(),
            ),
            (
                "flat Hessian",
                h.cast::<f64>().as_slice().to_vec(),
                closed.hessian.as_slice(),
            ),
        ] {
            let scale = want.iter().fold(0.0_f64, |m, w| m.max(w.abs()));
            for (k, (a, b)) in got.iter().zip(want).enumerate() {
                assert!(
                    (a - b).abs() <= tol(scale),
                    "{what} in f32: entry {k} is {a}, expected {b} (tolerance {:e})",
                    tol(scale)
                );
            }
        }
    }
}
