//! Exact second order and forward-mode Jacobians (`shapegrad::second_order`) against closed
//! forms (to 1e-12 relative) and against the central-difference versions (within their
//! error): xᵀAx, Rosenbrock, Σ tanh(W·x)² (with respect to x, and to W flattened
//! column-major), the 3-link arm's Jacobian, and the geometry ops cross and norm.

#[path = "../../examples/robot_arm/arm.rs"]
mod arm;
use crate::common;

use common::{random, rng};
use nalgebra::{SMatrix, SVector, Vector3};
use shapegrad::jacobian::{self, jacobian, numerical_jacobian};
use shapegrad::num_dual::{Dual2_64, HyperDual64};
use shapegrad::second_order::{
    ForwardJacobian, Hessian, HessianVectorProduct, forward_jacobian, hessian, hessian_flat, hvp,
};
use shapegrad::{Graph, Real, Var};

/// max |got − want| ≤ tol · max |want| (the closed form's largest entry), naming the entry.
fn assert_relative<const R: usize, const C: usize>(
    what: &str,
    got: &SMatrix<f64, R, C>,
    want: &SMatrix<f64, R, C>,
    tol: f64,
) {
    let scale = want.amax().max(f64::MIN_POSITIVE);
    for (k, (a, b)) in got.iter().zip(want.iter()).enumerate() {
        assert!(
            (a - b).abs() <= tol * scale,
            "{what}: entry {k} (column-major) is {a}, expected {b} (tolerance {tol} × {scale})"
        );
    }
}

/// The central-difference Hessian of `f` on a plain f64 graph (2N gradient passes).
fn numerical_hessian<const N: usize>(
    f: impl for<'g> FnOnce(Var<'g, f64, N, 1>) -> Var<'g, f64, 1, 1>,
    x: SVector<f64, N>,
) -> SMatrix<f64, N, N> {
    let g = Graph::<f64>::new();
    let xv = g.var(x);
    jacobian::numerical_hessian(f(xv), xv, 6e-6)
}

// xᵀ·A·x: gradient (A + Aᵀ)·x, Hessian A + Aᵀ.

fn quadratic<'g, T: Real>(x: Var<'g, T, 5, 1>, a: &SMatrix<f64, 5, 5>) -> Var<'g, T, 1, 1> {
    x.transpose() * (x.graph().constant(a.cast::<T>()) * x)
}

#[test]
fn quadratic_form() {
    let a = random::<5, 5>(&mut rng(1));
    let sym = a + a.transpose();
    for seed in 2..5 {
        let (x, v) = (
            random::<5, 1>(&mut rng(seed)),
            random::<5, 1>(&mut rng(seed + 100)),
        );
        let (value, gradient, h) = hessian(|x| quadratic(x, &a), x);
        assert!((value - (x.transpose() * a * x)[0]).abs() < 1e-14);
        assert_relative("gradient", &gradient, &(sym * x), 1e-12);
        assert_relative("Hessian", &h, &sym, 1e-12);
        let (_, _, hv) = hvp(|x| quadratic(x, &a), x, v);
        assert_relative("H·v", &hv, &(sym * v), 1e-12);
        let numeric = numerical_hessian(|x| quadratic(x, &a), x);
        assert_relative("central differences", &numeric, &h, 1e-8);
    }
}

// Rosenbrock in N dimensions: Σᵢ 100·(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)², i < N − 1 = M.

fn rosenbrock<'g, T: Real, const N: usize, const M: usize>(
    x: Var<'g, T, N, 1>,
) -> Var<'g, T, 1, 1> {
    const { assert!(M + 1 == N, "rosenbrock: M = N − 1") };
    let (head, tail) = (x.fixed_view::<M, 1, 0, 0>(), x.fixed_view::<M, 1, 1, 0>());
    let hundred: T = nalgebra::convert(100.0);
    (tail - head.square()).square().scale(hundred).sum()
        + (-head).add_scalar(T::one()).square().sum()
}

/// The closed form: tridiagonal, H[i,i] = 2 + 1200·xᵢ² − 400·xᵢ₊₁ (i < N − 1) + 200 (i > 0),
/// H[i,i+1] = H[i+1,i] = −400·xᵢ.
fn rosenbrock_hessian<const N: usize>(x: &SVector<f64, N>) -> SMatrix<f64, N, N> {
    let mut h = SMatrix::<f64, N, N>::zeros();
    for i in 0..N {
        if i + 1 < N {
            h[(i, i)] += 2.0 + 1200.0 * x[i] * x[i] - 400.0 * x[i + 1];
            h[(i, i + 1)] = -400.0 * x[i];
            h[(i + 1, i)] = -400.0 * x[i];
        }
        if i > 0 {
            h[(i, i)] += 200.0;
        }
    }
    h
}

#[test]
fn rosenbrock_in_two_dimensions_at_several_points() {
    let points = [
        [1.0, 1.0],
        [-1.2, 1.0],
        [0.0, 0.0],
        [0.5, -0.3],
        [2.0, 4.0],
        [-0.7, 3.1],
    ];
    for p in points {
        let x = SVector::<f64, 2>::from(p);
        let (value, gradient, h) = hessian(rosenbrock::<_, 2, 1>, x);
        let (a, b) = (x[0], x[1]);
        assert!((value - ((1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2))).abs() < 1e-12);
        let closed = SVector::<f64, 2>::new(
            -2.0 * (1.0 - a) - 400.0 * a * (b - a * a),
            200.0 * (b - a * a),
        );
        assert_relative("gradient", &gradient, &closed, 1e-12);
        assert_relative("Hessian", &h, &rosenbrock_hessian(&x), 1e-12);
        let numeric = numerical_hessian(rosenbrock::<_, 2, 1>, x);
        assert_relative("central differences", &numeric, &h, 1e-8);
    }
}

#[test]
fn rosenbrock_in_ten_dimensions() {
    for seed in 10..14 {
        let x = random::<10, 1>(&mut rng(seed)) * 1.5;
        let (_, _, h) = hessian(rosenbrock::<_, 10, 9>, x);
        assert_relative("Hessian", &h, &rosenbrock_hessian(&x), 1e-12);
        let numeric = numerical_hessian(rosenbrock::<_, 10, 9>, x);
        assert_relative("central differences", &numeric, &h, 1e-8);
        let v = random::<10, 1>(&mut rng(seed + 50));
        let (_, _, hv) = hvp(rosenbrock::<_, 10, 9>, x, v);
        assert_relative("H·v", &hv, &(rosenbrock_hessian(&x) * v), 1e-12);
    }
    let ones = SVector::<f64, 10>::repeat(1.0); // the minimum
    let (value, gradient, _) = hessian(rosenbrock::<_, 10, 9>, ones);
    assert_eq!((value, gradient), (0.0, SVector::zeros()));
}

// Σ tanh(W·x)², g(z) = tanh² z: g' = 2t(1 − t²), g'' = 2(1 − t²)(1 − 3t²), t = tanh z.

fn tanh_energy<'g, T: Real>(w: Var<'g, T, 4, 3>, x: Var<'g, T, 3, 1>) -> Var<'g, T, 1, 1> {
    (w * x).tanh().square().sum()
}

/// The energy as a function of x for a fixed W (data passed as an argument).
fn energy_of_x<'g, T: Real>(x: Var<'g, T, 3, 1>, w: &SMatrix<f64, 4, 3>) -> Var<'g, T, 1, 1> {
    tanh_energy(x.graph().constant(w.cast()), x)
}

/// The energy as a function of W for a fixed x.
fn energy_of_w<'g, T: Real>(w: Var<'g, T, 4, 3>, x: &Vector3<f64>) -> Var<'g, T, 1, 1> {
    tanh_energy(w, w.graph().constant(x.cast()))
}

fn second_derivatives(w: &SMatrix<f64, 4, 3>, x: &Vector3<f64>) -> SVector<f64, 4> {
    (w * x).map(|z| {
        let t = z.tanh();
        2.0 * (1.0 - t * t) * (1.0 - 3.0 * t * t)
    })
}

#[test]
fn tanh_energy_with_respect_to_x() {
    let w = random::<4, 3>(&mut rng(20)) * 1.5;
    for seed in 21..24 {
        let x = random::<3, 1>(&mut rng(seed));
        let (_, _, h) = hessian(|x| energy_of_x(x, &w), x);
        let closed = w.transpose() * SMatrix::from_diagonal(&second_derivatives(&w, &x)) * w;
        assert_relative("Hessian", &h, &closed, 1e-12);
        let numeric = numerical_hessian(|x| energy_of_x(x, &w), x);
        assert_relative("central differences", &numeric, &h, 1e-8);
        let v = random::<3, 1>(&mut rng(seed + 10));
        let (_, _, hv) = hvp(|x| energy_of_x(x, &w), x, v);
        assert_relative("H·v", &hv, &(closed * v), 1e-12);
    }
}

#[test]
fn tanh_energy_with_respect_to_w_flattened_column_major() {
    // ∂²f/∂W[i,j]∂W[k,l] = [i = k]·g''(zᵢ)·xⱼ·xₗ; W[i,j] is index i + 4j, so H = (x·xᵀ) ⊗ diag(g'').
    let x = random::<3, 1>(&mut rng(30));
    for seed in 31..34 {
        let w = random::<4, 3>(&mut rng(seed)) * 1.5;
        let (_, gradient, h): (_, _, SMatrix<f64, 12, 12>) =
            hessian_flat(|w| energy_of_w(w, &x), w);
        let closed =
            (x * x.transpose()).kronecker(&SMatrix::from_diagonal(&second_derivatives(&w, &x)));
        assert_relative("flat Hessian", &h, &closed, 1e-12);
        let first = (w * x).map(|z| 2.0 * z.tanh() * (1.0 - z.tanh().powi(2)));
        assert_relative("gradient", &gradient, &(first * x.transpose()), 1e-12);

        // Central differences on vec(W), through the Reshape op (also column-major).
        let w_flat = SVector::<f64, 12>::from_column_slice(w.as_slice());
        let numeric = numerical_hessian(|w| energy_of_w(w.reshape::<4, 3>(), &x), w_flat);
        assert_relative("central differences", &numeric, &h, 1e-8);

        // H·v with v of W's shape is the flat Hessian applied to vec(v).
        let v = random::<4, 3>(&mut rng(seed + 10));
        let (_, _, hv) = hvp(|w| energy_of_w(w, &x), w, v);
        let flat_hv = h * SVector::<f64, 12>::from_column_slice(v.as_slice());
        assert_relative(
            "H·v",
            &SVector::<f64, 12>::from_column_slice(hv.as_slice()),
            &flat_hv,
            1e-12,
        );
    }
}

#[test]
fn arm_jacobian_against_the_analytic_one() {
    let forward = ForwardJacobian::new(arm::tip, Vector3::zeros());
    for seed in 40..46 {
        let q = random::<3, 1>(&mut rng(seed)) * 3.0;
        let analytic = arm::analytic_jacobian(&q);
        let (tip, jac) = forward_jacobian(arm::tip, q);
        assert_relative("tip", &tip, &arm::tip_by_hand(&q), 1e-12);
        assert_relative("forward mode", &jac, &analytic, 1e-12);
        assert_eq!(forward.at(q), (tip, jac), "replayed vs fresh");

        let g = Graph::<f64>::new();
        let qv = g.var(q);
        let y = arm::tip(qv);
        assert_relative("reverse mode", &jacobian(y, qv), &analytic, 1e-12);
        assert_relative(
            "central differences",
            &numerical_jacobian(y, qv, 6e-6),
            &analytic,
            1e-9,
        );
    }
}

#[test]
fn replayed_structs_equal_the_one_shot_functions() {
    let rosen = Hessian::new(rosenbrock::<_, 10, 9>, SVector::zeros());
    let products = HessianVectorProduct::new(rosenbrock::<_, 10, 9>, SVector::zeros());
    for seed in 50..53 {
        let (x, v) = (
            random::<10, 1>(&mut rng(seed)),
            random::<10, 1>(&mut rng(seed + 10)),
        );
        assert_eq!(rosen.at(x), hessian(rosenbrock::<_, 10, 9>, x));
        assert_eq!(products.at(x, v), hvp(rosenbrock::<_, 10, 9>, x, v));
        let (_, _, h) = rosen.at(x);
        assert_relative("H·v from H", &products.at(x, v).2, &(h * v), 1e-12);
    }
}

#[test]
fn hessian_is_symmetric_to_rounding() {
    let w = random::<4, 3>(&mut rng(60));
    let (_, _, h) = hessian(|x| energy_of_x(x, &w).exp(), random::<3, 1>(&mut rng(61)));
    assert_relative("symmetry", &h, &h.transpose(), 1e-14);
}

// The geometry ops: ‖a × b‖² (Hessian in a: 2(‖b‖²·I − b·bᵀ)) and ‖x‖ ((I − x̂·x̂ᵀ)/‖x‖).

fn cross_squared<'g, T: Real>(a: Var<'g, T, 3, 1>, b: &Vector3<f64>) -> Var<'g, T, 1, 1> {
    a.cross(a.graph().constant(b.cast::<T>())).norm_squared()
}

#[test]
fn geometry_ops_have_their_closed_form_hessians() {
    for seed in 70..74 {
        let (a, b) = (
            random::<3, 1>(&mut rng(seed)),
            random::<3, 1>(&mut rng(seed + 10)),
        );
        let (_, _, h) = hessian(|a| cross_squared(a, &b), a);
        let closed =
            (SMatrix::<f64, 3, 3>::identity() * b.norm_squared() - b * b.transpose()) * 2.0;
        assert_relative("‖a × b‖²", &h, &closed, 1e-12);

        let (_, gradient, h) = hessian(|x| x.norm(), a);
        let unit = a / a.norm();
        assert_relative("∇‖x‖", &gradient, &unit, 1e-12);
        let closed = (SMatrix::<f64, 3, 3>::identity() - unit * unit.transpose()) / a.norm();
        assert_relative("∇²‖x‖", &h, &closed, 1e-12);
    }
}

#[test]
fn other_dual_scalars_run_the_graph_too() {
    // Dual2_64 (second derivative of a function of one variable) and HyperDual64 (a mixed
    // second partial) satisfy shapegrad::Real; forward passes carry their parts.
    fn f<'g, T: Real>(x: Var<'g, T, 1, 1>) -> Var<'g, T, 1, 1> {
        x.sin().component_mul(x.square()) // x²·sin x
    }
    let x = 0.7_f64;
    let f2 = 2.0 * x.sin() + 4.0 * x * x.cos() - x * x * x.sin();
    let g = Graph::<Dual2_64>::new();
    let y = f(g.var(SMatrix::from_element(Dual2_64::new(x, 1.0, 0.0)))).value()[0];
    assert!((y.v2 - f2).abs() < 1e-14, "{} vs {f2}", y.v2);

    let g = Graph::<HyperDual64>::new();
    let a = g.var(SMatrix::<_, 1, 1>::from_element(HyperDual64::new(
        0.4, 1.0, 0.0, 0.0,
    )));
    let b = g.var(SMatrix::<_, 1, 1>::from_element(HyperDual64::new(
        -1.1, 0.0, 1.0, 0.0,
    )));
    let y = b.atan2(a).value()[0]; // ∂²atan2(b, a)/∂a∂b = (b² − a²)/(a² + b²)²
    let (av, bv) = (0.4_f64, -1.1_f64);
    let mixed = (bv * bv - av * av) / (av * av + bv * bv).powi(2);
    assert!(
        (y.eps1eps2 - mixed).abs() < 1e-14,
        "{} vs {mixed}",
        y.eps1eps2
    );
}

#[test]
fn the_replayed_structs_move_to_other_threads() {
    fn send<T: Send>(t: T) -> T {
        t
    }
    let hessian = send(Hessian::new(rosenbrock::<_, 2, 1>, SVector::zeros()));
    let forward = send(ForwardJacobian::new(arm::tip, Vector3::zeros()));
    let products = send(HessianVectorProduct::new(
        rosenbrock::<_, 2, 1>,
        SVector::zeros(),
    ));
    let worker = std::thread::spawn(move || {
        let x = SVector::<f64, 2>::new(1.0, 1.0);
        (
            hessian.at(x).2,
            forward.at(Vector3::zeros()).1,
            products.at(x, x).2,
        )
    });
    let (h, jac, hv) = worker.join().unwrap();
    assert_eq!(h, rosenbrock_hessian(&SVector::<f64, 2>::new(1.0, 1.0)));
    assert_eq!(jac, arm::analytic_jacobian(&Vector3::<f64>::zeros()));
    assert_eq!(hv, h * SVector::<f64, 2>::new(1.0, 1.0));
}
