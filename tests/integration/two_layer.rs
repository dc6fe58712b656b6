//! A two-layer classifier (the course notes' network) built from shapegrad's ops: its loss
//! passes gradcheck on every parameter, and its loss and gradients equal a hand-written
//! nalgebra forward and backward pass (no graph).
//!
//! X (N×2, constant) · W1 (2×H) + b1 (1×H) → relu → · W2 (H×K) + b2 (1×K) → softmax
//! cross-entropy with labels, + ½λ‖W1‖² + ½λ‖W2‖².

use crate::common;
use common::{assert_close, random};

use nalgebra::SMatrix;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use shapegrad::check::{GradcheckOptions, gradcheck};
use shapegrad::{Graph, Labels};

const N: usize = 12; // samples
const D: usize = 2; // input features
const H: usize = 10; // hidden units
const K: usize = 3; // classes
const LAMBDA: f64 = 1e-3;

#[derive(Clone, Copy)]
struct Net {
    x: SMatrix<f64, N, D>,
    labels: Labels<N, K>,
    w1: SMatrix<f64, D, H>,
    b1: SMatrix<f64, 1, H>,
    w2: SMatrix<f64, H, K>,
    b2: SMatrix<f64, 1, K>,
}

/// The network's loss and its gradients with respect to W1, b1, W2, b2.
struct Result {
    loss: f64,
    w1: SMatrix<f64, D, H>,
    b1: SMatrix<f64, 1, H>,
    w2: SMatrix<f64, H, K>,
    b2: SMatrix<f64, 1, K>,
}

/// X·W1 + b1, written out.
fn hidden_pre_activation(net: &Net) -> SMatrix<f64, N, H> {
    SMatrix::from_fn(|n, h| (net.x.row(n) * net.w1.column(h))[0] + net.b1[h])
}

/// Random data and parameters whose hidden pre-activations are all at least 1e-3 away from
/// ReLU's kink at 0 (re-seeding until they are), so that finite differences are valid.
fn random_net(first_seed: u64) -> Net {
    for seed in first_seed.. {
        let mut rng = StdRng::seed_from_u64(seed);
        let net = Net {
            x: random(&mut rng),
            labels: Labels::new(std::array::from_fn(|_| rng.random_range(0..K))).unwrap(),
            w1: random(&mut rng),
            b1: random::<1, H>(&mut rng) * 0.1,
            w2: random(&mut rng),
            b2: random::<1, K>(&mut rng) * 0.1,
        };
        let pre = hidden_pre_activation(&net);
        if pre.iter().all(|v| v.abs() > 1e-3) && pre.iter().any(|&v| v < 0.0) {
            return net;
        }
    }
    unreachable!("the seeds are unbounded")
}

/// The course notes' forward and backward pass in plain nalgebra.
fn hand_written(net: &Net) -> Result {
    let pre = hidden_pre_activation(net);
    let h = pre.map(|v| v.max(0.0));
    let scores = SMatrix::<f64, N, K>::from_fn(|n, k| (h.row(n) * net.w2.column(k))[0] + net.b2[k]);
    let exp_scores = scores.map(f64::exp);
    let probs = SMatrix::<f64, N, K>::from_fn(|n, k| exp_scores[(n, k)] / exp_scores.row(n).sum());
    let labels = net.labels.as_array();
    let data_loss = -(0..N).map(|n| probs[(n, labels[n])].ln()).sum::<f64>() / N as f64;
    let reg_loss = 0.5 * LAMBDA * (net.w1.norm_squared() + net.w2.norm_squared());

    let mut d_scores = probs;
    for n in 0..N {
        d_scores[(n, labels[n])] -= 1.0;
    }
    d_scores /= N as f64;
    let d_w2 = h.transpose() * d_scores + net.w2 * LAMBDA;
    let d_b2 = SMatrix::<f64, 1, K>::from_fn(|_, k| d_scores.column(k).sum());
    let mut d_h = d_scores * net.w2.transpose();
    d_h.zip_apply(&pre, |d, p| {
        if p <= 0.0 {
            *d = 0.0;
        }
    });
    let d_w1 = net.x.transpose() * d_h + net.w1 * LAMBDA;
    let d_b1 = SMatrix::<f64, 1, H>::from_fn(|_, j| d_h.column(j).sum());
    Result {
        loss: data_loss + reg_loss,
        w1: d_w1,
        b1: d_b1,
        w2: d_w2,
        b2: d_b2,
    }
}

#[test]
fn the_two_layer_loss_passes_gradcheck_and_matches_hand_written_backprop() {
    let net = random_net(7);
    let g = Graph::<f64>::new();
    let x = g.constant_named("X", net.x);
    let w1 = g.var_named("W1", net.w1);
    let b1 = g.var_named("b1", net.b1);
    let w2 = g.var_named("W2", net.w2);
    let b2 = g.var_named("b2", net.b2);
    let hidden = (x * w1).add_row(b1).relu();
    let scores = (hidden * w2).add_row(b2);
    let loss =
        scores.softmax_cross_entropy(&net.labels) + w1.l2_penalty(LAMBDA) + w2.l2_penalty(LAMBDA);

    let report = gradcheck(loss, &GradcheckOptions::default());
    assert!(report.passed(), "{report}");
    assert_eq!(report.variables_checked, 4);
    assert_eq!(report.entries_checked, D * H + H + H * K + K);

    let want = hand_written(&net);
    let got = loss.value()[0];
    assert!(
        (got - want.loss).abs() <= 1e-12,
        "loss {got} vs {}",
        want.loss
    );
    let grads = loss.backward();
    assert_close("dW1", grads.wrt(w1), &want.w1, 1e-12);
    assert_close("db1", grads.wrt(b1), &want.b1, 1e-12);
    assert_close("dW2", grads.wrt(w2), &want.w2, 1e-12);
    assert_close("db2", grads.wrt(b2), &want.b2, 1e-12);
}

#[test]
fn a_replayed_tape_matches_hand_written_backprop_for_new_parameters() {
    // Build once, then set new X and parameters (same labels) and replay.
    let first = random_net(100);
    let g = Graph::<f64>::new();
    let x = g.constant(first.x);
    let (w1, b1) = (g.var(first.w1), g.var(first.b1));
    let (w2, b2) = (g.var(first.w2), g.var(first.b2));
    let scores = ((x * w1).add_row(b1).relu() * w2).add_row(b2);
    let loss =
        scores.softmax_cross_entropy(&first.labels) + w1.l2_penalty(LAMBDA) + w2.l2_penalty(LAMBDA);

    for seed in [200, 300] {
        let net = Net {
            labels: first.labels,
            ..random_net(seed)
        };
        x.set_value(net.x);
        w1.set_value(net.w1);
        b1.set_value(net.b1);
        w2.set_value(net.w2);
        b2.set_value(net.b2);
        let want = hand_written(&net);
        assert!((loss.value()[0] - want.loss).abs() <= 1e-12);
        let grads = loss.backward();
        assert_close("dW1", grads.wrt(w1), &want.w1, 1e-12);
        assert_close("db1", grads.wrt(b1), &want.b1, 1e-12);
        assert_close("dW2", grads.wrt(w2), &want.w2, 1e-12);
        assert_close("db2", grads.wrt(b2), &want.b2, 1e-12);
    }
}
