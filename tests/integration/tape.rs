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

// ---- backward steps decided once per root: skip, overwrite, accumulate ----

/// `y = 3x` whose `backward_into` writes its slot only while `on` is set: an op that may
/// leave a slot untouched (a zero contribution).
struct Sometimes(Arc<std::sync::atomic::AtomicBool>);

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Sometimes {
    type Output = SMatrix<T, R, C>;
    fn forward(&self, (x,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        x * nalgebra::convert::<f64, T>(3.0)
    }
    fn backward(
        &self,
        _: (&SMatrix<T, R, C>,),
        _: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        (d_out * nalgebra::convert::<f64, T>(3.0),)
    }
    fn backward_into(
        &self,
        _: (&SMatrix<T, R, C>,),
        _: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_x,): (Option<shapegrad::GradSlot<'_, T, R, C>>,),
    ) {
        if let (Some(d_x), true) = (d_x, self.0.load(Ordering::Relaxed)) {
            d_x.add_map(d_out, |d| d * nalgebra::convert::<f64, T>(3.0));
        }
    }
}

#[test]
fn a_slot_left_untouched_is_a_zero_contribution_not_the_last_pass_s_gradient() {
    let on = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let g = Graph::<f64>::new();
    let x = g.var(Vector2::new(1.0, 2.0));
    let w = g.var(Vector2::new(5.0, 7.0));
    // x's only use is the op that may skip: its slot is x's first (and only) contribution.
    let loss = g
        .apply(Sometimes(Arc::clone(&on)), (x,))
        .component_mul(w)
        .sum();
    for step in 0..6 {
        let writes = step % 2 == 0;
        on.store(writes, Ordering::Relaxed);
        w.set_value(Vector2::new(5.0, 7.0 + step as f64));
        let grads = loss.backward();
        let want = if writes {
            Vector2::new(15.0, 3.0 * (7.0 + step as f64))
        } else {
            Vector2::zeros() // not the previous pass's 15, 21
        };
        assert_eq!(*grads.wrt(x), want, "step {step}");
        assert_eq!(*grads.wrt(w), Vector2::new(3.0, 6.0));
    }
    // Used twice, the skipping use first in backward order: the later use still adds.
    let g = Graph::<f64>::new();
    let x = g.var(Vector2::new(1.0, 2.0));
    let early = x.scale(2.0); // recorded first: its contribution comes last in backward order
    let late = g.apply(Sometimes(Arc::clone(&on)), (x,));
    let loss = (early + late).sum();
    for writes in [true, false, true, false] {
        on.store(writes, Ordering::Relaxed);
        let want = if writes { 5.0 } else { 2.0 };
        assert_eq!(*loss.backward().wrt(x), Vector2::repeat(want));
    }
}

#[test]
fn detach_leaves_its_slot_untouched_and_the_var_reads_zero_after_a_pass_that_reached_it() {
    let g = Graph::<f64>::new();
    let x = g.var(Vector2::new(3.0, -1.0));
    let through = x.norm_squared(); // d/dx = 2x
    let stopped = x.detach().sum(); // d/dx = 0
    assert_eq!(*through.backward().wrt(x), Vector2::new(6.0, -2.0));
    for _ in 0..3 {
        // x's only contribution comes from detach: overwrite mode, untouched, zeroed.
        assert_eq!(*stopped.backward().wrt(x), Vector2::zeros());
        assert_eq!(*through.backward().wrt(x), Vector2::new(6.0, -2.0));
    }
}

/// `y = a ∘ b + c` with only a by-value `backward` (the default `backward_into`): the
/// repeated-input path must add the uses.
struct MulAdd;

impl<T: Real, const R: usize, const C: usize>
    Op<T, (SMatrix<T, R, C>, SMatrix<T, R, C>, SMatrix<T, R, C>)> for MulAdd
{
    type Output = SMatrix<T, R, C>;
    fn forward(
        &self,
        (a, b, c): (&SMatrix<T, R, C>, &SMatrix<T, R, C>, &SMatrix<T, R, C>),
    ) -> SMatrix<T, R, C> {
        a.component_mul(b) + c
    }
    fn backward(
        &self,
        (a, b, _): (&SMatrix<T, R, C>, &SMatrix<T, R, C>, &SMatrix<T, R, C>),
        _: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>, SMatrix<T, R, C>, SMatrix<T, R, C>) {
        (d_out.component_mul(b), d_out.component_mul(a), *d_out)
    }
}

#[test]
fn one_op_using_the_same_input_twice_or_thrice_adds_every_use() {
    let g = Graph::<f64>::new();
    let x = g.var(Vector2::new(2.0, -3.0));
    let y = g.var(Vector2::new(0.5, 4.0));
    let square = x.component_mul(x); // backward_into with two slots on one buffer
    let cube_ish = g.apply(MulAdd, (x, x, x)); // x² + x: default backward_into, three uses
    let mixed = g.apply(MulAdd, (y, x, y)); // y∘x + y: uses 0 and 2 repeat, 1 differs
    let loss = (square + cube_ish + mixed).sum();
    for step in 0..4 {
        let (xv, yv) = (
            Vector2::new(2.0 + step as f64, -3.0),
            Vector2::new(0.5, 4.0 - step as f64),
        );
        x.set_value(xv);
        y.set_value(yv);
        let grads = loss.backward();
        // d/dx: 2x + (2x + 1) + y;  d/dy: x + 1.
        let want_x = xv * 4.0 + Vector2::repeat(1.0) + yv;
        assert_eq!(*grads.wrt(x), want_x, "step {step}");
        assert_eq!(*grads.wrt(y), xv + Vector2::repeat(1.0), "step {step}");
    }
}

#[test]
fn forks_across_several_steps_add_up_on_every_replay() {
    // x feeds ops at four depths; the first contribution in backward order is the deepest
    // use's, which overwrites, and the three others add.
    let g = Graph::<f64>::new();
    let x = g.var(Matrix2::new(1.0, 2.0, 3.0, 4.0));
    let w = g.var(Matrix2::new(0.5, -1.0, 2.0, 0.25));
    let a = x * w; // use 1
    let b = a.component_mul(x); // use 2
    let c = (b + x).tanh(); // use 3
    let d = c * x; // use 4
    let loss = d.sum() + x.norm_squared(); // use 5
    let report = shapegrad::check::gradcheck(loss, &Default::default());
    assert!(report.passed(), "{report}");
    for step in 0..5 {
        let s = step as f64 * 0.1;
        x.set_value(Matrix2::new(0.1 + s, -0.2, 0.3, 0.4 - s));
        w.update_value(|w| *w *= 0.9);
        // The same numbers as the gradient check's central differences, every step.
        let report = shapegrad::check::gradcheck(loss, &Default::default());
        assert!(report.passed(), "step {step}: {report}");
        let grads = loss.backward();
        assert!(grads.wrt(x).iter().all(|v| v.is_finite()));
    }
}

#[test]
fn a_gradient_read_after_a_pass_that_did_not_reach_the_var_is_zero_for_vars_and_ops() {
    let g = Graph::<f64>::new();
    let a = g.var(Matrix2::repeat(2.0));
    let b = g.var(Matrix2::repeat(3.0));
    let shared = a + b;
    let only_a = a.component_mul(a).sum(); // does not reach b or shared
    let both = shared.sum();
    for _ in 0..3 {
        let grads = both.backward();
        assert_eq!(
            (*grads.wrt(a), *grads.wrt(b)),
            (Matrix2::repeat(1.0), Matrix2::repeat(1.0))
        );
        drop(grads);
        let grads = only_a.backward();
        assert_eq!(*grads.wrt(a), Matrix2::repeat(4.0));
        assert_eq!(*grads.wrt(b), Matrix2::zeros());
        assert_eq!(*grads.wrt(shared), Matrix2::zeros());
        drop(grads);
        // A var created after both passes: no gradient until the next pass.
    }
    let late = g.var(Matrix1::new(1.0));
    let grads = only_a.backward();
    assert_eq!(grads.wrt(late)[0], 0.0);
}

#[test]
fn writes_recompute_only_the_ops_that_depend_on_the_written_leaves() {
    // Two leaves, three ops: the fast forward walk (a mask of written leaves) must recompute
    // exactly the dependants, also when two roots share ops and alternate.
    let g = Graph::<f64>::new();
    let a = g.var(Vector2::new(1.0, 2.0));
    let b = g.var(Vector2::new(3.0, 4.0));
    let (on_a, on_b, on_both) = (Counter::default(), Counter::default(), Counter::default());
    let fa = twice(a, &on_a);
    let fb = twice(b, &on_b);
    let sum = twice(fa + fb, &on_both).sum();
    let other = fa.sum(); // a second root sharing fa
    assert_eq!(
        (on_a.counts().0, on_b.counts().0, on_both.counts().0),
        (1, 1, 1)
    );
    for step in 1..=4 {
        a.set_value(Vector2::repeat(step as f64));
        assert_eq!(sum.value()[0], 2.0 * (2.0 * 2.0 * step as f64 + 2.0 * 7.0));
        assert_eq!(
            (on_a.counts().0, on_b.counts().0, on_both.counts().0),
            (1 + step, 1, 1 + step)
        );
    }
    b.set_value(Vector2::zeros());
    drop(sum.backward());
    assert_eq!(
        (on_a.counts().0, on_b.counts().0, on_both.counts().0),
        (5, 2, 6)
    );
    // Alternating roots: the shared op is computed once per write, whichever root reads it.
    for step in 0..4 {
        a.set_value(Vector2::repeat(10.0 + step as f64));
        if step % 2 == 0 {
            assert_eq!(other.value()[0], 4.0 * (10.0 + step as f64));
            drop(sum.backward());
        } else {
            drop(sum.backward());
            assert_eq!(other.value()[0], 4.0 * (10.0 + step as f64));
        }
        assert_eq!(on_a.counts().0, 6 + step);
        assert_eq!(on_both.counts().0, 7 + step);
    }
    assert_eq!(on_b.counts().0, 2);
}

// ---- the replay handle ----

#[test]
fn a_replay_gives_the_same_numbers_as_the_var_methods() {
    let g = Graph::<f64>::new();
    let x = g.var(Matrix2::new(1.0, 2.0, -1.0, 0.5));
    let c = g.constant(Matrix2::identity());
    let h = (x * c + x).tanh();
    let loss = h.norm_squared() + x.sum();
    let mut want = Vec::new();
    for step in 0..5 {
        x.set_value(Matrix2::repeat(0.1 * step as f64) + Matrix2::identity());
        let grads = loss.backward();
        want.push((loss.value()[0], *grads.wrt(x), h.value()));
    }
    let mut replay = g.replay();
    let (px, ph, ploss) = (replay.place(x), replay.place(h), replay.place(loss));
    for (step, (value, d_x, h_value)) in want.into_iter().enumerate() {
        replay.set(
            px,
            &(Matrix2::repeat(0.1 * step as f64) + Matrix2::identity()),
        );
        replay.backward(ploss);
        assert_eq!(*replay.wrt(px), d_x);
        assert_eq!(replay.value(ploss)[0], value);
        assert_eq!(*replay.value(ph), h_value);
    }
}

#[test]
fn the_graph_s_other_entry_points_say_a_replay_holds_it() {
    let g = Graph::<f64>::new();
    let x = g.var(Matrix1::new(1.0));
    let y = x.exp();
    let replay = g.replay();
    for (what, result) in [
        (
            "value",
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let _ = y.value();
            })),
        ),
        (
            "set_value",
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                x.set_value(Matrix1::new(2.0))
            })),
        ),
        (
            "an op",
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let _ = x + x;
            })),
        ),
        (
            "backward",
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(y.backward()))),
        ),
        (
            "len",
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let _ = g.len();
            })),
        ),
    ] {
        let err = result.expect_err(what);
        let message = err
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| err.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        assert!(message.contains("Replay"), "{what}: {message}");
    }
    drop(replay);
    assert_eq!(y.backward().wrt(x)[0], 1.0_f64.exp());
}
