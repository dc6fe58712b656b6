//! The tape's cost model and ownership, checked by counting work rather than timing it: which
//! op forwards and backwards run, for which root, after which writes.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use nalgebra::{Matrix1, Matrix2, SMatrix, Vector2, Vector3};
use shapegrad::{Graph, Handle, Op, Real, Var};

/// Counts of forward and backward calls, shared between ops.
#[derive(Clone, Default)]
struct Counter {
    forward: Arc<AtomicUsize>,
    backward: Arc<AtomicUsize>,
}

impl Counter {
    fn counts(&self) -> (usize, usize) {
        (
            self.forward.load(Ordering::Relaxed),
            self.backward.load(Ordering::Relaxed),
        )
    }
}

/// `y = 2x`, counting its calls.
struct Twice(Counter);

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Twice {
    type Output = SMatrix<T, R, C>;
    fn forward(&self, (x,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        self.0.forward.fetch_add(1, Ordering::Relaxed);
        x * nalgebra::convert::<f64, T>(2.0)
    }
    fn backward(
        &self,
        _: (&SMatrix<T, R, C>,),
        _: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        self.0.backward.fetch_add(1, Ordering::Relaxed);
        (d_out * nalgebra::convert::<f64, T>(2.0),)
    }
}

fn twice<'g, const R: usize, const C: usize>(
    x: Var<'g, f64, R, C>,
    counter: &Counter,
) -> Var<'g, f64, R, C> {
    x.graph().apply(Twice(counter.clone()), (x,))
}

#[test]
fn a_head_that_is_not_read_costs_nothing_and_does_not_slow_another() {
    // A shared trunk and three heads (as a training loss, a one-row prediction and a held-out
    // evaluation would be): each head's ops count their calls.
    let g = Graph::<f64>::new();
    let w = g.var(Vector2::new(1.0, -1.0));
    let x = g.constant(Vector2::new(0.5, 0.25));
    let trunk = Counter::default();
    let features = twice(w.component_mul(x), &trunk);
    let heads: [Counter; 3] = Default::default();
    let losses: Vec<_> = heads
        .iter()
        .map(|c| twice(features, c).norm_squared())
        .collect();
    assert_eq!(trunk.counts(), (1, 0));

    for step in 0..10 {
        w.set_value(Vector2::new(step as f64, 1.0));
        let grads = losses[0].backward();
        assert!(grads.wrt(w).amax() > 0.0);
    }
    // The trunk and head 0 ran once per step; heads 1 and 2 never ran again.
    assert_eq!(trunk.counts(), (11, 10));
    assert_eq!(heads[0].counts(), (11, 10));
    assert_eq!(heads[1].counts(), (1, 0));
    assert_eq!(heads[2].counts(), (1, 0));

    // Reading head 2 now brings only it up to date (the trunk is current already).
    assert_eq!(losses[2].value()[0], losses[0].value()[0]);
    assert_eq!(trunk.counts(), (11, 10));
    assert_eq!(heads[2].counts(), (2, 0));
    assert_eq!(heads[1].counts(), (1, 0));
}

#[test]
fn an_unrelated_product_on_the_tape_is_neither_recomputed_nor_differentiated() {
    let g = Graph::<f64>::new();
    let big = g.var(SMatrix::<f64, 60, 60>::from_element(0.01));
    let unrelated = Counter::default();
    let product = twice(big * big, &unrelated);
    let a = g.var(Matrix1::new(3.0));
    let small = Counter::default();
    let loss = twice(a.component_mul(a), &small);
    for k in 0..5 {
        big.update_value(|b| b[(0, 0)] = k as f64); // writes to the big leaf too
        a.set_value(Matrix1::new(k as f64));
        assert_eq!(loss.value()[0], 2.0 * (k * k) as f64);
        let grads = loss.backward();
        assert_eq!(grads.wrt(a)[0], 4.0 * k as f64);
        assert_eq!(*grads.wrt(big), SMatrix::<f64, 60, 60>::zeros()); // not reached: zeros
    }
    assert_eq!(unrelated.counts(), (1, 0));
    assert_eq!(small.counts(), (6, 5));
    // The product is brought up to date when it is read, once.
    assert!((product.value()[(1, 1)] - 2.0 * 60.0 * 0.01 * 0.01).abs() < 1e-15);
    assert_eq!(unrelated.counts(), (2, 0));
}

#[test]
fn gradients_of_vars_another_root_reached_read_as_zero_and_stay_correct() {
    let g = Graph::<f64>::new();
    let a = g.var(Matrix1::new(2.0));
    let b = g.var(Matrix1::new(5.0));
    let from_a = a.component_mul(a); // d/da = 2a
    let from_b = b.scale(3.0); // d/db = 3
    let both = from_a + from_b;
    {
        let grads = both.backward();
        assert_eq!((grads.wrt(a)[0], grads.wrt(b)[0]), (4.0, 3.0));
    }
    {
        // A pass from `from_b` does not reach a: its buffer still holds 4, but it reads 0.
        let grads = from_b.backward();
        assert_eq!((grads.wrt(a)[0], grads.wrt(b)[0]), (0.0, 3.0));
        assert_eq!(grads.wrt(from_a)[0], 0.0);
    }
    let grads = from_a.backward();
    assert_eq!((grads.wrt(a)[0], grads.wrt(b)[0]), (4.0, 0.0));
}

#[test]
fn update_value_may_read_the_graph_inside_its_closure() {
    let g = Graph::<f64>::new();
    let x = g.var(Vector2::new(1.0, 2.0));
    let y = g.var(Vector2::zeros());
    let sum = (x + y).sum();
    // Read another var, an op's value, and this var itself.
    y.update_value(|v| *v = x.value());
    y.update_value(|v| *v += Vector2::repeat(sum.value()[0]));
    y.update_value(|v| *v += y.value());
    assert_eq!(y.value(), Vector2::new(14.0, 16.0)); // (1 + 6, 2 + 6), doubled
    assert_eq!(sum.value()[0], 33.0);
    // And a backward pass inside the closure (its Gradients dropped there) works too.
    x.update_value(|v| *v -= *sum.backward().wrt(x) * 0.5);
    assert_eq!(x.value(), Vector2::new(0.5, 1.5));
}

/// A controller built at start-up: its graph with the handles of the nodes it uses.
struct Controller {
    graph: Graph<f64>,
    q: Handle<f64, 3, 1>,
    cost: Handle<f64, 1, 1>,
}

impl Controller {
    fn new() -> Self {
        let graph = Graph::new();
        let (q, cost) = {
            let q = graph.var_named("q", Vector3::zeros());
            let target = graph.constant(Vector3::new(1.0, 2.0, 3.0));
            let cost = (q - target).norm_squared();
            (q.handle(), cost.handle())
        };
        Controller { graph, q, cost }
    }

    /// Gradient descent on the cost; returns the final cost.
    fn run(&self, steps: usize) -> f64 {
        let q = self.graph.at(self.q);
        for _ in 0..steps {
            let d_q = *self.graph.at(self.cost).backward().wrt(q);
            q.update_value(|q| *q -= d_q * 0.25);
        }
        self.graph.at(self.cost).value()[0]
    }
}

#[test]
fn a_struct_owning_its_graph_and_handles_moves_to_a_thread_and_replays_there() {
    fn assert_send<S: Send>() {}
    fn assert_handle<H: Copy + Send + Sync + 'static>() {}
    assert_send::<Graph<f64>>();
    assert_send::<Graph<f32>>();
    assert_send::<Controller>();
    assert_handle::<Handle<f64, 3, 1>>();

    let controller = Controller::new();
    let worker = std::thread::spawn(move || {
        let cost = controller.run(40);
        (cost, controller)
    });
    let (cost, controller) = worker.join().unwrap();
    assert!(cost < 1e-20, "cost {cost}");
    let q = controller.graph.at(controller.q).value();
    assert!((q - Vector3::new(1.0, 2.0, 3.0)).amax() < 1e-10);
}

#[test]
fn each_graph_has_its_own_identity_and_rejects_the_handles_of_another() {
    let (g1, g2) = (Graph::<f64>::new(), Graph::<f64>::new());
    assert_ne!(g1.id(), g2.id());
    let h = g1.var(Matrix2::identity()).handle();
    assert_eq!(h.graph(), g1.id());
    assert_eq!(g1.at(h).value(), Matrix2::identity());
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| g2.at(h))).unwrap_err();
    let message = err.downcast_ref::<String>().unwrap();
    assert!(
        message.contains(&format!("handle to node 0 (2×2) of graph #{}", g1.id()))
            && message.contains(&format!("this is graph #{}", g2.id())),
        "{message}"
    );
}

#[test]
fn writes_between_records_are_seen_by_the_ops_recorded_after_them() {
    let g = Graph::<f64>::new();
    let a = g.var(Matrix1::new(1.0));
    let b = a + a;
    a.set_value(Matrix1::new(10.0));
    let c = b + a; // b is brought up to date before c is computed
    assert_eq!(c.value()[0], 30.0);
    assert_eq!(c.backward().wrt(a)[0], 3.0);
}
