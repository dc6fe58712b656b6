//! Optimizers: one step of each against values computed by hand from the documented formulas
//! (literal numbers, not the code under test), and the `Optimizer` that applies them to models.

use crate::common;
use common::assert_close;

use nalgebra::{Matrix1, Matrix2, Matrix2x3, Vector2};
use shapegrad::nn::Dense;
use shapegrad::optim::{Adam, Momentum, Optimizer, Parameters, Sgd};
use shapegrad::{Graph, Var};

/// W = [[1.0, −2.0], [0.5, 3.0]].
fn w0() -> Matrix2<f64> {
    Matrix2::new(1.0, -2.0, 0.5, 3.0)
}

/// G = [[0.2, −0.4], [1.0, 0.0]]: the gradient of the linear loss sum(W ∘ G).
fn g0() -> Matrix2<f64> {
    Matrix2::new(0.2, -0.4, 1.0, 0.0)
}

/// A graph whose loss sum(W ∘ G) has gradient G with respect to W, at every W.
fn linear_loss(g: &Graph<f64>) -> (Var<'_, f64, 2, 2>, Var<'_, f64, 1, 1>) {
    let w = g.var_named("W", w0());
    let loss = w.component_mul(g.constant(g0())).sum();
    (w, loss)
}

#[test]
fn the_defaults_are_the_documented_ones() {
    assert_eq!(Sgd::<f64>::default(), Sgd { lr: 1e-2 });
    assert_eq!(
        Momentum::<f64>::default(),
        Momentum {
            lr: 1e-2,
            momentum: 0.9
        }
    );
    let adam = Adam::<f32>::default();
    assert_eq!(
        (adam.lr, adam.beta1, adam.beta2, adam.eps),
        (1e-3, 0.9, 0.999, 1e-8)
    );
}

#[test]
fn one_sgd_step_subtracts_lr_times_the_gradient() {
    let g = Graph::new();
    let (w, loss) = linear_loss(&g);
    let mut optimizer = Optimizer::new(Sgd { lr: 0.1 });
    optimizer.step(&w, &loss.backward());
    // W − 0.1·G
    let want = Matrix2::new(1.0 - 0.02, -2.0 + 0.04, 0.5 - 0.1, 3.0);
    assert_close("w.value()", &w.value(), &want, 1e-15);
}

#[test]
fn two_momentum_steps_accumulate_the_velocity() {
    let g = Graph::new();
    let (w, loss) = linear_loss(&g);
    let mut optimizer = Optimizer::new(Momentum {
        lr: 0.1,
        momentum: 0.9,
    });
    optimizer.step(&w, &loss.backward());
    // V₁ = −0.1·G; W₁ = W + V₁
    assert_close(
        "w.value()",
        &w.value(),
        &Matrix2::new(0.98, -1.96, 0.4, 3.0),
        1e-15,
    );
    optimizer.step(&w, &loss.backward());
    // V₂ = 0.9·V₁ − 0.1·G = −0.19·G; W₂ = W₁ + V₂
    let v2 = Matrix2::new(-0.038, 0.076, -0.19, 0.0);
    assert_close(
        "optimizer.state(w).unwrap().velocity",
        &optimizer.state(w).unwrap().velocity,
        &v2,
        1e-15,
    );
    assert_close(
        "w.value()",
        &w.value(),
        &Matrix2::new(0.942, -1.884, 0.21, 3.0),
        1e-15,
    );
}

#[test]
fn one_adam_step_moves_each_entry_by_about_lr_and_a_second_uses_the_bias_correction() {
    let g = Graph::new();
    let (w, loss) = linear_loss(&g);
    let mut optimizer = Optimizer::new(Adam::<f64>::default());
    optimizer.step(&w, &loss.backward());
    // t = 1: M = 0.1·G, V = 0.001·G∘G, M̂ = G, V̂ = G∘G: W − 1e-3·G/(|G| + 1e-8).
    let step1 = |g: f64| 1e-3 * g / (g.abs() + 1e-8);
    let want1 = Matrix2::new(
        1.0 - step1(0.2),
        -2.0 - step1(-0.4),
        0.5 - step1(1.0),
        3.0, // zero gradient: M = 0, no move
    );
    assert_close("w.value()", &w.value(), &want1, 1e-15);
    let state = optimizer.state(w).unwrap();
    assert_eq!(state.t, 1);
    assert_close(
        "state.m",
        &state.m,
        &Matrix2::new(0.02, -0.04, 0.1, 0.0),
        1e-15,
    );
    assert_close(
        "state.v",
        &state.v,
        &Matrix2::new(4e-5, 1.6e-4, 1e-3, 0.0),
        1e-17,
    );

    // t = 2 with a new gradient, entry (0, 0) only: g₁ = 0.2, g₂ = −0.1.
    optimizer.step_param(w, &Matrix2::new(-0.1, 0.0, 0.0, 0.0));
    let m: f64 = 0.9 * 0.02 + 0.1 * -0.1; // 0.008
    let v: f64 = 0.999 * 4e-5 + 0.001 * 0.01; // 4.996e-5
    let m_hat = m / (1.0 - 0.81);
    let v_hat = v / (1.0 - 0.998001);
    let want = 1.0 - step1(0.2) - 1e-3 * m_hat / (v_hat.sqrt() + 1e-8);
    assert!((w.value()[(0, 0)] - want).abs() < 1e-15);
    // The entries with zero gradient this time keep moving on their momentum.
    assert!(w.value()[(1, 0)] < want1[(1, 0)]);
}

#[test]
fn a_model_of_layers_is_stepped_without_listing_its_matrices() {
    let g = Graph::<f64>::new();
    let hidden = Dense::<f64, 2, 3>::new(&g, "hidden", 1);
    let out = Dense::<f64, 3, 1>::new(&g, "out", 2);
    let shift = g.var_named("shift", Vector2::new(0.5, 0.5));
    let x = g.constant(Matrix2::new(1.0, 2.0, -1.0, 0.5));
    let y = out.forward(hidden.forward(x).tanh()) + shift;
    let loss = y.mse(g.constant(Vector2::new(1.0, -1.0)));

    let model = (hidden, out, shift);
    assert_eq!(model.parameter_count(), 2 * 3 + 3 + 3 + 1 + 2);
    let before = hidden.weight.value();
    let mut optimizer = Optimizer::new(Adam {
        lr: 0.05,
        ..Adam::default()
    });
    let first = loss.value()[0];
    for _ in 0..50 {
        let grads = loss.backward();
        optimizer.step(&model, &grads);
    }
    assert!(
        loss.value()[0] < 0.1 * first,
        "{first} → {}",
        loss.value()[0]
    );
    assert_ne!(hidden.weight.value(), before);
    assert_eq!(optimizer.steps(), 50);
    let adam_state = optimizer.state(out.bias).unwrap(); // AdamState<f64, 1, 1>
    assert_eq!(adam_state.t, 50);
}

#[test]
fn states_belong_to_their_parameter_so_a_subset_can_be_stepped() {
    let g = Graph::<f64>::new();
    let a = g.var(Matrix2x3::repeat(1.0));
    let b = g.var(Matrix1::new(1.0));
    let loss = a.sum().component_mul(b);
    let mut optimizer = Optimizer::new(Adam::<f64>::default());
    optimizer.step(&b, &loss.backward());
    optimizer.step(&(a, b), &loss.backward());
    assert_eq!(optimizer.state(a).unwrap().t, 1);
    assert_eq!(optimizer.state(b).unwrap().t, 2);
    optimizer.reset();
    assert!(optimizer.state(a).is_none() && optimizer.state(b).is_none());
}

#[test]
#[should_panic(expected = "twice; list each parameter once")]
fn a_parameter_listed_twice_is_rejected() {
    let g = Graph::new();
    let (w, loss) = linear_loss(&g);
    Optimizer::new(Sgd::default()).step(&(w, w), &loss.backward());
}

#[test]
#[should_panic(expected = "is a constant and has no gradient")]
fn a_constant_is_not_a_parameter() {
    let g = Graph::<f64>::new();
    let c = g.constant(Matrix1::new(1.0));
    let w = g.var(Matrix1::new(1.0));
    let loss = w.component_mul(c);
    Optimizer::new(Sgd::default()).step(&(w, c), &loss.backward());
}

#[test]
fn one_optimizer_on_two_graphs_keeps_the_states_of_differently_named_parameters_apart() {
    // Two graphs with a same-shaped parameter at the same node id, of different names: Adam's
    // moments and step counts are not shared. (States belong to a parameter's identity, its
    // name or else its node id, so that a graph rebuilt every step keeps them:
    // `tests/optim_identity.rs`.)
    let mut optimizer = Optimizer::new(Adam::<f64>::default());
    let (first, second) = (Graph::new(), Graph::new());
    let w = first.var_named("w", Matrix2::zeros());
    let v = second.var_named("v", Matrix2::zeros());
    assert_eq!(w.id(), v.id());
    for _ in 0..3 {
        optimizer.step_param(w, &Matrix2::repeat(1.0));
    }
    optimizer.step_param(v, &Matrix2::repeat(-4.0));
    let (w_state, v_state) = (optimizer.state(w).unwrap(), optimizer.state(v).unwrap());
    assert_eq!((w_state.t, v_state.t), (3, 1));
    assert!((v_state.m - Matrix2::repeat(-0.4)).amax() < 1e-15); // (1 − β₁)·(−4): none of w
    // v took one bias-corrected step of lr against its gradient's sign, as a fresh Adam does.
    let mut alone = Optimizer::new(Adam::<f64>::default());
    let third = Graph::new();
    let u = third.var(Matrix2::zeros());
    alone.step_param(u, &Matrix2::repeat(-4.0));
    assert_eq!(v.value(), u.value());
    // A momentum optimizer too: the velocities stay per graph.
    let mut momentum = Optimizer::new(Momentum::<f64>::default());
    let (a, b) = (
        first.var_named("a", Matrix1::zeros()),
        second.var_named("b", Matrix1::zeros()),
    );
    momentum.step_param(a, &Matrix1::new(1.0));
    momentum.step_param(b, &Matrix1::new(1.0));
    assert_eq!(a.value(), b.value());
}
