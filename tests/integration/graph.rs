//! The graph builder's semantics: forks, leaves, constants, replay, and misuse.

use nalgebra::{Matrix1, Matrix2, Matrix2x3, SMatrix, Vector2};
use shapegrad::check::{GradcheckOptions, gradcheck};
use shapegrad::{Graph, Op};

fn m1(x: f64) -> Matrix1<f64> {
    Matrix1::new(x)
}

#[test]
fn gradients_add_where_a_value_forks() {
    // f = q·q + q with q = x + y: df/dq = 2q + 1.
    let g = Graph::<f64>::new();
    let x = g.var(m1(1.5));
    let y = g.var(m1(-0.5));
    let q = x + y;
    let f = q.component_mul(q) + q;
    let grads = f.backward();
    assert_eq!(grads.wrt(q)[0], 3.0);
    assert_eq!(grads.wrt(x)[0], 3.0);
    assert_eq!(grads.wrt(y)[0], 3.0);
}

#[test]
fn a_var_used_by_nothing_gets_zeros_and_constants_get_none() {
    let g = Graph::<f64>::new();
    let w = g.var(Matrix2x3::repeat(1.0));
    let unused = g.var(Matrix2::repeat(7.0));
    let c = g.constant(Matrix2x3::repeat(2.0));
    let from_constants = c + c;
    let loss = w.component_mul(from_constants).sum();
    let grads = loss.backward();
    assert_eq!(*grads.wrt(w), Matrix2x3::repeat(4.0));
    assert_eq!(*grads.wrt(unused), Matrix2::zeros());
    assert!(grads.get(c).is_none());
    assert!(grads.get(from_constants).is_none());
}

#[test]
fn a_var_created_after_the_loss_gets_zeros() {
    let g = Graph::<f64>::new();
    let x = g.var(m1(2.0));
    let loss = x.component_mul(x);
    let later = g.var(Vector2::new(1.0, 2.0));
    let grads = loss.backward();
    assert_eq!(grads.wrt(x)[0], 4.0);
    assert_eq!(*grads.wrt(later), Vector2::zeros());
}

#[test]
#[should_panic(expected = "is a constant and has no gradient")]
fn reading_the_gradient_of_a_constant_panics_with_a_reason() {
    let g = Graph::<f64>::new();
    let c = g.constant_named("bias", m1(2.0));
    let w = g.var(m1(3.0));
    let grads = (w + c).backward();
    let _ = grads.wrt(c);
}

#[test]
#[should_panic(expected = "which belongs to another graph")]
fn mixing_vars_of_two_graphs_panics() {
    let g1 = Graph::<f64>::new();
    let g2 = Graph::<f64>::new();
    let a = g1.var(m1(1.0));
    let b = g2.var(m1(2.0));
    let _ = a + b;
}

#[test]
#[should_panic(
    expected = "Gradients::wrt was given node 0 (var, 1×1), which belongs to another graph"
)]
fn reading_a_gradient_with_a_var_of_another_graph_panics() {
    let g1 = Graph::<f64>::new();
    let g2 = Graph::<f64>::new();
    let a = g1.var(m1(1.0));
    let b = g2.var(m1(2.0));
    let grads = a.sum().backward();
    let _ = grads.wrt(b);
}

#[test]
#[should_panic(expected = "set_value needs a leaf")]
fn setting_the_value_of_an_op_output_panics() {
    let g = Graph::<f64>::new();
    let x = g.var(m1(1.0));
    let y = -x;
    y.set_value(m1(3.0));
}

#[test]
#[should_panic(expected = "still alive")]
fn a_second_backward_while_gradients_are_alive_panics() {
    let g = Graph::<f64>::new();
    let x = g.var(m1(1.0));
    let loss = x.component_mul(x);
    let _first = loss.backward();
    let _second = loss.backward();
}

#[test]
fn backward_twice_gives_the_same_gradients_not_their_sum() {
    let g = Graph::<f64>::new();
    let x = g.var(m1(3.0));
    let loss = x.component_mul(x);
    let first = loss.backward().wrt(x)[0];
    let second = loss.backward().wrt(x)[0];
    assert_eq!((first, second), (6.0, 6.0));
}

#[test]
fn the_graph_can_grow_and_be_replayed_while_gradients_are_read() {
    let g = Graph::<f64>::new();
    let w = g.var(Vector2::new(1.0, -2.0));
    let loss = w.component_mul(w).sum();
    let grads = loss.backward();
    // Build more and change a leaf while `grads` is alive: it keeps the old pass.
    let doubled = w.scale(2.0);
    w.set_value(Vector2::new(0.5, 0.5));
    assert_eq!(*grads.wrt(w), Vector2::new(2.0, -4.0));
    assert_eq!(doubled.value(), Vector2::new(1.0, 1.0));
    drop(grads);
    assert_eq!(*loss.backward().wrt(w), Vector2::new(1.0, 1.0));
}

#[test]
fn replaying_matches_a_freshly_built_graph() {
    fn build_and_grad(w0: Matrix2x3<f64>, x0: SMatrix<f64, 3, 4>) -> (f64, Matrix2x3<f64>) {
        let g = Graph::<f64>::new();
        let w = g.var(w0);
        let x = g.constant(x0);
        let loss = (w * x).relu().component_mul(w * x).sum();
        let grads = loss.backward();
        (loss.value()[0], *grads.wrt(w))
    }
    let w0 = Matrix2x3::new(0.3, -0.2, 0.5, -0.7, 0.1, 0.9);
    let x0 = SMatrix::<f64, 3, 4>::from_fn(|r, c| (r as f64 - c as f64) * 0.37);

    let g = Graph::<f64>::new();
    let w = g.var(Matrix2x3::zeros());
    let x = g.constant(SMatrix::<f64, 3, 4>::zeros());
    let loss = (w * x).relu().component_mul(w * x).sum();
    for step in 0..3 {
        let (w_step, x_step) = (w0 * (step as f64 + 1.0), x0 * (1.0 - step as f64));
        w.set_value(w_step);
        x.set_value(x_step);
        let grads = loss.backward();
        let (expected_loss, expected_grad) = build_and_grad(w_step, x_step);
        assert_eq!(loss.value()[0], expected_loss);
        assert_eq!(*grads.wrt(w), expected_grad);
    }
}

#[test]
fn the_gradient_of_an_intermediate_node_is_readable() {
    // The notes' circuit: q = x + y, f = q·z; ∂f/∂q = z.
    let g = Graph::<f64>::new();
    let (x, y, z) = (g.var(m1(-2.0)), g.var(m1(5.0)), g.var(m1(-4.0)));
    let q = x + y;
    let f = q * z;
    let grads = f.backward();
    assert_eq!(grads.wrt(q)[0], -4.0);
}

#[test]
fn f32_graphs_work_end_to_end() {
    let g = Graph::<f32>::new();
    let w = g.var(Matrix2x3::new(1.0_f32, 2.0, 3.0, 4.0, 5.0, 6.0));
    let x = g.constant(Matrix2x3::repeat(1.0_f32).transpose());
    let loss = (w * x).mean();
    assert_eq!(loss.value()[0], 10.5);
    // d mean/dW = (1/4)·ones(2×2)·xᵀ: each entry sums two quarters.
    assert_eq!(*loss.backward().wrt(w), Matrix2x3::repeat(0.5_f32));
}

/// A user-defined op with a deliberately wrong backward (the factor 2 of x² is missing).
struct BrokenSquare;

impl Op<f64, (Matrix1<f64>,)> for BrokenSquare {
    type Output = Matrix1<f64>;
    fn forward(&self, (x,): (&Matrix1<f64>,)) -> Matrix1<f64> {
        x.component_mul(x)
    }
    fn backward(
        &self,
        (x,): (&Matrix1<f64>,),
        _out: &Matrix1<f64>,
        d_out: &Matrix1<f64>,
    ) -> (Matrix1<f64>,) {
        (d_out.component_mul(x),)
    }
}

#[test]
fn gradcheck_catches_a_wrong_backward_and_names_the_entry() {
    let g = Graph::<f64>::new();
    let x = g.var_named("x", m1(1.5));
    let loss = g.apply(BrokenSquare, (x,));
    let report = gradcheck(loss, &GradcheckOptions::default());
    assert!(!report.passed());
    let worst = report.worst.as_ref().unwrap();
    assert_eq!(
        (worst.name.as_deref(), worst.row, worst.col),
        (Some("x"), 0, 0)
    );
    assert!((worst.analytic - 1.5).abs() < 1e-12);
    assert!((worst.numeric - 3.0).abs() < 1e-6);
    let text = report.to_string();
    assert!(
        text.contains("FAILED") && text.contains("x (node 0)"),
        "{text}"
    );
    assert_eq!(BrokenSquare.name(), "BrokenSquare");
}

#[test]
fn gradcheck_restores_the_leaves_it_nudges() {
    let g = Graph::<f64>::new();
    let w = g.var(Matrix2x3::new(0.1, 0.2, 0.3, 0.4, 0.5, 0.6));
    let loss = w.component_mul(w).sum();
    let before = (w.value(), loss.value());
    assert!(gradcheck(loss, &GradcheckOptions::default()).passed());
    assert_eq!((w.value(), loss.value()), before);
}

#[test]
fn gradcheck_of_a_graph_without_variables_does_not_pass() {
    let g = Graph::<f64>::new();
    let c = g.constant(m1(1.0));
    let report = gradcheck(c.sum(), &GradcheckOptions::default());
    assert_eq!(report.entries_checked, 0);
    assert!(!report.passed());
}
