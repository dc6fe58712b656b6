//! The linear-algebra ops (`solve`, `inverse`, `determinant`, `cholesky`, `cholesky_solve`)
//! on 200×200 `f64` matrices (320 KB each) on a thread with a 256 KiB stack: one whole matrix
//! on the stack overflows it, as one 500×500 matrix overflows a 2 MiB stack (see
//! `big_matrices.rs`), at a fraction of the arithmetic a debug build has to do. Each op runs
//! forward and backward from boxed leaves; values and gradient entries are checked against
//! closed forms (Sherman–Morrison for `D + u·wᵀ`, a factor chosen first for Cholesky) or
//! residuals computed here, never against the op's own `forward`/`backward`.

use nalgebra::SMatrix;
use shapegrad::{Graph, boxed};

const N: usize = 200;
type Big = SMatrix<f64, N, N>;

/// A 256 KiB stack, which one 200×200 `f64` (320 KB) overflows.
fn on_a_small_stack(f: impl FnOnce() + Send + 'static) {
    crate::big_matrices::on_a_stack_of(256 << 10, f);
}

fn close(got: f64, want: f64, tol: f64) -> bool {
    (got - want).abs() <= tol * want.abs().max(1.0)
}

/// `A = D + u·wᵀ`, dense and not symmetric, with `d`, `u`, `w` below.
struct RankOne {
    d: fn(usize) -> f64,
    u: fn(usize) -> f64,
    w: fn(usize) -> f64,
}

impl RankOne {
    fn entry(&self, i: usize, j: usize) -> f64 {
        let diagonal = if i == j { (self.d)(i) } else { 0.0 };
        diagonal + (self.u)(i) * (self.w)(j)
    }

    /// `1 + wᵀ·D⁻¹·u`.
    fn sigma(&self) -> f64 {
        1.0 + (0..N)
            .map(|k| (self.w)(k) * (self.u)(k) / (self.d)(k))
            .sum::<f64>()
    }

    /// `A⁻¹[i, j] = δᵢⱼ/dᵢ − (uᵢ/dᵢ)(wⱼ/dⱼ)/σ` (Sherman–Morrison).
    fn inverse(&self, i: usize, j: usize, sigma: f64) -> f64 {
        let diagonal = if i == j { 1.0 / (self.d)(i) } else { 0.0 };
        diagonal - (self.u)(i) / (self.d)(i) * (self.w)(j) / (self.d)(j) / sigma
    }
}

/// Diagonally dominant: no row exchanges, a small condition number.
const DOMINANT: RankOne = RankOne {
    d: |i| (N + i) as f64,
    u: |i| 1.0 + (i % 3) as f64,
    w: |j| (j % 5) as f64 / 5.0 - 0.4,
};

fn x0(i: usize, c: usize) -> f64 {
    ((i * 3 + c * 7) % 13) as f64 / 13.0 - 0.5
}

fn solve_forward_and_backward() {
    let a0: Box<Big> = boxed::from_fn(|i, j| DOMINANT.entry(i, j));
    // B = A·X₀ = D·X₀ + u·(wᵀ·X₀).
    let w_x0: Vec<f64> = (0..N)
        .map(|c| (0..N).map(|k| (DOMINANT.w)(k) * x0(k, c)).sum())
        .collect();
    let b0: Box<Big> =
        boxed::from_fn(|i, c| (DOMINANT.d)(i) * x0(i, c) + (DOMINANT.u)(i) * w_x0[c]);
    let g = Graph::<f64>::new();
    let (a, b) = (g.var_from(&a0), g.var_from(&b0));
    let x = a.solve(b);
    let value: Box<Big> = x.value_boxed();
    for (i, c) in [(0, 0), (17, 150), (199, 199), (123, 4)] {
        assert!(close(value[(i, c)], x0(i, c), 1e-12), "X[{i}, {c}]");
    }
    // loss = ΣX: dB = A⁻ᵀ·1 (every column v, vᵢ = Σⱼ A⁻¹[j, i]), dA = −dB·Xᵀ.
    let grads = x.sum().backward();
    let (d_a, d_b): (&Big, &Big) = (grads.wrt(a), grads.wrt(b));
    let sigma = DOMINANT.sigma();
    let v = |i: usize| (0..N).map(|j| DOMINANT.inverse(j, i, sigma)).sum::<f64>();
    for (i, c) in [(0, 0), (17, 150), (199, 199), (123, 4)] {
        assert!(close(d_b[(i, c)], v(i), 1e-12), "dB[{i}, {c}]");
    }
    for (i, j) in [(0, 0), (3, 198), (199, 0), (100, 101)] {
        let want = -v(i) * (0..N).map(|c| x0(j, c)).sum::<f64>();
        assert!(close(d_a[(i, j)], want, 1e-12), "dA[{i}, {j}]");
    }
}

#[test]
fn solve_of_200_by_200_matrices_runs_on_a_256_kibibyte_stack() {
    on_a_small_stack(solve_forward_and_backward);
}

fn inverse_forward_and_backward() {
    let a0: Box<Big> = boxed::from_fn(|i, j| DOMINANT.entry(i, j));
    let g = Graph::<f64>::new();
    let a = g.var_from(&a0);
    let y = a.inverse();
    let value: Box<Big> = y.value_boxed();
    let sigma = DOMINANT.sigma();
    for (i, j) in [(0, 0), (17, 150), (199, 199), (123, 4)] {
        let want = DOMINANT.inverse(i, j, sigma);
        assert!(close(value[(i, j)], want, 1e-12), "Y[{i}, {j}]");
    }
    // loss = ΣY: dA = −Yᵀ·1·Yᵀ, entry (i, j) = −(column sum i of Y)·(row sum j of Y).
    let grads = y.sum().backward();
    let d_a: &Big = grads.wrt(a);
    let column_sum = |i: usize| (0..N).map(|k| DOMINANT.inverse(k, i, sigma)).sum::<f64>();
    let row_sum = |j: usize| (0..N).map(|k| DOMINANT.inverse(j, k, sigma)).sum::<f64>();
    for (i, j) in [(0, 0), (3, 198), (199, 0), (100, 101)] {
        let want = -column_sum(i) * row_sum(j);
        assert!(close(d_a[(i, j)], want, 1e-12), "dA[{i}, {j}]");
    }
}

#[test]
fn inverse_of_a_200_by_200_matrix_runs_on_a_256_kibibyte_stack() {
    on_a_small_stack(inverse_forward_and_backward);
}

/// Diagonal entries near 1, so that the determinant stays near 1e1 (not 300²⁰⁰); the rank-one
/// part makes row exchanges happen.
const NEAR_ONE: RankOne = RankOne {
    d: |i| 1.0 + (i % 7) as f64 / 100.0,
    u: |i| 1.0 + (i % 3) as f64,
    w: |j| (j % 5) as f64 / 5.0 - 0.3,
};

fn determinant_forward_and_backward() {
    let a0: Box<Big> = boxed::from_fn(|i, j| NEAR_ONE.entry(i, j));
    let g = Graph::<f64>::new();
    let a = g.var_from(&a0);
    let det = a.determinant();
    // det(D + u·wᵀ) = det(D)·(1 + wᵀ·D⁻¹·u).
    let sigma = NEAR_ONE.sigma();
    let want = (0..N).map(NEAR_ONE.d).product::<f64>() * sigma;
    assert!(
        close(det.value()[0], want, 1e-11),
        "{} {want}",
        det.value()[0]
    );
    // d det/dA = det(A)·A⁻ᵀ.
    let grads = det.backward();
    let d_a: &Big = grads.wrt(a);
    for (i, j) in [(0, 0), (3, 198), (199, 0), (100, 101)] {
        let want = want * NEAR_ONE.inverse(j, i, sigma);
        assert!(close(d_a[(i, j)], want, 1e-11), "dA[{i}, {j}]");
    }
}

#[test]
fn determinant_of_a_200_by_200_matrix_runs_on_a_256_kibibyte_stack() {
    on_a_small_stack(determinant_forward_and_backward);
}

/// The Cholesky factor chosen first: `L₀[i, i] = dᵢ`, `L₀[i, j] = fᵢ·gⱼ` below the diagonal.
fn l0(i: usize, j: usize) -> f64 {
    let f = |i: usize| 0.5 + (i % 4) as f64 / 8.0;
    let g = |j: usize| ((j % 3) as f64 - 1.0) / 10.0;
    match i.cmp(&j) {
        std::cmp::Ordering::Equal => 1.0 + (i % 5) as f64 / 4.0,
        std::cmp::Ordering::Greater => f(i) * g(j),
        std::cmp::Ordering::Less => 0.0,
    }
}

/// `A = L₀·L₀ᵀ`: `A[i, j]` is the dot product of rows `i` and `j` of `L₀`, columns of `L₀ᵀ`.
fn spd() -> Box<Big> {
    let l_t: Box<Big> = boxed::from_fn(|i, j| l0(j, i));
    boxed::from_fn(|i, j| {
        let (row_i, row_j) = (column(&l_t, i), column(&l_t, j));
        row_i.iter().zip(row_j).map(|(a, b)| a * b).sum()
    })
}

/// `A·X₀` for a symmetric `A`: entry (i, c) is the dot product of columns `i` of `A` and `c`
/// of `X₀`.
fn symmetric_times_x0(a: &Big) -> Box<Big> {
    let x: Box<Big> = boxed::from_fn(x0);
    boxed::from_fn(|i, c| {
        column(a, i)
            .iter()
            .zip(column(&x, c))
            .map(|(a, b)| a * b)
            .sum()
    })
}

fn column(m: &Big, j: usize) -> &[f64] {
    &m.as_slice()[j * N..(j + 1) * N]
}

fn cholesky_forward_and_backward() {
    let a0 = spd();
    let g = Graph::<f64>::new();
    let a = g.var_from(&a0);
    let l = a.cholesky();
    let value: Box<Big> = l.value_boxed();
    for (i, j) in [(0, 0), (17, 3), (199, 199), (123, 122), (5, 150)] {
        assert!(close(value[(i, j)], l0(i, j), 1e-12), "L[{i}, {j}]");
    }
    // Seed diag(1/Lᵢᵢ): the gradient of Σ ln Lᵢᵢ = ½·ln det A, which is ½·A⁻¹: A·dA = ½·I.
    let seed: Box<Big> = boxed::from_fn(|i, j| if i == j { 1.0 / l0(i, i) } else { 0.0 });
    let grads = l.backward_with_ref(&seed);
    let d_a: &Big = grads.wrt(a);
    for (i, j) in [(0, 0), (3, 198), (199, 0), (100, 100), (150, 151)] {
        let product: f64 = (0..N).map(|k| a0[(i, k)] * d_a[(k, j)]).sum();
        let want = if i == j { 0.5 } else { 0.0 };
        assert!(close(product, want, 1e-12), "(A·dA)[{i}, {j}] = {product}");
        assert_eq!(d_a[(i, j)], d_a[(j, i)], "dA is symmetric");
    }
}

#[test]
fn cholesky_of_a_200_by_200_matrix_runs_on_a_256_kibibyte_stack() {
    on_a_small_stack(cholesky_forward_and_backward);
}

fn cholesky_solve_forward_and_backward() {
    let a0 = spd();
    let l_0: Box<Big> = boxed::from_fn(l0);
    let b0 = symmetric_times_x0(&a0);
    let g = Graph::<f64>::new();
    let (l, b) = (g.var_from(&l_0), g.var_from(&b0));
    let x = l.cholesky_solve(b);
    let value: Box<Big> = x.value_boxed();
    for (i, c) in [(0, 0), (17, 150), (199, 199), (123, 4)] {
        assert!(close(value[(i, c)], x0(i, c), 1e-12), "X[{i}, {c}]");
    }
    // loss = ΣX: dB = A⁻¹·1 in every column (v, checked by its residual A·v = 1), and
    // dL = −tril(M·L), M = dB·Xᵀ + X·dBᵀ, M[i, k] = vᵢ·sₖ + sᵢ·vₖ with s the row sums of X.
    let grads = x.sum().backward();
    let (d_l, d_b): (&Big, &Big) = (grads.wrt(l), grads.wrt(b));
    for i in [0, 17, 199, 123] {
        let residual: f64 = (0..N).map(|k| a0[(i, k)] * d_b[(k, 0)]).sum();
        assert!(close(residual, 1.0, 1e-12), "(A·dB)[{i}, 0] = {residual}");
        for c in [1, 100, 199] {
            assert!(close(d_b[(i, c)], d_b[(i, 0)], 1e-12), "dB[{i}, {c}]");
        }
    }
    let v = |i: usize| d_b[(i, 0)];
    let s = |i: usize| (0..N).map(|c| x0(i, c)).sum::<f64>();
    for (i, j) in [(0, 0), (198, 3), (199, 0), (101, 100)] {
        let want: f64 = -(j..N)
            .map(|k| (v(i) * s(k) + s(i) * v(k)) * l0(k, j))
            .sum::<f64>();
        assert!(close(d_l[(i, j)], want, 1e-12), "dL[{i}, {j}]");
    }
    assert_eq!(d_l[(3, 198)], 0.0, "dL is lower triangular");
}

#[test]
fn cholesky_solve_of_200_by_200_matrices_runs_on_a_256_kibibyte_stack() {
    on_a_small_stack(cholesky_solve_forward_and_backward);
}
