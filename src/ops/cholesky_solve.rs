use nalgebra::SMatrix;

use crate::contract::scratch::with_scratch;
use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;
use crate::kernels::linalg::{nan, solve_lower_in_place, solve_lower_transpose_in_place};
use crate::ops::linalg_paths::{backward_by_value, fits_on_stack, forward_by_value};

/// The solution `X` of `L·Lᵀ·X = B`, given a Cholesky factor `L`: two triangular solves.
///
/// ```text
/// Shape:    (N×N), (N×C) → (N×C)
/// Gradient: dB = (L·Lᵀ)⁻¹·dOut (N×C), dL = −tril((dB·Xᵀ + X·dBᵀ)·L) (N×N)
/// ```
///
/// Only the lower triangle of `L` (with the diagonal) is read, as LAPACK's `potrs` does, so
/// `dL` is lower triangular too: the entries above the diagonal do not change the result and
/// get gradient 0. Pair it with [`Cholesky`](crate::ops::Cholesky): `a.cholesky()` once, then
/// `l.cholesky_solve(b)` for each right-hand side, and the gradient reaches `A` through both.
/// Sugar: `l.cholesky_solve(b)`; generic code over `N` needs no bound.
///
/// **Large matrices.** When `L` or `B` is 16 KiB or more, `X` and the gradients are solved
/// in place, with the temporaries (`dB` and the N×N product) in per-thread scratch buffers on
/// the heap (allocated once per thread, reused by later passes): no whole matrix goes through
/// the stack.
///
/// **A zero on the diagonal of `L`** (`L·Lᵀ` singular): every entry of `X` and of the
/// gradients is NaN, never a finite wrong number (and a NaN factor, as `cholesky` gives for a
/// matrix that is not positive definite, gives NaN too). Negative diagonal entries are
/// accepted: `L·Lᵀ` is the same matrix.
///
/// ```
/// use nalgebra::{Matrix2, Vector2};
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix2::new(4.0, 2.0, 2.0, 5.0));
/// let b = g.var(Vector2::new(8.0, 9.0));
/// let x: Var<'_, f64, 2, 1> = a.cholesky().cholesky_solve(b);
/// assert!((x.value() - Vector2::new(1.375, 1.25)).amax() < 1e-15);
/// assert!((x.value() - a.solve(b).value()).amax() < 1e-15);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct CholeskySolve;

impl<T: Real, const N: usize, const C: usize> Op<T, (SMatrix<T, N, N>, SMatrix<T, N, C>)>
    for CholeskySolve
{
    type Output = SMatrix<T, N, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("CholeskySolve"))
    }

    fn name(&self) -> &'static str {
        "cholesky_solve"
    }

    fn forward(&self, (l, b): (&SMatrix<T, N, N>, &SMatrix<T, N, C>)) -> SMatrix<T, N, C> {
        solve_with_factor(l, b)
    }

    fn backward(
        &self,
        (l, _b): (&SMatrix<T, N, N>, &SMatrix<T, N, C>),
        x: &SMatrix<T, N, C>,
        d_out: &SMatrix<T, N, C>,
    ) -> (SMatrix<T, N, N>, SMatrix<T, N, C>) {
        let d_b = solve_with_factor(l, d_out);
        let d_l = -((d_b * x.transpose() + x * d_b.transpose()) * l.lower_triangle());
        (d_l.lower_triangle(), d_b)
    }

    fn forward_into(
        &self,
        (l, b): (&SMatrix<T, N, N>, &SMatrix<T, N, C>),
        out: &mut SMatrix<T, N, C>,
    ) {
        if fits_on_stack::<T, N, N>() && fits_on_stack::<T, N, C>() {
            return forward_by_value(self, (l, b), out);
        }
        out.copy_from(b);
        solve_with_factor_in_place(l, out);
    }

    fn backward_into(
        &self,
        (l, b): (&SMatrix<T, N, N>, &SMatrix<T, N, C>),
        x: &SMatrix<T, N, C>,
        d_out: &SMatrix<T, N, C>,
        (d_l, d_b): (Option<GradSlot<'_, T, N, N>>, Option<GradSlot<'_, T, N, C>>),
    ) {
        if d_l.is_none() && d_b.is_none() {
            return;
        }
        if fits_on_stack::<T, N, N>() && fits_on_stack::<T, N, C>() {
            return backward_by_value(self, (l, b), x, d_out, (d_l, d_b));
        }
        with_scratch::<T, N, C, _>(|grad_b| {
            grad_b.copy_from(d_out);
            solve_with_factor_in_place(l, grad_b);
            if let Some(d_l) = d_l {
                d_l_into(l, x, grad_b, d_l);
            }
            if let Some(d_b) = d_b {
                d_b.add(grad_b);
            }
        });
    }
}

/// `dL = −tril(M·tril(L))`, `M = dB·Xᵀ + X·dBᵀ` (in a scratch buffer), into its slot: the
/// path for matrices too large for the stack.
fn d_l_into<T: Real, const N: usize, const C: usize>(
    l: &SMatrix<T, N, N>,
    x: &SMatrix<T, N, C>,
    grad_b: &SMatrix<T, N, C>,
    d_l: GradSlot<'_, T, N, N>,
) {
    with_scratch::<T, N, N, _>(|m| {
        let (xs, gs) = (x.as_slice(), grad_b.as_slice());
        m.fill(T::zero());
        for c in 0..C {
            let (xc, gc) = (&xs[c * N..(c + 1) * N], &gs[c * N..(c + 1) * N]);
            for (k, column) in m.as_mut_slice().chunks_exact_mut(N).enumerate() {
                let (x_kc, g_kc) = (xc[k], gc[k]);
                for ((entry, &g), &x) in column.iter_mut().zip(gc).zip(xc) {
                    *entry += g * x_kc + x * g_kc;
                }
            }
        }
        let (d_l, add) = d_l.into_parts();
        let (ms, ls) = (m.as_slice(), l.as_slice());
        for (j, column) in d_l.as_mut_slice().chunks_exact_mut(N).enumerate() {
            if !add {
                column.fill(T::zero());
            }
            // Column j of −M·tril(L): −Σ_{k ≥ j} L[k, j]·(column k of M), kept below the diagonal.
            for k in j..N {
                let l_kj = ls[j * N + k];
                let mk = &ms[k * N..(k + 1) * N];
                for (d, &m) in column[j..].iter_mut().zip(&mk[j..]) {
                    *d -= m * l_kj;
                }
            }
        }
    });
}

/// `(L·Lᵀ)⁻¹·B` from the lower triangle of `l`, in place of `x`, which holds `B`; or NaN
/// everywhere if `l`'s diagonal has a 0.
fn solve_with_factor_in_place<T: Real, const N: usize, const C: usize>(
    l: &SMatrix<T, N, N>,
    x: &mut SMatrix<T, N, C>,
) {
    if (0..N).any(|i| l[(i, i)] == T::zero()) {
        x.fill(nan());
        return;
    }
    solve_lower_in_place(l, x);
    solve_lower_transpose_in_place(l, x);
}

/// [`solve_with_factor_in_place`] on a copy of `b`.
fn solve_with_factor<T: Real, const N: usize, const C: usize>(
    l: &SMatrix<T, N, N>,
    b: &SMatrix<T, N, C>,
) -> SMatrix<T, N, C> {
    let mut x = *b;
    solve_with_factor_in_place(l, &mut x);
    x
}

impl<'g, T: Real, const N: usize> Var<'g, T, N, N> {
    /// The solution `X` of `self·selfᵀ·X = b`, `self` a Cholesky factor (its lower triangle is
    /// read), see [`CholeskySolve`](crate::ops::CholeskySolve).
    ///
    /// ```
    /// use nalgebra::{Matrix2, Vector2};
    /// let g = shapegrad::Graph::<f64>::new();
    /// let l = g.var(Matrix2::new(2.0, 0.0, 1.0, 1.0)); // L·Lᵀ = [[4, 2], [2, 2]]
    /// let x = l.cholesky_solve(g.var(Vector2::new(6.0, 4.0)));
    /// assert!((x.value() - Vector2::new(1.0, 1.0)).amax() < 1e-15);
    /// ```
    #[track_caller]
    pub fn cholesky_solve<const C: usize>(self, b: Var<'g, T, N, C>) -> Var<'g, T, N, C> {
        self.graph().apply(CholeskySolve, (self, b))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix3, SMatrix, Vector3};

    use super::CholeskySolve;
    use crate::diff::check::GradcheckOptions;
    use crate::diff::testing::{check_binary, check_binary_with, random, rng, tight};
    use crate::graph::Graph;
    use crate::ops::linalg_paths::testing::check_binary_large;

    /// A random lower-triangular factor with diagonal entries of magnitude ≥ `floor`.
    fn factor<const N: usize>(seed: u64, floor: f64) -> SMatrix<f64, N, N> {
        let mut m = random::<N, N>(&mut rng(seed)).lower_triangle();
        for i in 0..N {
            m[(i, i)] = m[(i, i)].signum() * (m[(i, i)].abs() + floor);
        }
        m
    }

    #[test]
    fn forward_values_agree_with_a_dense_solve() {
        let l = factor::<5>(950, 0.5);
        let b = random::<5, 2>(&mut rng(951));
        let g = Graph::<f64>::new();
        let x = g.var(l).cholesky_solve(g.var(b)).value();
        let expected = (l * l.transpose()).lu().solve(&b).unwrap();
        assert!((x - expected).amax() < 1e-12 * expected.amax());
    }

    #[test]
    fn gradcheck_random() {
        for seed in 952..956 {
            let b = random::<4, 3>(&mut rng(seed + 100));
            check_binary(CholeskySolve, CholeskySolve, factor::<4>(seed, 0.5), b);
        }
        // Entries above the diagonal are ignored: their gradient is 0, as central differences
        // see.
        let mut full = factor::<3>(956, 0.5);
        full[(0, 2)] = 7.0;
        full[(1, 2)] = -3.0;
        check_binary(
            CholeskySolve,
            CholeskySolve,
            full,
            random::<3, 1>(&mut rng(957)),
        );
        let g = Graph::<f64>::new();
        let l = g.var(full);
        let grads = l
            .cholesky_solve(g.var(Vector3::new(1.0, 2.0, 3.0)))
            .sum()
            .backward();
        assert_eq!(grads.wrt(l).lower_triangle(), *grads.wrt(l));
    }

    #[test]
    fn gradcheck_ill_conditioned() {
        // A diagonal entry of 1e-2: L·Lᵀ has a condition number of about 1e4 or more.
        let mut l = factor::<4>(958, 0.5);
        l[(3, 3)] = 1e-2;
        let options = GradcheckOptions {
            h: 1e-7,
            rtol: 1e-5,
            ..tight()
        };
        let f32_tolerance = 1e-2;
        check_binary_with(
            CholeskySolve,
            CholeskySolve,
            l,
            random::<4, 2>(&mut rng(959)),
            Some(&options),
            f32_tolerance,
        );
    }

    #[test]
    fn the_gradient_reaches_a_through_cholesky() {
        // x = cholesky(A).cholesky_solve(b) is A⁻¹·b: the same gradients as solve.
        let mut rng = rng(960);
        let m = random::<3, 3>(&mut rng);
        let a = m * m.transpose() + Matrix3::identity();
        let (b, d_out) = (random::<3, 2>(&mut rng), random::<3, 2>(&mut rng));
        let g = Graph::<f64>::new();
        let (av, bv) = (g.var(a), g.var(b));
        let via_cholesky = av.cholesky().cholesky_solve(bv).backward_with(d_out);
        let (d_a, d_b) = (*via_cholesky.wrt(av), *via_cholesky.wrt(bv));
        drop(via_cholesky);
        let direct = av.solve(bv).backward_with(d_out);
        assert!((d_b - direct.wrt(bv)).amax() < 1e-13);
        // solve's dA is not symmetric; cholesky's is its symmetric part.
        let sym = (direct.wrt(av) + direct.wrt(av).transpose()) * 0.5;
        assert!((d_a - sym).amax() < 1e-13, "{d_a} {sym}");
    }

    #[test]
    fn a_zero_pivot_gives_nan_everywhere() {
        let g = Graph::<f64>::new();
        let l = g.var(Matrix3::new(1.0, 0.0, 0.0, 2.0, 0.0, 0.0, 1.0, 1.0, 1.0));
        let b = g.var(Vector3::new(1.0, 2.0, 3.0));
        let x = l.cholesky_solve(b);
        assert!(x.value().iter().all(|v| v.is_nan()));
        let grads = x.sum().backward();
        assert!(grads.wrt(b).iter().all(|v| v.is_nan()));
    }

    /// A well-conditioned N×N factor: diagonal entries in [1, 2], below it entries of size
    /// 1/N.
    fn large_factor<const N: usize>(seed: u64) -> SMatrix<f64, N, N> {
        let m = random::<N, N>(&mut rng(seed));
        SMatrix::from_fn(|i, j| match i.cmp(&j) {
            std::cmp::Ordering::Equal => 1.0 + m[(i, j)].abs(),
            std::cmp::Ordering::Greater => m[(i, j)] / N as f64,
            std::cmp::Ordering::Less => 0.0,
        })
    }

    #[test]
    fn large_matrices_are_solved_in_place_and_agree() {
        // 48×48 f64 takes the heap path and f32 the static one; at 64×64 both do.
        check_binary_large(
            CholeskySolve,
            large_factor::<48>(961),
            random::<48, 3>(&mut rng(962)),
            1e-5,
        );
        // Entries above the diagonal are ignored here too.
        let mut full = large_factor::<64>(963);
        full[(0, 63)] = 5.0;
        check_binary_large(CholeskySolve, full, random::<64, 2>(&mut rng(964)), 1e-5);
        // A small L with a large B (3×700 f64, 16.4 KiB).
        check_binary_large(
            CholeskySolve,
            factor::<3>(965, 0.5),
            random::<3, 700>(&mut rng(966)),
            1e-5,
        );
    }

    #[test]
    fn large_zero_pivot_gives_nan_everywhere() {
        let mut l = large_factor::<48>(967);
        l[(30, 30)] = 0.0;
        let g = Graph::<f64>::new();
        let (lv, bv) = (g.var(l), g.var(random::<48, 2>(&mut rng(968))));
        let x = lv.cholesky_solve(bv);
        assert!(x.value().iter().all(|v| v.is_nan()));
        let grads = x.sum().backward();
        assert!(grads.wrt(bv).iter().all(|v| v.is_nan()));
        let d_l = grads.wrt(lv);
        assert!(d_l.lower_triangle().iter().enumerate().all(|(k, v)| {
            let (i, j) = (k % 48, k / 48);
            i < j || v.is_nan()
        }));
    }
}
