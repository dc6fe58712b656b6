//! AdamW, learning-rate schedules and gradient clipping, step by step against numbers worked
//! out by hand from the documented formulas.

use nalgebra::{Matrix1, Matrix1x2, Matrix2};
use shapegrad::Graph;
use shapegrad::optim::{Adam, AdamW, Optimizer, Schedule, Sgd};

/// A graph whose loss `sum(W ∘ G)` has gradient G at every W.
fn linear<'g>(
    g: &'g Graph<f64>,
    w0: Matrix2<f64>,
    grad: Matrix2<f64>,
) -> (shapegrad::Var<'g, f64, 2, 2>, shapegrad::Var<'g, f64, 1, 1>) {
    let w = g.var_named("W", w0);
    (w, w.component_mul(g.constant(grad)).sum())
}

#[test]
fn two_adamw_steps_by_hand() {
    let g = Graph::new();
    let w0 = Matrix2::new(2.0, -1.0, 0.5, 0.0);
    let grad = Matrix2::new(0.5, 0.0, -2.0, 1.0);
    let (w, loss) = linear(&g, w0, grad);
    let rule = AdamW {
        lr: 0.1,
        weight_decay: 0.01,
        ..AdamW::default()
    };
    let mut optimizer = Optimizer::new(rule);
    optimizer.step(&w, &loss.backward());
    // t = 1: W·(1 − 0.1·0.01) − 0.1·g/(|g| + 1e-8) (M̂ = g, V̂ = g²).
    let step1 = |w: f64, g: f64| w * 0.999 - 0.1 * g / (g.abs() + 1e-8);
    let want1 = w0.zip_map(&grad, step1);
    assert!((w.value() - want1).amax() < 1e-15, "{}", w.value());
    assert_eq!(want1[(1, 0)], 0.5 * 0.999 + 0.1 * 2.0 / (2.0 + 1e-8)); // (1, 0): 0.5, g = −2
    assert_eq!(want1[(0, 1)], -0.999); // no gradient: only the decay

    optimizer.step(&w, &loss.backward());
    // t = 2, same gradient: M = 0.19·g, V = 0.001999·g²; M̂ = M/0.19 = g, V̂ = V/0.001999 = g².
    let want2 = want1.zip_map(&grad, step1);
    assert!((w.value() - want2).amax() < 1e-14);
    let state = optimizer.state(w).unwrap();
    assert_eq!(state.t, 2);
    assert!((state.m - grad * 0.19).amax() < 1e-15);
}

#[test]
fn adamw_without_decay_is_adam_to_the_bit() {
    let (ga, gb) = (Graph::new(), Graph::new());
    let w0 = Matrix2::new(1.0, 2.0, -3.0, 0.25);
    let grad = Matrix2::new(0.3, -0.7, 1.1, 0.0);
    let (wa, la) = linear(&ga, w0, grad);
    let (wb, lb) = linear(&gb, w0, grad);
    let mut adam = Optimizer::new(Adam {
        lr: 0.05,
        ..Adam::default()
    });
    let mut adamw = Optimizer::new(AdamW {
        lr: 0.05,
        weight_decay: 0.0,
        ..AdamW::default()
    });
    for _ in 0..20 {
        adam.step(&wa, &la.backward());
        adamw.step(&wb, &lb.backward());
    }
    assert_eq!(wa.value(), wb.value());
}

#[test]
fn clipping_scales_all_gradients_by_the_global_norm() {
    let g = Graph::<f64>::new();
    let a = g.var_named("a", Matrix1::new(0.0));
    let b = g.var_named("b", Matrix1x2::new(0.0, 0.0));
    // Gradients: a → 3, b → (0, 4): global norm 5.
    let loss = a.scale(3.0).sum() + b.component_mul(g.constant(Matrix1x2::new(0.0, 4.0))).sum();
    let mut optimizer = Optimizer::new(Sgd { lr: 1.0 }).with_clip_norm(2.5);
    let info = optimizer.step(&(a, b), &loss.backward());
    assert_eq!(info.grad_norm, Some(5.0));
    assert_eq!(info.clip_scale, 0.5);
    assert_eq!(info.clipped_norm(), Some(2.5));
    assert!(info.clipped());
    assert_eq!(a.value()[0], -1.5);
    assert_eq!(b.value(), Matrix1x2::new(0.0, -2.0));

    // Under the limit: untouched gradients.
    let mut loose = Optimizer::new(Sgd { lr: 1.0 }).with_clip_norm(10.0);
    let info = loose.step(&(a, b), &loss.backward());
    assert_eq!((info.grad_norm, info.clip_scale), (Some(5.0), 1.0));
    assert!(!info.clipped());
    assert_eq!(a.value()[0], -4.5);
    // Without clipping no norm is computed.
    let info = Optimizer::new(Sgd { lr: 1.0 }).step(&(a, b), &loss.backward());
    assert_eq!(info.grad_norm, None);
}

#[test]
fn clipped_adam_sees_the_scaled_gradient() {
    // One Adam step with a clipped gradient: M = 0.1·(scaled g).
    let g = Graph::<f64>::new();
    let w = g.var_named("w", Matrix1x2::new(0.0, 0.0));
    let loss = w.component_mul(g.constant(Matrix1x2::new(6.0, 8.0))).sum(); // norm 10
    let mut optimizer = Optimizer::new(Adam::<f64>::default()).with_clip_norm(1.0);
    optimizer.step(&w, &loss.backward());
    let m = optimizer.state(w).unwrap().m;
    assert!((m - Matrix1x2::new(0.06, 0.08)).amax() < 1e-16);
}

#[test]
fn a_schedule_sets_the_rate_of_each_step() {
    // SGD on a loss of gradient −1: each step adds its learning rate to w.
    let g = Graph::<f64>::new();
    let w = g.var_named("w", Matrix1::new(0.0));
    let loss = w.scale(-1.0).sum();
    let schedule = Schedule::CosineWithWarmup {
        warmup: 2,
        total: 4,
        floor: 0.0,
    };
    let mut optimizer = Optimizer::new(Sgd { lr: 0.8 }).with_schedule(schedule);
    let mut rates = Vec::new();
    for _ in 0..6 {
        let info = optimizer.step(&w, &loss.backward());
        rates.push(info.learning_rate.unwrap());
    }
    // Factors: 1/2, 1 (warmup); 1, ½, 0 (cosine over steps 2..4); 0.
    let want = [0.4, 0.8, 0.8, 0.4, 0.0, 0.0];
    for (got, want) in rates.iter().zip(want) {
        assert!((got - want).abs() < 1e-15, "{rates:?}");
    }
    assert!((w.value()[0] - 2.4).abs() < 1e-15);
    assert_eq!(optimizer.rule.lr, rates[5]);
    assert_eq!(optimizer.steps(), 6);
}

#[test]
fn the_schedule_scales_adamws_decay_too() {
    let g = Graph::<f64>::new();
    let w = g.var_named("w", Matrix1::new(1.0));
    let loss = w.scale(0.0).sum(); // no gradient: only the decay moves w
    let rule = AdamW {
        lr: 0.5,
        weight_decay: 0.1,
        ..AdamW::default()
    };
    let schedule = Schedule::StepDecay {
        every: 1,
        gamma: 0.5,
    };
    let mut optimizer = Optimizer::new(rule).with_schedule(schedule);
    optimizer.step(&w, &loss.backward()); // lr 0.5: × (1 − 0.05)
    optimizer.step(&w, &loss.backward()); // lr 0.25: × (1 − 0.025)
    assert!((w.value()[0] - 0.95 * 0.975).abs() < 1e-15);
}
