//! Jacobians of vector functions, Jacobian products and Hessians, each against closed forms and
//! against central differences. Matrix → matrix Jacobians are in tests/integration/matrix_jacobian.rs.

use crate::common;
use common::{assert_close, random, rng};

use nalgebra::{Matrix1, Matrix3, RowVector4, SMatrix, Vector3, Vector4};
use shapegrad::check::GradcheckOptions;
use shapegrad::jacobian::{
    jacobian, jacobian_check, jacobian_of, jvp_central_difference, jvp_reverse_mode,
    numerical_hessian, numerical_jacobian, vjp,
};
use shapegrad::{Graph, Op, Real, Var};

/// tanh, element-wise, as a user-defined op (dX = dOut ∘ (1 − y²)); `BROKEN` forgets the
/// square (dX = dOut ∘ (1 − y)), the kind of bug a Jacobian check must catch.
struct Tanh<const BROKEN: bool>;

impl<T: Real, const R: usize, const C: usize, const BROKEN: bool> Op<T, (SMatrix<T, R, C>,)>
    for Tanh<BROKEN>
{
    type Output = SMatrix<T, R, C>;

    fn forward(&self, (x,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        x.map(|v| v.tanh())
    }

    fn backward(
        &self,
        _x: (&SMatrix<T, R, C>,),
        y: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        let local = y.map(|y| T::one() - if BROKEN { y } else { y * y });
        (d_out.component_mul(&local),)
    }
}

fn tanh<'g, const R: usize, const C: usize>(x: Var<'g, f64, R, C>) -> Var<'g, f64, R, C> {
    x.graph().apply(Tanh::<false>, (x,))
}

#[test]
fn jacobian_of_w_x_is_w() {
    let w = random::<4, 3>(&mut rng(1));
    let g = Graph::<f64>::new();
    let x = g.var(random::<3, 1>(&mut rng(2)));
    let y = g.constant(w) * x;
    let jac: SMatrix<f64, 4, 3> = jacobian(y, x);
    assert_close("jac", &jac, &w, 1e-15);
    assert_close(
        "numerical_jacobian(y",
        &numerical_jacobian(y, x, 1e-6),
        &w,
        1e-9,
    );
}

#[test]
fn jacobian_of_x_times_x_is_diag_2x() {
    let x0 = Vector4::new(0.5, -1.5, 2.0, 0.0);
    let g = Graph::<f64>::new();
    let x = g.var(x0);
    let jac = jacobian(x.component_mul(x), x);
    assert_eq!(jac, SMatrix::<f64, 4, 4>::from_diagonal(&(x0 * 2.0)));
}

#[test]
fn jacobian_of_relu_is_diag_of_the_positive_entries() {
    // Includes x = 0 exactly: the documented subgradient there is 0.
    let g = Graph::<f64>::new();
    let x = g.var(Vector4::new(0.3, -0.2, 0.0, 5.0));
    let jac = jacobian(x.relu(), x);
    let expected = Vector4::new(1.0, 0.0, 0.0, 1.0);
    assert_eq!(jac, SMatrix::<f64, 4, 4>::from_diagonal(&expected));
}

#[test]
fn jacobian_of_tanh_is_diag_one_minus_tanh_squared() {
    let x0 = random::<3, 1>(&mut rng(3)) * 2.0;
    let g = Graph::<f64>::new();
    let x = g.var(x0);
    let jac = jacobian(tanh(x), x);
    let expected = Matrix3::from_diagonal(&x0.map(|v| 1.0 - v.tanh().powi(2)));
    assert_close("jac", &jac, &expected, 1e-15);
    assert_close(
        "numerical_jacobian(tanh(x)",
        &numerical_jacobian(tanh(x), x, 1e-6),
        &expected,
        1e-9,
    );
}

#[test]
fn jacobian_of_a_composite_matches_its_closed_form_and_central_differences() {
    // y = (A·x) ∘ tanh(B·x) + C·x: J = diag(tanh(Bx))·A + diag(Ax ∘ (1 − tanh²(Bx)))·B + C.
    let (a, b, c) = (
        random::<4, 3>(&mut rng(4)),
        random::<4, 3>(&mut rng(5)),
        random::<4, 3>(&mut rng(6)),
    );
    let x0 = random::<3, 1>(&mut rng(7));
    let g = Graph::<f64>::new();
    let x = g.var(x0);
    let y = (g.constant(a) * x).component_mul(tanh(g.constant(b) * x)) + g.constant(c) * x;
    let (ax, t) = (a * x0, (b * x0).map(f64::tanh));
    let expected = SMatrix::<f64, 4, 4>::from_diagonal(&t) * a
        + SMatrix::<f64, 4, 4>::from_diagonal(&ax.component_mul(&t.map(|t| 1.0 - t * t))) * b
        + c;
    assert_close("jacobian(y", &jacobian(y, x), &expected, 1e-14);
    let report = jacobian_check(y, x, &GradcheckOptions::default());
    assert!(report.passed(), "{report}");
    assert_eq!(report.entries_checked, 12);
}

#[test]
fn jacobian_check_catches_a_wrong_backward_and_names_the_entry() {
    let g = Graph::<f64>::new();
    let x = g.var(Vector3::new(0.1, -0.8, 1.5));
    let y = g.apply(Tanh::<true>, (x,));
    let report = jacobian_check(y, x, &GradcheckOptions::default());
    assert!(!report.passed(), "{report}");
    let worst = report.worst.as_ref().unwrap();
    // 1 − t instead of 1 − t² (t = tanh x) on the diagonal; the relative error
    // |t − t²| / max(|1 − t|, |1 − t²|) is 0.09, 0.66, 0.48 for x = 0.1, −0.8, 1.5.
    let t = (-0.8_f64).tanh();
    assert_eq!(
        (worst.output, worst.input, worst.flat),
        ((1, 0), (1, 0), (1, 1))
    );
    assert!((worst.analytic - (1.0 - t)).abs() < 1e-15);
    assert!((worst.numeric - (1.0 - t * t)).abs() < 1e-9);
    assert!(report.to_string().contains("FAILED"), "{report}");
    assert!(report.to_string().contains("∂Y[1, 0]/∂X[1, 0]"), "{report}");
}

#[test]
fn scalar_to_scalar_is_the_derivative() {
    let g = Graph::<f64>::new();
    let x = g.var(Matrix1::new(-1.5));
    let y = tanh(x).component_mul(x); // x·tanh(x)
    let t = (-1.5_f64).tanh();
    let expected = t + -1.5 * (1.0 - t * t);
    assert!((jacobian(y, x)[0] - expected).abs() < 1e-15);
    assert!((numerical_jacobian(y, x, 1e-6)[0] - expected).abs() < 1e-9);
}

#[test]
fn vector_to_scalar_jacobian_is_the_transposed_gradient() {
    let w = random::<4, 1>(&mut rng(8));
    let g = Graph::<f64>::new();
    let x = g.var(random::<4, 1>(&mut rng(9)));
    let loss = tanh(x).component_mul(g.constant(w)).sum();
    let jac: RowVector4<f64> = jacobian(loss, x);
    let expected = w.component_mul(&x.value().map(|v| 1.0 - v.tanh().powi(2)));
    assert_close("jac", &jac, &expected.transpose(), 1e-15);
    assert_eq!(jac.transpose(), *loss.backward().wrt(x));
}

#[test]
fn replaying_at_a_new_point_needs_no_rebuild() {
    let g = Graph::<f64>::new();
    let x = g.var(Vector3::new(1.0, 2.0, 3.0));
    let y = x.component_mul(x);
    let nodes = g.len();
    for x0 in [Vector3::new(-1.0, 0.5, 4.0), Vector3::new(2.0, 0.0, -3.0)] {
        x.set_value(x0);
        assert_eq!(jacobian(y, x), Matrix3::from_diagonal(&(x0 * 2.0)));
    }
    assert_eq!(g.len(), nodes);
}

#[test]
fn numerical_functions_restore_the_leaf() {
    let x0 = random::<3, 1>(&mut rng(10));
    let g = Graph::<f64>::new();
    let x = g.var(x0);
    let y = tanh(x);
    let y0 = y.value();
    let _ = numerical_jacobian(y, x, 1e-3);
    let _ = jvp_central_difference(y, x, Vector3::repeat(1.0), 1e-3);
    let _ = numerical_hessian(y.sum(), x, 1e-3);
    assert_eq!((x.value(), y.value()), (x0, y0));
}

#[test]
fn jacobian_with_respect_to_an_intermediate_value() {
    // z = W·x, y = z∘z: ∂y/∂z = diag(2z), ∂y/∂x = diag(2z)·W.
    let w = random::<3, 4>(&mut rng(11));
    let g = Graph::<f64>::new();
    let x = g.var(random::<4, 1>(&mut rng(12)));
    let z = g.constant(w) * x;
    let y = z.component_mul(z);
    let d_z = Matrix3::from_diagonal(&(z.value() * 2.0));
    assert_close("jacobian(y", &jacobian(y, z), &d_z, 1e-15);
    assert_close("jacobian(y", &jacobian(y, x), &(d_z * w), 1e-14);
}

#[test]
fn outputs_that_ignore_the_input_give_zero_rows() {
    let g = Graph::<f64>::new();
    let x = g.var(Vector3::new(1.0, 2.0, 3.0));
    let unrelated = g.var(Vector3::new(4.0, 5.0, 6.0));
    assert_eq!(jacobian(unrelated.relu(), x), Matrix3::zeros());
    assert_eq!(
        jacobian(g.constant(Vector3::repeat(1.0)), x),
        Matrix3::zeros()
    );
}

#[test]
fn jacobian_of_needs_no_annotations() {
    let w = random::<4, 3>(&mut rng(13));
    let x0 = random::<3, 1>(&mut rng(14));
    let jac = jacobian_of(|x| x.graph().constant(w) * tanh(x), x0);
    let expected = w * Matrix3::from_diagonal(&x0.map(|v| 1.0 - v.tanh().powi(2)));
    assert_close("jac", &jac, &expected, 1e-15);
}

#[test]
fn f32_agrees_with_f64() {
    let w = random::<4, 3>(&mut rng(15));
    let x0 = random::<3, 1>(&mut rng(16));
    let j64 = jacobian_of(|x| (x.graph().constant(w) * x).relu(), x0);
    let w32 = w.cast::<f32>();
    let j32 = jacobian_of(|x| (x.graph().constant(w32) * x).relu(), x0.cast::<f32>());
    assert_close("j32.cast::<f64>()", &j32.cast::<f64>(), &j64, 1e-6);
}

#[test]
fn vector_jacobian_product_is_j_transpose_u() {
    let (a, u) = (random::<4, 3>(&mut rng(17)), random::<4, 1>(&mut rng(18)));
    let g = Graph::<f64>::new();
    let x = g.var(random::<3, 1>(&mut rng(19)));
    let y = tanh(g.constant(a) * x);
    let jac = jacobian(y, x);
    assert_close("vjp(y", &vjp(y, x, u), &(jac.transpose() * u), 1e-15);
    // Each row of J is the VJP with a unit vector.
    assert_close(
        "vjp(y",
        &vjp(y, x, Vector4::y()),
        &jac.row(1).transpose(),
        0.0,
    );
}

#[test]
fn jacobian_vector_product_exact_and_by_central_differences() {
    let (a, v) = (random::<4, 3>(&mut rng(20)), random::<3, 1>(&mut rng(21)));
    let g = Graph::<f64>::new();
    let x = g.var(random::<3, 1>(&mut rng(22)));
    let y = tanh(g.constant(a) * x);
    let expected = jacobian(y, x) * v;
    assert_close(
        "jvp_reverse_mode(y",
        &jvp_reverse_mode(y, x, v),
        &expected,
        1e-15,
    );
    assert_close(
        "jvp_central_difference(y",
        &jvp_central_difference(y, x, v, 1e-5),
        &expected,
        1e-9,
    );
}

#[test]
#[allow(deprecated)]
fn the_old_names_still_work_and_give_the_same_results() {
    use shapegrad::jacobian::{hessian, jvp};
    let (a, v) = (random::<4, 3>(&mut rng(28)), random::<3, 1>(&mut rng(29)));
    let g = Graph::<f64>::new();
    let x = g.var(random::<3, 1>(&mut rng(30)));
    let y = tanh(g.constant(a) * x);
    assert_eq!(jvp(y, x, v), jvp_reverse_mode(y, x, v));
    let f = y.sum();
    assert_eq!(hessian(f, x, 6e-6), numerical_hessian(f, x, 6e-6));
}

#[test]
fn hessian_of_a_quadratic_form_is_a_plus_a_transpose() {
    let a = random::<4, 4>(&mut rng(23));
    let g = Graph::<f64>::new();
    let x = g.var(random::<4, 1>(&mut rng(24)));
    let f = x.transpose() * (g.constant(a) * x);
    let hess = numerical_hessian(f, x, 6e-6);
    assert_close("hess", &hess, &(a + a.transpose()), 1e-8);
}

#[test]
fn hessian_of_a_nonlinear_function_is_symmetric_and_matches_its_closed_form() {
    // f = Σ tanh(B·x) ∘ c: H = Bᵀ·diag(c ∘ −2·t·(1 − t²))·B with t = tanh(B·x).
    let (b, c) = (random::<3, 4>(&mut rng(25)), random::<3, 1>(&mut rng(26)));
    let x0 = random::<4, 1>(&mut rng(27));
    let g = Graph::<f64>::new();
    let x = g.var(x0);
    let f = tanh(g.constant(b) * x).component_mul(g.constant(c)).sum();
    let hess = numerical_hessian(f, x, 6e-6);
    let t = (b * x0).map(f64::tanh);
    let middle = c.zip_map(&t, |c, t| c * -2.0 * t * (1.0 - t * t));
    let expected = b.transpose() * Matrix3::from_diagonal(&middle) * b;
    assert_close("hess", &hess, &expected, 1e-8);
    assert_close("hess", &hess, &hess.transpose(), 1e-8);
}

#[test]
#[should_panic(expected = "has no gradient (a constant, or computed from constants only)")]
fn jacobian_with_respect_to_a_constant_panics_with_a_reason() {
    let g = Graph::<f64>::new();
    let x = g.constant(Vector3::new(1.0, 2.0, 3.0));
    let _ = jacobian(x.relu(), x);
}

#[test]
#[should_panic(expected = "set_value needs a leaf (Graph::var, Graph::constant)")]
fn numerical_jacobian_with_respect_to_an_op_output_panics_with_a_reason() {
    let g = Graph::<f64>::new();
    let x = g.var(Vector3::new(1.0, 2.0, 3.0));
    let z = x.relu();
    let _ = numerical_jacobian(z.component_mul(z), z, 1e-6);
}

#[test]
#[should_panic(expected = "was given vars of two different graphs")]
fn vars_of_two_graphs_panic() {
    let (g1, g2) = (Graph::<f64>::new(), Graph::<f64>::new());
    let x = g1.var(Vector3::new(1.0, 2.0, 3.0));
    let y = g2.var(Vector3::new(1.0, 2.0, 3.0));
    let _ = jacobian(y, x);
}
