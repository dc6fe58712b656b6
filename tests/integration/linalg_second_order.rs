//! The linear-algebra ops on dual scalars: exact Hessians (`second_order::hessian`, one
//! backward pass over `DualSVec64<N>`) through `solve`, `inverse`, `determinant`, `cholesky`,
//! `cholesky_solve` and `trace`, against central differences of the exact gradient
//! (`jacobian::numerical_hessian`) and, where there is one, a closed form. The matrix is
//! built from the input vector inside the function (`reshape`), so every entry of A is a
//! direction of the Hessian.

use crate::common;

use common::{random, rng};
use nalgebra::{Matrix3, SMatrix, SVector, Vector3};
use shapegrad::jacobian;
use shapegrad::second_order::hessian;
use shapegrad::{Graph, Real, Var};

/// max |got − want| ≤ tol · max(1, max |want|), naming the entry.
fn assert_relative<const N: usize>(
    what: &str,
    got: &SMatrix<f64, N, N>,
    want: &SMatrix<f64, N, N>,
    tol: f64,
) {
    let scale = want.amax().max(1.0);
    for (k, (a, b)) in got.iter().zip(want.iter()).enumerate() {
        assert!(
            (a - b).abs() <= tol * scale,
            "{what}: entry {k} (column-major) is {a}, expected {b} (tolerance {tol} × {scale})"
        );
    }
}

/// The exact Hessian of `f` at `x` (dual scalars) and the central differences of its exact
/// gradient (f64), which must agree to `tol` relative; returns the exact one.
fn exact_against_differences<const N: usize>(
    what: &str,
    f: impl for<'g> Fn(Var<'g, f64, N, 1>) -> Var<'g, f64, 1, 1>,
    f_dual: impl for<'g> FnOnce(
        Var<'g, shapegrad::num_dual::DualSVec64<N>, N, 1>,
    ) -> Var<'g, shapegrad::num_dual::DualSVec64<N>, 1, 1>,
    x: SVector<f64, N>,
    tol: f64,
) -> SMatrix<f64, N, N> {
    let (value, gradient, exact) = hessian(f_dual, x);
    let g = Graph::<f64>::new();
    let xv = g.var(x);
    let y = f(xv);
    assert!(
        (value - y.value()[0]).abs() <= 1e-12 * value.abs().max(1.0),
        "{what}: value"
    );
    let reverse = *y.backward().wrt(xv);
    assert!(
        (gradient - reverse).amax() <= 1e-12 * reverse.amax().max(1.0),
        "{what}: gradient"
    );
    let differences = jacobian::numerical_hessian(y, xv, 6e-6);
    assert_relative(what, &exact, &differences, tol);
    assert_relative(
        &format!("{what} (symmetry)"),
        &exact,
        &exact.transpose(),
        1e-12,
    );
    exact
}

/// A 3×3 matrix from 9 entries (column-major), plus `shift`·I.
fn matrix<'g, T: Real>(x: Var<'g, T, 9, 1>, shift: f64) -> Var<'g, T, 3, 3> {
    let identity = x.graph().constant(Matrix3::<f64>::identity().cast::<T>());
    let shift: T = nalgebra::convert(shift);
    x.reshape::<3, 3>() + identity.scale(shift)
}

fn solve_cost<'g, T: Real>(x: Var<'g, T, 9, 1>, b: &Vector3<f64>, shift: f64) -> Var<'g, T, 1, 1> {
    let b = x.graph().constant(b.cast::<T>());
    matrix(x, shift).solve(b).norm_squared()
}

#[test]
fn solve_hessian_with_respect_to_the_matrix() {
    let b = random::<3, 1>(&mut rng(1));
    for seed in 2..5 {
        let x = random::<9, 1>(&mut rng(seed));
        exact_against_differences(
            "‖A⁻¹b‖²",
            |x| solve_cost(x, &b, 2.0),
            |x| solve_cost(x, &b, 2.0),
            x,
            1e-7,
        );
    }
}

#[test]
fn solve_hessian_nearly_singular() {
    // A = U·diag(1, 0.5, 0.02)·Vᵀ: condition number 50; the second derivatives grow as
    // cond³, the differences' error with them: 1e-5 relative.
    let mut rng = rng(5);
    let q = |rng: &mut rand::rngs::StdRng| random::<3, 3>(rng).qr().q();
    let a = q(&mut rng)
        * Matrix3::from_diagonal(&Vector3::new(1.0, 0.5, 0.02))
        * q(&mut rng).transpose();
    let x = SVector::<f64, 9>::from_column_slice(a.as_slice());
    let b = random::<3, 1>(&mut rng);
    exact_against_differences(
        "‖A⁻¹b‖², cond 50",
        |x| solve_cost(x, &b, 0.0),
        |x| solve_cost(x, &b, 0.0),
        x,
        1e-5,
    );
}

fn solve_in_b<'g, T: Real>(b: Var<'g, T, 3, 1>, a: &Matrix3<f64>) -> Var<'g, T, 1, 1> {
    b.graph().constant(a.cast::<T>()).solve(b).norm_squared()
}

#[test]
fn solve_hessian_with_respect_to_the_right_hand_side_is_the_closed_form() {
    // ‖A⁻¹b‖²: Hessian 2·A⁻ᵀ·A⁻¹, whatever b is.
    let a = random::<3, 3>(&mut rng(6)) + Matrix3::identity() * 2.0;
    let b = random::<3, 1>(&mut rng(7));
    let exact = exact_against_differences(
        "‖A⁻¹b‖² in b",
        |b| solve_in_b(b, &a),
        |b| solve_in_b(b, &a),
        b,
        1e-7,
    );
    let inverse = a.try_inverse().unwrap();
    assert_relative(
        "closed form",
        &exact,
        &(inverse.transpose() * inverse * 2.0),
        1e-12,
    );
}

fn inverse_cost<'g, T: Real>(x: Var<'g, T, 9, 1>, w: &Matrix3<f64>) -> Var<'g, T, 1, 1> {
    let w = x.graph().constant(w.cast::<T>());
    matrix(x, 2.0).inverse().component_mul(w).sum()
}

#[test]
fn inverse_hessian() {
    let w = random::<3, 3>(&mut rng(8));
    let x = random::<9, 1>(&mut rng(9));
    exact_against_differences(
        "⟨W, A⁻¹⟩",
        |x| inverse_cost(x, &w),
        |x| inverse_cost(x, &w),
        x,
        1e-7,
    );
}

fn determinant_cost<'g, T: Real>(x: Var<'g, T, 9, 1>) -> Var<'g, T, 1, 1> {
    matrix(x, 0.0).determinant()
}

#[test]
fn determinant_hessian_regular_and_singular() {
    let x = random::<9, 1>(&mut rng(10));
    exact_against_differences("det", determinant_cost, determinant_cost, x, 1e-7);
    // Exactly singular (row 3 = row 1 + row 2, exact in floating point): the backward pass
    // takes the cofactor path, whose dual parts are the cofactors' own derivatives.
    let singular = Matrix3::new(1.0, 2.0, 3.0, 3.0, -2.0, 1.0, 4.0, 0.0, 4.0);
    let x = SVector::<f64, 9>::from_column_slice(singular.as_slice());
    let exact =
        exact_against_differences("det, singular", determinant_cost, determinant_cost, x, 1e-7);
    // ∂²det/∂A[0,0]∂A[1,1] = A[2,2] = 4 (the minor's other entry), and ∂²det/∂A[0,0]² = 0.
    assert!((exact[(0, 4)] - 4.0).abs() < 1e-12, "{}", exact[(0, 4)]);
    assert_eq!(exact[(0, 0)], 0.0);
}

fn cholesky_cost<'g, T: Real>(x: Var<'g, T, 9, 1>, w: &Matrix3<f64>) -> Var<'g, T, 1, 1> {
    let m = x.reshape::<3, 3>();
    let identity = x.graph().constant(Matrix3::<f64>::identity().cast::<T>());
    let w = x.graph().constant(w.cast::<T>());
    (m * m.transpose() + identity)
        .cholesky()
        .component_mul(w)
        .sum()
}

#[test]
fn cholesky_hessian() {
    let w = random::<3, 3>(&mut rng(11));
    for seed in 12..14 {
        let x = random::<9, 1>(&mut rng(seed));
        exact_against_differences(
            "⟨W, chol(MMᵀ + I)⟩",
            |x| cholesky_cost(x, &w),
            |x| cholesky_cost(x, &w),
            x,
            1e-7,
        );
    }
}

fn cholesky_solve_cost<'g, T: Real>(x: Var<'g, T, 9, 1>, b: &Vector3<f64>) -> Var<'g, T, 1, 1> {
    let b = x.graph().constant(b.cast::<T>());
    let a = matrix(x, 0.0);
    let spd = a * a.transpose() + x.graph().constant(Matrix3::<f64>::identity().cast::<T>());
    (spd.cholesky().cholesky_solve(b).transpose() * b) + spd.trace()
}

#[test]
fn cholesky_solve_and_trace_hessian() {
    let b = random::<3, 1>(&mut rng(15));
    let x = random::<9, 1>(&mut rng(16));
    exact_against_differences(
        "bᵀ(AAᵀ + I)⁻¹b + tr(AAᵀ + I)",
        |x| cholesky_solve_cost(x, &b),
        |x| cholesky_solve_cost(x, &b),
        x,
        1e-7,
    );
}
