//! Jacobians of matrix → matrix functions: the four-index object, its column-major flattening,
//! closed forms (Kronecker products, the commutation matrix) and central differences.

use crate::common;
use common::{assert_close, random, rng};

use nalgebra::{Matrix2, Matrix2x3, Matrix3x2, SMatrix};
use shapegrad::Graph;
use shapegrad::check::GradcheckOptions;
use shapegrad::jacobian::{
    MatrixJacobian, compare, jacobian, jacobian_check, jvp_central_difference, jvp_reverse_mode,
    matrix_jacobian, numerical_matrix_jacobian, vjp,
};

fn delta(a: usize, b: usize) -> f64 {
    if a == b { 1.0 } else { 0.0 }
}

#[test]
fn left_product_entries_and_flat_kronecker_form() {
    // Y = W·X, W: 2×3, X: 3×4 → Y: 2×4. ∂Y[i,j]/∂X[k,l] = W[i,k]·δ(j,l); flat = I₄ ⊗ W.
    let w = random::<2, 3>(&mut rng(1));
    let g = Graph::<f64>::new();
    let x = g.var(random::<3, 4>(&mut rng(2)));
    let jac = matrix_jacobian(g.constant(w) * x, x);
    for (i, j, k, l) in (0..96).map(|n| (n % 2, n / 2 % 4, n / 8 % 3, n / 24)) {
        assert_eq!(
            jac.get(i, j, k, l),
            w[(i, k)] * delta(j, l),
            "{i} {j} {k} {l}"
        );
    }
    let flat: SMatrix<f64, 8, 12> = jac.flatten();
    assert_eq!(flat, SMatrix::<f64, 4, 4>::identity().kronecker(&w));
}

#[test]
fn right_product_is_b_transpose_kronecker_identity() {
    // Y = X·B, X: 2×3, B: 3×4 → flat = Bᵀ ⊗ I₂.
    let b = random::<3, 4>(&mut rng(3));
    let g = Graph::<f64>::new();
    let x = g.var(random::<2, 3>(&mut rng(4)));
    let flat: SMatrix<f64, 8, 6> = matrix_jacobian(x * g.constant(b), x).flatten();
    assert_eq!(flat, b.transpose().kronecker(&Matrix2::identity()));
}

#[test]
fn sandwich_product_is_b_transpose_kronecker_a() {
    // Y = A·X·B with A: 2×3, X: 3×2, B: 2×3 → Y: 2×3, flat = Bᵀ ⊗ A (6×6).
    let (a, b) = (random::<2, 3>(&mut rng(5)), random::<2, 3>(&mut rng(6)));
    let g = Graph::<f64>::new();
    let x = g.var(random::<3, 2>(&mut rng(7)));
    let y = g.constant(a) * x * g.constant(b);
    let flat: SMatrix<f64, 6, 6> = matrix_jacobian(y, x).flatten();
    assert_close("flat", &flat, &b.transpose().kronecker(&a), 1e-15);
    let numeric: SMatrix<f64, 6, 6> = numerical_matrix_jacobian(y, x, 1e-6).flatten();
    assert_close("numeric", &numeric, &b.transpose().kronecker(&a), 1e-9);
}

#[test]
fn transpose_is_the_commutation_matrix() {
    // Y = Xᵀ, X: 2×3: ∂Y[i,j]/∂X[k,l] = δ(i,l)·δ(j,k).
    let g = Graph::<f64>::new();
    let x = g.var(random::<2, 3>(&mut rng(8)));
    let jac = matrix_jacobian(x.transpose(), x);
    for (i, j, k, l) in (0..36).map(|n| (n % 3, n / 3 % 2, n / 6 % 2, n / 12)) {
        assert_eq!(
            jac.get(i, j, k, l),
            delta(i, l) * delta(j, k),
            "{i} {j} {k} {l}"
        );
    }
    let flat: SMatrix<f64, 6, 6> = jac.flatten();
    assert_eq!(flat * flat.transpose(), SMatrix::<f64, 6, 6>::identity()); // a permutation
}

#[test]
fn flat_order_is_nalgebras_storage_order() {
    // Column s of the flat Jacobian is ∂Y/∂(x.as_slice()[s]), laid out like y.as_slice():
    // checked by nudging the raw column-major storage, without the documented index formula.
    let g = Graph::<f64>::new();
    let x0 = random::<3, 2>(&mut rng(9));
    let x = g.var(x0);
    let y = (g.constant(random::<2, 3>(&mut rng(10))) * x).component_mul(x.transpose() * x);
    let flat: SMatrix<f64, 4, 6> = matrix_jacobian(y, x).flatten();
    let h = 1e-6;
    for s in 0..6 {
        let mut nudged = x0;
        nudged.as_mut_slice()[s] += h;
        x.set_value(nudged);
        let y_plus = y.value();
        nudged.as_mut_slice()[s] -= 2.0 * h;
        x.set_value(nudged);
        let y_minus = y.value();
        for r in 0..4 {
            let numeric = (y_plus.as_slice()[r] - y_minus.as_slice()[r]) / (2.0 * h);
            assert!((flat[(r, s)] - numeric).abs() < 1e-8, "({r}, {s})");
        }
    }
}

#[test]
fn elementwise_square_has_a_diagonal_flat_jacobian() {
    let x0 = random::<2, 3>(&mut rng(11));
    let g = Graph::<f64>::new();
    let x = g.var(x0);
    let flat: SMatrix<f64, 6, 6> = matrix_jacobian(x.component_mul(x), x).flatten();
    let vec_x = SMatrix::<f64, 6, 1>::from_column_slice(x0.as_slice());
    assert_eq!(flat, SMatrix::<f64, 6, 6>::from_diagonal(&(vec_x * 2.0)));
}

#[test]
fn from_flat_inverts_flatten_and_gradient_reads_one_output_entry() {
    let g = Graph::<f64>::new();
    let x = g.var(random::<3, 2>(&mut rng(12)));
    let jac = matrix_jacobian(x * x.transpose() * x, x);
    let flat: SMatrix<f64, 6, 6> = jac.flatten();
    assert_eq!(MatrixJacobian::<f64, 3, 2, 3, 2>::from_flat(&flat), jac);
    // gradient(i, j) is the backward pass of the loss Y[i,j].
    let loss_grad = *(x * x.transpose() * x)
        .component_mul(g.constant(Matrix3x2::new(0.0, 0.0, 0.0, 0.0, 0.0, 1.0)))
        .sum()
        .backward()
        .wrt(x);
    assert_eq!(*jac.gradient(2, 1), loss_grad);
}

#[test]
fn vectors_are_the_special_case() {
    let w = random::<2, 3>(&mut rng(13));
    let g = Graph::<f64>::new();
    let x = g.var(random::<3, 1>(&mut rng(14)));
    let y = (g.constant(w) * x).component_mul(g.constant(w) * x);
    let flat: SMatrix<f64, 2, 3> = matrix_jacobian(y, x).flatten();
    assert_eq!(flat, jacobian(y, x));
}

#[test]
fn nonlinear_matrix_function_passes_the_check() {
    // Y = (W·X)∘(W·X) + Xᵀ·X, W: 3×2, X: 2×3 → Y: 3×3.
    let g = Graph::<f64>::new();
    let x = g.var(random::<2, 3>(&mut rng(15)));
    let wx = g.constant(random::<3, 2>(&mut rng(16))) * x;
    let y = wx.component_mul(wx) + x.transpose() * x;
    let report = jacobian_check(y, x, &GradcheckOptions::default());
    assert!(report.passed(), "{report}");
    assert_eq!(report.entries_checked, 9 * 6);
    let worst = report.worst.unwrap();
    assert_eq!(
        worst.flat,
        (
            worst.output.0 + 3 * worst.output.1,
            worst.input.0 + 2 * worst.input.1
        )
    );
}

#[test]
fn compare_reports_the_worst_entry_with_its_flat_place() {
    let g = Graph::<f64>::new();
    let x = g.var(random::<2, 3>(&mut rng(17)));
    let exact = matrix_jacobian(x.transpose() * x, x);
    let mut wrong = exact;
    wrong.gradient_mut(1, 2)[(0, 1)] += 1e-4;
    wrong.gradient_mut(0, 0)[(1, 1)] += 1e-9; // within tolerance
    let report = compare(&exact, &wrong, &GradcheckOptions::default());
    assert!(!report.passed(), "{report}");
    let worst = report.worst.unwrap();
    assert_eq!((worst.output, worst.input), ((1, 2), (0, 1)));
    assert_eq!(worst.flat, (1 + 2 * 3, 2));
    assert!((worst.abs_error - 1e-4).abs() < 1e-12);
    assert!(compare(&exact, &exact, &GradcheckOptions::default()).passed());
}

#[test]
fn products_with_matrices() {
    // Y = W·X: uᵀJ is Wᵀ·U and J·V is W·V.
    let w = random::<2, 3>(&mut rng(18));
    let (u, v) = (random::<2, 2>(&mut rng(19)), random::<3, 2>(&mut rng(20)));
    let g = Graph::<f64>::new();
    let x = g.var(random::<3, 2>(&mut rng(21)));
    let y = g.constant(w) * x;
    assert_close("vjp(y", &vjp(y, x, u), &(w.transpose() * u), 1e-15);
    assert_close(
        "jvp_reverse_mode(y",
        &jvp_reverse_mode(y, x, v),
        &(w * v),
        1e-15,
    );
    assert_close(
        "jvp_central_difference(y",
        &jvp_central_difference(y, x, v, 1e-5),
        &(w * v),
        1e-9,
    );
}

#[test]
fn sum_of_a_matrix_has_a_matrix_of_ones_as_jacobian() {
    let g = Graph::<f64>::new();
    let x = g.var(random::<2, 3>(&mut rng(22)));
    let jac = matrix_jacobian(x.sum(), x);
    assert_eq!(*jac.gradient(0, 0), Matrix2x3::repeat(1.0));
    let flat: SMatrix<f64, 1, 6> = jac.flatten();
    assert_eq!(flat, SMatrix::<f64, 1, 6>::repeat(1.0));
}
