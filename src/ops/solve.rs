use nalgebra::SMatrix;

use crate::contract::scratch::with_scratch;
use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;
use crate::kernels::linalg::{Lu, nan};
use crate::ops::linalg_paths::{fits_on_stack, forward_by_value};

/// The solution `X` of `A·X = B`, by LU factorisation with partial pivoting.
///
/// ```text
/// Shape:    (N×N), (N×C) → (N×C)
/// Gradient: dB = A⁻ᵀ·dOut (N×C), dA = −dB·Xᵀ (N×N)
/// ```
///
/// `A` must be square (a typed equality: both of its dimensions are the one `N`, and `B` has
/// `N` rows). The backward pass factorises `A` again (the op keeps no state between passes)
/// and solves with `Aᵀ` through the same factors; `X` is the cached output. Sugar:
/// `a.solve(b)`.
///
/// **Large matrices.** When `A` or `B` is 16 KiB or more, `A` is factored in a per-thread
/// scratch buffer on the heap (allocated once per thread, reused by later passes) and `X` and
/// the gradients are written in place, so no whole matrix goes through the stack.
///
/// **Singular `A`.** When a pivot is exactly 0 (a column of the eliminated matrix has no
/// nonzero candidate: `A` is singular in floating point), every entry of `X` is NaN, and so
/// are both gradients: never a finite wrong number. With
/// [`Graph::detect_anomalies`](crate::Graph::detect_anomalies) on, that NaN stops the
/// computation with a panic at your line (the read or backward pass that ran it) naming the
/// `solve` node and its inputs. A nearly singular `A` gives the floating-point solution, whose
/// relative error grows with `A`'s condition number, as with LAPACK's `gesv`; the gradients
/// are then large but finite.
///
/// **Generic sizes.** The factorisation is shapegrad's own, so generic code needs no bound:
///
/// ```
/// use nalgebra::{Matrix2, Vector2};
/// use shapegrad::{Graph, Real, Var};
///
/// // No `where` clause: no `Const<N>: ToTypenum` or `DimMin` bound to discover.
/// fn solve_twice<'g, T: Real, const N: usize>(
///     a: Var<'g, T, N, N>,
///     b: Var<'g, T, N, 1>,
/// ) -> Var<'g, T, N, 1> {
///     a.solve(a.solve(b))
/// }
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix2::new(2.0, 0.0, 0.0, 4.0));
/// let b = g.var(Vector2::new(8.0, 16.0));
/// assert_eq!(solve_twice(a, b).value(), Vector2::new(2.0, 1.0));
/// ```
///
/// ```
/// use nalgebra::{Matrix2, Matrix2x3};
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix2::new(0.0, 1.0, 2.0, 0.0)); // a zero leading entry: rows swap
/// let b = g.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 6.0, 8.0));
/// let x: Var<'_, f64, 2, 3> = a.solve(b);
/// assert_eq!(x.value(), Matrix2x3::new(2.0, 3.0, 4.0, 1.0, 2.0, 3.0));
///
/// let singular = g.var(Matrix2::new(1.0, 2.0, 2.0, 4.0));
/// assert!(singular.solve(b).value().iter().all(|x| x.is_nan()));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Solve;

impl<T: Real, const N: usize, const C: usize> Op<T, (SMatrix<T, N, N>, SMatrix<T, N, C>)>
    for Solve
{
    type Output = SMatrix<T, N, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Solve"))
    }

    fn name(&self) -> &'static str {
        "solve"
    }

    fn forward(&self, (a, b): (&SMatrix<T, N, N>, &SMatrix<T, N, C>)) -> SMatrix<T, N, C> {
        let mut factors = *a;
        let lu = Lu::new(&mut factors);
        if lu.is_singular() {
            return SMatrix::repeat(nan());
        }
        let mut x = *b;
        lu.solve_in_place(&mut x);
        x
    }

    fn backward(
        &self,
        (a, _b): (&SMatrix<T, N, N>, &SMatrix<T, N, C>),
        x: &SMatrix<T, N, C>,
        d_out: &SMatrix<T, N, C>,
    ) -> (SMatrix<T, N, N>, SMatrix<T, N, C>) {
        let d_b = transposed_solve(a, d_out);
        (-d_b * x.transpose(), d_b)
    }

    fn forward_into(
        &self,
        (a, b): (&SMatrix<T, N, N>, &SMatrix<T, N, C>),
        out: &mut SMatrix<T, N, C>,
    ) {
        if fits_on_stack::<T, N, N>() && fits_on_stack::<T, N, C>() {
            return forward_by_value(self, (a, b), out);
        }
        with_scratch::<T, N, N, _>(|lu| {
            lu.copy_from(a);
            let lu = Lu::new(lu);
            if lu.is_singular() {
                out.fill(nan());
            } else {
                out.copy_from(b);
                lu.solve_in_place(out);
            }
        });
    }

    /// As `backward`, without the product `dB·Xᵀ` when `A` needs no gradient (a constant
    /// matrix).
    fn backward_into(
        &self,
        (a, _b): (&SMatrix<T, N, N>, &SMatrix<T, N, C>),
        x: &SMatrix<T, N, C>,
        d_out: &SMatrix<T, N, C>,
        (d_a, d_b): (Option<GradSlot<'_, T, N, N>>, Option<GradSlot<'_, T, N, C>>),
    ) {
        if d_a.is_none() && d_b.is_none() {
            return;
        }
        if fits_on_stack::<T, N, N>() && fits_on_stack::<T, N, C>() {
            backward_on_stack(a, x, d_out, d_a, d_b);
        } else {
            backward_in_place(a, x, d_out, d_a, d_b);
        }
    }
}

/// `backward_into` for small matrices, the static path: `dB` and `dA` by value. A function of
/// its own so that a debug build reserves their stack only when it runs.
fn backward_on_stack<T: Real, const N: usize, const C: usize>(
    a: &SMatrix<T, N, N>,
    x: &SMatrix<T, N, C>,
    d_out: &SMatrix<T, N, C>,
    d_a: Option<GradSlot<'_, T, N, N>>,
    d_b: Option<GradSlot<'_, T, N, C>>,
) {
    let grad_b = transposed_solve(a, d_out);
    if let Some(d_a) = d_a {
        d_a.add(&(-grad_b * x.transpose()));
    }
    if let Some(d_b) = d_b {
        d_b.add(&grad_b);
    }
}

/// `backward_into` for large matrices: `A` factored and `dB = A⁻ᵀ·dOut` solved in scratch
/// buffers, `dA = −dB·Xᵀ` accumulated entry by entry into its slot.
fn backward_in_place<T: Real, const N: usize, const C: usize>(
    a: &SMatrix<T, N, N>,
    x: &SMatrix<T, N, C>,
    d_out: &SMatrix<T, N, C>,
    d_a: Option<GradSlot<'_, T, N, N>>,
    d_b: Option<GradSlot<'_, T, N, C>>,
) {
    with_scratch::<T, N, C, _>(|grad_b| {
        with_scratch::<T, N, N, _>(|lu| {
            lu.copy_from(a);
            let lu = Lu::new(lu);
            if lu.is_singular() {
                grad_b.fill(nan());
            } else {
                grad_b.copy_from(d_out);
                lu.solve_transpose_in_place(grad_b);
            }
        });
        if let Some(d_a) = d_a {
            let (d_a, add) = d_a.into_parts();
            let (grad_b, x) = (grad_b.as_slice(), x.as_slice());
            for (j, column) in d_a.as_mut_slice().chunks_exact_mut(N).enumerate() {
                if !add {
                    column.fill(T::zero());
                }
                // Column j of −dB·Xᵀ: −Σ_c X[j, c]·(column c of dB).
                for c in 0..C {
                    let x_jc = x[c * N + j];
                    let grad_b = &grad_b[c * N..(c + 1) * N];
                    for (d, &g) in column.iter_mut().zip(grad_b) {
                        *d -= g * x_jc;
                    }
                }
            }
        }
        if let Some(d_b) = d_b {
            d_b.add(grad_b);
        }
    });
}

/// `A⁻ᵀ·M`, or NaN everywhere if `A` is singular.
fn transposed_solve<T: Real, const N: usize, const C: usize>(
    a: &SMatrix<T, N, N>,
    m: &SMatrix<T, N, C>,
) -> SMatrix<T, N, C> {
    let mut factors = *a;
    let lu = Lu::new(&mut factors);
    if lu.is_singular() {
        return SMatrix::repeat(nan());
    }
    let mut out = *m;
    lu.solve_transpose_in_place(&mut out);
    out
}

impl<'g, T: Real, const N: usize> Var<'g, T, N, N> {
    /// The solution `X` of `self·X = b`, see [`Solve`](crate::ops::Solve) (NaN everywhere if
    /// `self` is singular).
    ///
    /// ```
    /// use nalgebra::{Matrix2, Vector2};
    /// let g = shapegrad::Graph::<f64>::new();
    /// let a = g.var(Matrix2::new(3.0, 1.0, 1.0, 2.0));
    /// let b = g.var(Vector2::new(9.0, 8.0));
    /// let x = a.solve(b);
    /// assert!((x.value() - Vector2::new(2.0, 3.0)).amax() < 1e-15);
    /// ```
    #[track_caller]
    pub fn solve<const C: usize>(self, b: Var<'g, T, N, C>) -> Var<'g, T, N, C> {
        self.graph().apply(Solve, (self, b))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix3, SMatrix, Vector3};

    use super::Solve;
    use crate::diff::check::GradcheckOptions;
    use crate::diff::testing::{
        check_binary, check_binary_with, random, rng, tight, with_singular_values,
    };
    use crate::graph::Graph;
    use crate::ops::linalg_paths::testing::check_binary_large;

    #[test]
    fn forward_values_agree_with_nalgebra() {
        let mut rng = rng(910);
        let a: SMatrix<f64, 4, 4> = random(&mut rng);
        let b: SMatrix<f64, 4, 2> = random(&mut rng);
        let g = Graph::<f64>::new();
        let x = g.var(a).solve(g.var(b)).value();
        let expected = a.lu().solve(&b).unwrap();
        assert!((x - expected).amax() < 1e-12 * expected.amax());
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(911);
        for _ in 0..4 {
            let a = random::<4, 4>(&mut rng) + SMatrix::<f64, 4, 4>::identity() * 2.0;
            check_binary(Solve, Solve, a, random::<4, 3>(&mut rng));
        }
        check_binary(
            Solve,
            Solve,
            random::<1, 1>(&mut rng).add_scalar(2.0),
            random::<1, 1>(&mut rng),
        );
        // Pivoting: a zero diagonal.
        let a = Matrix3::new(0.0, 1.0, 2.0, 1.0, 0.0, 3.0, 4.0, -3.0, 8.0);
        check_binary(Solve, Solve, a, random::<3, 1>(&mut rng));
    }

    #[test]
    fn gradcheck_ill_conditioned() {
        // Condition numbers 1e3 and 1e6. The derivatives grow as cond² (∂X/∂A ~ A⁻¹·X), central
        // differences lose accuracy as h·cond, and f32 rounding as cond·6e-8: the tolerances
        // grow with them.
        let a = with_singular_values(912, [1.0, 0.5, 0.1, 1e-3]);
        let b = random::<4, 2>(&mut rng(913));
        let options = GradcheckOptions {
            h: 1e-7,
            rtol: 1e-6,
            ..tight()
        };
        let f32_tolerance = 5e-3;
        check_binary_with(Solve, Solve, a, b, Some(&options), f32_tolerance);

        let a = with_singular_values(914, [1.0, 1.0, 1e-6]);
        let options = GradcheckOptions {
            h: 1e-9,
            rtol: 1e-4,
            ..tight()
        };
        // In f32 this matrix is singular to working precision (cond·ε ≈ 0.1): f32 only has to
        // give numbers (NaN fails every comparison, even with an infinite tolerance).
        let f32_tolerance = f64::INFINITY;
        check_binary_with(
            Solve,
            Solve,
            a,
            random::<3, 1>(&mut rng(915)),
            Some(&options),
            f32_tolerance,
        );
    }

    #[test]
    fn singular_gives_nan_everywhere() {
        let g = Graph::<f64>::new();
        // Rank 2: row 3 = row 1 + row 2.
        let a = g.var(Matrix3::new(1.0, 2.0, 3.0, 3.0, -2.0, 1.0, 4.0, 0.0, 4.0));
        let b = g.var(Vector3::new(1.0, 2.0, 3.0));
        let x = a.solve(b);
        assert!(x.value().iter().all(|v| v.is_nan()));
        let grads = x.sum().backward();
        assert!(grads.wrt(a).iter().all(|v| v.is_nan()));
        assert!(grads.wrt(b).iter().all(|v| v.is_nan()));
        drop(grads);

        // Replayed with a regular matrix, the same nodes give numbers again.
        a.set_value(Matrix3::identity());
        assert_eq!(x.value(), Vector3::new(1.0, 2.0, 3.0));
    }

    #[test]
    fn singular_with_anomaly_detection_panics_naming_solve() {
        let g = Graph::<f64>::new();
        g.detect_anomalies(true);
        let a = g.var_named("a", Matrix3::identity());
        let b = g.var(Vector3::new(1.0, 2.0, 3.0));
        let x = a.solve(b);
        a.set_value(Matrix3::new(1.0, 2.0, 3.0, 2.0, 4.0, 6.0, 0.0, 0.0, 1.0));
        let read = std::panic::AssertUnwindSafe(|| x.value());
        let caught = std::panic::catch_unwind(read).unwrap_err();
        let message = caught.downcast_ref::<String>().unwrap();
        assert!(message.contains("`solve`"), "{message}");
        assert!(message.contains("`a`"), "{message}");
    }

    #[test]
    fn gradients_are_the_closed_forms() {
        // dB = A⁻ᵀ·dOut, dA = −dB·Xᵀ, against nalgebra's inverse.
        let mut rng = rng(916);
        let a = random::<3, 3>(&mut rng) + Matrix3::identity() * 2.0;
        let b = random::<3, 2>(&mut rng);
        let d_out = random::<3, 2>(&mut rng);
        let g = Graph::<f64>::new();
        let (av, bv) = (g.var(a), g.var(b));
        let grads = av.solve(bv).backward_with(d_out);
        let inverse = a.try_inverse().unwrap();
        let d_b = inverse.transpose() * d_out;
        assert!((grads.wrt(bv) - d_b).amax() < 1e-13);
        assert!((grads.wrt(av) + d_b * (inverse * b).transpose()).amax() < 1e-13);
    }

    #[test]
    fn large_matrices_are_factored_on_the_heap_and_agree() {
        // 48×48 f64 (18 KiB) takes the heap path and f32 the static one; at 64×64 both do.
        let mut rng = rng(917);
        let a = random::<48, 48>(&mut rng) + SMatrix::<f64, 48, 48>::identity() * 48.0;
        check_binary_large(Solve, a, random::<48, 3>(&mut rng), 1e-5);
        let a = random::<64, 64>(&mut rng) + SMatrix::<f64, 64, 64>::identity() * 64.0;
        check_binary_large(Solve, a, random::<64, 2>(&mut rng), 1e-5);
        // Rows exchanged: the rows of a diagonally dominant matrix rotated.
        let b = SMatrix::<f64, 64, 64>::from_fn(|i, j| a[((i + 7) % 64, j)]);
        check_binary_large(Solve, b, random::<64, 2>(&mut rng), 1e-5);
        // A small A with a large B (3×700 f64, 16.4 KiB): X and the gradients in place too.
        let a = random::<3, 3>(&mut rng) + Matrix3::identity() * 2.0;
        check_binary_large(Solve, a, random::<3, 700>(&mut rng), 1e-5);
    }

    #[test]
    fn large_singular_gives_nan_everywhere() {
        let mut a = random::<48, 48>(&mut rng(918));
        a.set_column(5, &(a.column(3) + a.column(7)));
        a.column_mut(9).fill(0.0);
        let g = Graph::<f64>::new();
        let (av, bv) = (g.var(a), g.var(random::<48, 2>(&mut rng(919))));
        let x = av.solve(bv);
        assert!(x.value().iter().all(|v| v.is_nan()));
        let grads = x.sum().backward();
        assert!(grads.wrt(av).iter().all(|v| v.is_nan()));
        assert!(grads.wrt(bv).iter().all(|v| v.is_nan()));
    }
}
