//! An optimizer's states belong to parameters by identity, not by graph: a parameter's name
//! (or, unnamed, its node id), which a graph rebuilt by the same code gives it again. So a
//! training loop that builds a fresh graph every step runs the same algorithm as one that
//! replays a graph, with a bounded number of states; and one optimizer shared by two models
//! (of other names) steps each as its own optimizer would, its schedule counting each
//! model's steps once.

use nalgebra::{Matrix2, Matrix2x3, SMatrix, Vector2};
use shapegrad::nn::Dense;
use shapegrad::optim::{Adam, AdamW, Momentum, Optimizer, Schedule, Sgd};
use shapegrad::{Graph, Var};

/// The loss of a small two-layer regression on fixed data, for a model on `g`.
fn loss<'g>(
    g: &'g Graph<f64>,
    (hidden, out): (Dense<'g, f64, 2, 3>, Dense<'g, f64, 3, 1>),
) -> Var<'g, f64, 1, 1> {
    let x = g.constant(SMatrix::<f64, 4, 2>::new(
        0.5, -1.0, 1.5, 0.25, -0.75, 2.0, 1.0, 1.0,
    ));
    let y = g.constant(SMatrix::<f64, 4, 1>::new(1.0, -0.5, 0.25, 2.0));
    out.forward(hidden.forward(x).tanh()).mse(y)
}

/// The model's four matrices, flattened.
fn weights((hidden, out): (Dense<'_, f64, 2, 3>, Dense<'_, f64, 3, 1>)) -> Vec<f64> {
    let mut all = hidden.weight.value().as_slice().to_vec();
    all.extend_from_slice(hidden.bias.value().as_slice());
    all.extend_from_slice(out.weight.value().as_slice());
    all.extend_from_slice(out.bias.value().as_slice());
    all
}

fn assert_relative(what: &str, got: &[f64], want: &[f64], tolerance: f64) {
    assert_eq!(got.len(), want.len());
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        let scale = w.abs().max(1e-300);
        assert!(
            (g - w).abs() <= tolerance * scale,
            "{what}: entry {k} is {g}, replayed {w} (relative {:e})",
            (g - w).abs() / scale
        );
    }
}

/// 20 steps of `optimizer` replayed on one graph.
fn replayed<U: shapegrad::optim::UpdateRule<f64>>(mut optimizer: Optimizer<f64, U>) -> Vec<f64> {
    let g = Graph::<f64>::new();
    let model = (Dense::new(&g, "hidden", 1), Dense::new(&g, "out", 2));
    let loss = loss(&g, model);
    for _ in 0..20 {
        optimizer.step(&model, &loss.backward());
    }
    weights(model)
}

/// 20 steps of `optimizer`, on a graph built afresh every step from the last weights.
fn rebuilt<U: shapegrad::optim::UpdateRule<f64>>(mut optimizer: Optimizer<f64, U>) -> Vec<f64> {
    let mut current = {
        let g = Graph::<f64>::new();
        weights((Dense::new(&g, "hidden", 1), Dense::new(&g, "out", 2)))
    };
    for _ in 0..20 {
        let g = Graph::<f64>::new();
        let model = (
            Dense::<f64, 2, 3>::new(&g, "hidden", 0),
            Dense::<f64, 3, 1>::new(&g, "out", 0),
        );
        model
            .0
            .weight
            .set_value(SMatrix::from_column_slice(&current[0..6]));
        model
            .0
            .bias
            .set_value(SMatrix::from_column_slice(&current[6..9]));
        model
            .1
            .weight
            .set_value(SMatrix::from_column_slice(&current[9..12]));
        model
            .1
            .bias
            .set_value(SMatrix::from_column_slice(&current[12..13]));
        let loss = loss(&g, model);
        optimizer.step(&model, &loss.backward());
        current = weights(model);
    }
    current
}

#[test]
fn twenty_adam_steps_on_a_graph_rebuilt_every_step_equal_twenty_replayed_steps() {
    let adam = || {
        Optimizer::new(Adam {
            lr: 0.05,
            ..Adam::default()
        })
    };
    let want = replayed(adam());
    assert_relative("Adam", &rebuilt(adam()), &want, 1e-12);
    // The other rules with a state or a schedule, too.
    let momentum = || {
        Optimizer::new(Momentum {
            lr: 0.05,
            momentum: 0.9,
        })
    };
    assert_relative(
        "Momentum",
        &rebuilt(momentum()),
        &replayed(momentum()),
        1e-12,
    );
    let schedule = Schedule::StepDecay {
        every: 3,
        gamma: 0.5,
    };
    let adamw = || {
        Optimizer::new(AdamW {
            lr: 0.05,
            ..AdamW::default()
        })
        .with_schedule(schedule)
    };
    assert_relative(
        "AdamW with a schedule",
        &rebuilt(adamw()),
        &replayed(adamw()),
        1e-12,
    );
}

#[test]
fn unnamed_parameters_are_known_by_their_node_id_across_rebuilds() {
    // w (2×2) and b (2×1), created first on every graph, so their node ids repeat.
    let step = |optimizer: &mut Optimizer<f64, Adam<f64>>, w0: Matrix2<f64>, b0: Vector2<f64>| {
        let g = Graph::<f64>::new();
        let (w, b) = (g.var(w0), g.var(b0));
        let x = g.constant(Vector2::new(1.0, -2.0));
        let loss = (w * x + b).norm_squared();
        optimizer.step(&(w, b), &loss.backward());
        (w.value(), b.value(), optimizer.state(w).unwrap().t)
    };
    let mut optimizer = Optimizer::new(Adam {
        lr: 0.1,
        ..Adam::default()
    });
    let (mut w, mut b) = (Matrix2::new(1.0, 0.5, -0.5, 2.0), Vector2::new(0.1, -0.1));
    for k in 1..=20 {
        let t;
        (w, b, t) = step(&mut optimizer, w, b);
        assert_eq!(t, k, "Adam's step count restarted");
    }
    let g = Graph::<f64>::new();
    let (wr, br) = (
        g.var(Matrix2::new(1.0, 0.5, -0.5, 2.0)),
        g.var(Vector2::new(0.1, -0.1)),
    );
    let loss = (wr * g.constant(Vector2::new(1.0, -2.0)) + br).norm_squared();
    let mut replay = Optimizer::new(Adam {
        lr: 0.1,
        ..Adam::default()
    });
    for _ in 0..20 {
        replay.step(&(wr, br), &loss.backward());
    }
    assert_relative("w", w.as_slice(), wr.value().as_slice(), 1e-12);
    assert_relative("b", b.as_slice(), br.value().as_slice(), 1e-12);
}

#[test]
fn an_optimizer_stepping_a_thousand_fresh_graphs_keeps_one_state_per_parameter() {
    let mut optimizer = Optimizer::new(Momentum::<f64>::default());
    for step in 0..1000 {
        let g = Graph::<f64>::new();
        let model = Dense::<f64, 3, 2>::new(&g, "layer", step);
        let loss = model.forward(g.constant(Matrix2x3::repeat(0.5))).sum();
        optimizer.step(&model, &loss.backward());
    }
    assert_eq!(optimizer.state_count(), 2, "{optimizer:?}");
    assert_eq!(optimizer.steps(), 1000);
}

/// Two models of other names on two graphs, one optimizer with a step-decay schedule, stepped
/// in turn for `rounds`, against one optimizer per model.
#[test]
fn one_optimizer_shared_by_two_models_steps_each_as_its_own_optimizer_would() {
    let schedule = Schedule::StepDecay {
        every: 2,
        gamma: 0.5,
    };
    let sgd = || Optimizer::new(Sgd { lr: 0.1 }).with_schedule(schedule);
    let (ga, gb) = (Graph::<f64>::new(), Graph::<f64>::new());
    let a = ga.var_named("a", Matrix2::repeat(1.0));
    let b = gb.var_named("b", Matrix2::repeat(1.0));
    let (loss_a, loss_b) = (a.norm_squared(), b.norm_squared());
    let mut shared = sgd();
    for _ in 0..6 {
        shared.step(&a, &loss_a.backward());
        shared.step(&b, &loss_b.backward());
    }
    assert_eq!(shared.steps(), 6, "the schedule counts rounds, not calls");
    let (gc, gd) = (Graph::<f64>::new(), Graph::<f64>::new());
    let c = gc.var_named("a", Matrix2::repeat(1.0));
    let d = gd.var_named("b", Matrix2::repeat(1.0));
    let (loss_c, loss_d) = (c.norm_squared(), d.norm_squared());
    let (mut own_c, mut own_d) = (sgd(), sgd());
    for _ in 0..6 {
        own_c.step(&c, &loss_c.backward());
        own_d.step(&d, &loss_d.backward());
    }
    assert_eq!(a.value(), c.value());
    assert_eq!(b.value(), d.value());
    // w·(1 − 2·lr_t) per step, lr 0.1, 0.1, 0.05, 0.05, 0.025, 0.025.
    let want = [0.8, 0.8, 0.9, 0.9, 0.95, 0.95].iter().product::<f64>();
    assert!(
        (a.value()[0] - want).abs() < 1e-15,
        "{} vs {want}",
        a.value()[0]
    );
}

#[test]
#[should_panic(expected = "a newer graph")]
fn one_optimizer_on_two_graphs_in_use_at_once_with_the_same_parameter_names_is_refused() {
    // Two copies of one model trained side by side: the optimizer cannot tell them from one
    // model rebuilt, so stepping the older graph after the newer one is refused.
    let (first, second) = (Graph::<f64>::new(), Graph::<f64>::new());
    let a = Dense::<f64, 2, 2>::new(&first, "layer", 1);
    let b = Dense::<f64, 2, 2>::new(&second, "layer", 2);
    let x = Matrix2::repeat(1.0);
    let (loss_a, loss_b) = (
        a.forward(first.constant(x)).sum(),
        b.forward(second.constant(x)).sum(),
    );
    let mut optimizer = Optimizer::new(Adam::<f64>::default());
    optimizer.step(&a, &loss_a.backward());
    optimizer.step(&b, &loss_b.backward());
    optimizer.step(&a, &loss_a.backward());
}
