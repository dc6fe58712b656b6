//! Stacking an array of vars into one: the N steps of a residual or a trajectory, built in a
//! loop, as one (N·R)×C (or R×(N·C)) var. Sugar over [`WithBlock`](crate::ops::WithBlock); not
//! an op of its own.

use crate::contract::scratch::with_scratch;
use crate::contract::shape::{Message, fail};
use crate::graph::{Graph, Var};
use crate::kernels::Real;

impl<'g, T: Real, const S: usize, const C: usize> Var<'g, T, S, C> {
    /// The N vars of `parts` (R×C each) stacked top to bottom into one S×C var, S = N·R.
    ///
    /// ```text
    /// Shape:    [R×C; N] → (N·R)×C, declared
    /// Gradient: dPartₖ = dOut[k·R..(k+1)·R, :]
    /// ```
    ///
    /// `vstack` changes the type at every step, so a loop cannot stack with it; an array of
    /// vars keeps one type, and this turns it into one var at the end. The size `S` is
    /// declared (a type annotation, as below) and checked against `N·R` by a const assertion
    /// when the code is built (`cargo build`, not `cargo check`), for any size: N·R passes
    /// nalgebra's 127 quickly (20 steps of 6 rows are 120; of 7, 140), which rules out the
    /// computed sums of `vstack`. The message leads with the numbers: `vstack_array: 20 parts
    /// of 6 rows are 120 rows, not the declared 121`. `N = 0` is rejected the same way (an
    /// empty array has no graph).
    ///
    /// It records N + 1 nodes (a zero constant, then one [`WithBlock`](crate::ops::WithBlock)
    /// per part, each holding an S×C value): time and memory grow as N·S·C, which is nothing
    /// for tens of steps of small vectors; stack a long trajectory in chunks.
    ///
    /// ```
    /// use nalgebra::{Matrix2, Vector2};
    /// use shapegrad::{Graph, Var};
    ///
    /// let g = Graph::<f64>::new();
    /// let x0 = g.var(Vector2::new(1.0, 0.0));
    /// let a = g.constant(Matrix2::identity() * 0.5);
    ///
    /// // A 4-step trajectory, built in a loop: each step has the same type.
    /// let mut steps = [x0; 4];
    /// for k in 1..4 {
    ///     steps[k] = a * steps[k - 1];
    /// }
    /// let trajectory: Var<'_, f64, 8, 1> = Var::vstack_array(steps);
    /// assert_eq!(trajectory.value().fixed_rows::<2>(4).into_owned(), Vector2::new(0.25, 0.0));
    ///
    /// // The gradient reaches x0 through every step: 1 + 0.5 + 0.25 + 0.125.
    /// let grads = trajectory.sum().backward();
    /// assert_eq!(*grads.wrt(x0), Vector2::new(1.875, 1.875));
    /// ```
    ///
    /// # Panics
    /// If the vars belong to different graphs (at your line, naming the var).
    #[track_caller]
    pub fn vstack_array<const R: usize, const N: usize>(parts: [Var<'g, T, R, C>; N]) -> Self {
        let () = Stacked::<N, R, S, true>::ASSERT;
        let mut out = zero_constant(parts[0].graph());
        for (k, part) in parts.into_iter().enumerate() {
            out = out.with_block(k * R, 0, part);
        }
        out
    }

    /// The N vars of `parts` (S×B each) side by side, left to right, in one S×C var,
    /// C = N·B (declared, checked when built); see [`vstack_array`](Var::vstack_array).
    ///
    /// ```text
    /// Shape:    [R×B; N] → R×(N·B), declared
    /// Gradient: dPartₖ = dOut[:, k·B..(k+1)·B]
    /// ```
    ///
    /// ```
    /// use nalgebra::{Matrix2x3, Vector2};
    /// use shapegrad::{Graph, Var};
    ///
    /// let g = Graph::<f64>::new();
    /// let columns = [0.0, 1.0, 2.0].map(|k| g.var(Vector2::new(k, 10.0 * k)));
    /// let m: Var<'_, f64, 2, 3> = Var::hstack_array(columns);
    /// assert_eq!(m.value(), Matrix2x3::new(0.0, 1.0, 2.0, 0.0, 10.0, 20.0));
    /// ```
    ///
    /// # Panics
    /// If the vars belong to different graphs (at your line, naming the var).
    #[track_caller]
    pub fn hstack_array<const B: usize, const N: usize>(parts: [Var<'g, T, S, B>; N]) -> Self {
        let () = Stacked::<N, B, C, false>::ASSERT;
        let mut out = zero_constant(parts[0].graph());
        for (k, part) in parts.into_iter().enumerate() {
            out = out.with_block(0, k * B, part);
        }
        out
    }
}

/// A constant S×C matrix of zeros in `graph`, copied in from a scratch matrix (a per-thread
/// heap buffer when large): a large one never passes through the stack.
fn zero_constant<T: Real, const S: usize, const C: usize>(graph: &Graph<T>) -> Var<'_, T, S, C> {
    with_scratch::<T, S, C, _>(|zeros| {
        zeros.fill(T::zero());
        graph.constant_from(zeros)
    })
}

/// The rule of `vstack_array` (`ROWS = true`) and `hstack_array`: N ≥ 1 parts of `EACH` rows
/// (columns) make `TOTAL = N·EACH`. Evaluated when the code is built; the message leads with
/// the numbers.
struct Stacked<const N: usize, const EACH: usize, const TOTAL: usize, const ROWS: bool>;

impl<const N: usize, const EACH: usize, const TOTAL: usize, const ROWS: bool>
    Stacked<N, EACH, TOTAL, ROWS>
{
    const ASSERT: () = if N == 0 || N * EACH != TOTAL {
        fail(Self::message())
    };

    const fn message() -> Message {
        let (name, what) = if ROWS {
            ("vstack_array: ", " rows")
        } else {
            ("hstack_array: ", " columns")
        };
        if N == 0 {
            return Message::new(name)
                .text("an empty array has no graph to stack on: it needs at least one var");
        }
        Message::new(name)
            .number(N)
            .text(" parts of ")
            .number(EACH)
            .text(what)
            .text(" are ")
            .number(N * EACH)
            .text(what)
            .text(", not the declared ")
            .number(TOTAL)
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{SMatrix, Vector3};

    use crate::diff::check::gradcheck;
    use crate::diff::testing::{random, rng, tight};
    use crate::graph::{Graph, Var};

    #[test]
    fn vstack_array_puts_part_k_at_rows_k_r() {
        let mut rng = rng(990);
        let values: [SMatrix<f64, 3, 2>; 5] = std::array::from_fn(|_| random(&mut rng));
        let g = Graph::<f64>::new();
        let parts = values.map(|v| g.var(v));
        let stacked: Var<'_, f64, 15, 2> = Var::vstack_array(parts);
        let value = stacked.value();
        for (k, v) in values.iter().enumerate() {
            assert_eq!(value.fixed_view::<3, 2>(3 * k, 0), *v);
        }
        let d_out = random::<15, 2>(&mut rng);
        let grads = stacked.backward_with(d_out);
        for (k, part) in parts.iter().enumerate() {
            assert_eq!(*grads.wrt(*part), d_out.fixed_view::<3, 2>(3 * k, 0));
        }
    }

    #[test]
    fn hstack_array_puts_part_k_at_columns_k_b() {
        let mut rng = rng(991);
        let values: [SMatrix<f64, 2, 3>; 4] = std::array::from_fn(|_| random(&mut rng));
        let g = Graph::<f64>::new();
        let parts = values.map(|v| g.var(v));
        let stacked: Var<'_, f64, 2, 12> = Var::hstack_array(parts);
        for (k, v) in values.iter().enumerate() {
            assert_eq!(stacked.value().fixed_view::<2, 3>(0, 3 * k), *v);
        }
        let loss = stacked.component_mul(g.constant(random(&mut rng))).sum();
        let report = gradcheck(loss, &tight());
        assert!(report.passed(), "{report}");
    }

    #[test]
    fn a_residual_of_twenty_steps_past_127_rows() {
        // 20 steps of 7 rows: 140, past the computed sums' 127. A loop where each step's
        // residual depends on the previous state, as in a rollout; gradcheck through all.
        let g = Graph::<f64>::new();
        let u = g.var(random::<7, 1>(&mut rng(992)));
        let mut x = g.var(SMatrix::<f64, 7, 1>::repeat(0.1));
        let mut residuals = [x; 20];
        for r in residuals.iter_mut() {
            x = (x + u).tanh();
            *r = x.component_mul(x) - u;
        }
        let r: Var<'_, f64, 140, 1> = Var::vstack_array(residuals);
        assert_eq!(
            r.value().fixed_rows::<7>(133).into_owned(),
            residuals[19].value()
        );
        let report = gradcheck(r.norm_squared(), &tight());
        assert!(report.passed(), "{report}");
    }

    #[test]
    fn a_single_part_and_a_repeated_part() {
        let g = Graph::<f64>::new();
        let v = g.var(Vector3::new(1.0, 2.0, 3.0));
        let one: Var<'_, f64, 3, 1> = Var::vstack_array([v]);
        assert_eq!(one.value(), v.value());
        // The same var twice: its gradient adds both slices.
        let twice: Var<'_, f64, 6, 1> = Var::vstack_array([v, v]);
        let d_out = SMatrix::<f64, 6, 1>::from_fn(|r, _| r as f64);
        assert_eq!(
            *twice.backward_with(d_out).wrt(v),
            Vector3::new(3.0, 5.0, 7.0)
        );
    }
}
