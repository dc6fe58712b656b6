//! W2: the course notes' spiral classifier, N = 300 points of 3 classes, 2 → 100 ReLU → 3,
//! softmax cross-entropy + ½λ(‖W1‖² + ‖W2‖²) with λ = 1e-3; gradients of W1, b1, W2, b2.

use std::hint::black_box;

use criterion::Criterion;
use nalgebra::SMatrix;
use rand::RngExt;
use shapegrad::ops::Relu;
use shapegrad::{Graph, Labels, Real, Var};

use crate::common::{assert_close, group, random, rng, t};

pub const N: usize = 300;
pub const H: usize = 100;
pub const K: usize = 3;
const LAMBDA: f64 = 1e-3;

pub struct Params<T: Real> {
    pub w1: SMatrix<T, 2, H>,
    pub b1: SMatrix<T, 1, H>,
    pub w2: SMatrix<T, H, K>,
    pub b2: SMatrix<T, 1, K>,
}

/// The loss and the gradients of W1, b1, W2, b2.
pub type Out<T> = (T, Params<T>);

pub struct Data<T: Real> {
    pub x: Box<SMatrix<T, N, 2>>,
    pub labels: Labels<N, K>,
    pub params: Params<T>,
}

/// The notes' spiral: class k's 100 points at radius r ∈ [0, 1], angle 4k + 4r + noise.
pub fn spiral<T: Real>() -> Data<T> {
    let mut rng = rng(2);
    let mut x = Box::new(SMatrix::<T, N, 2>::zeros());
    let per_class = N / K;
    for n in 0..N {
        let (k, i) = (n / per_class, n % per_class);
        let r = i as f64 / (per_class - 1) as f64;
        let angle = 4.0 * (k as f64 + r) + 0.2 * rng.random_range(-1.0..1.0);
        x[(n, 0)] = t(r * angle.sin());
        x[(n, 1)] = t(r * angle.cos());
    }
    let labels = Labels::new(std::array::from_fn(|n| n / per_class)).unwrap();
    let params = Params {
        w1: random(&mut rng, 1.0),
        b1: random(&mut rng, 0.1),
        w2: random(&mut rng, 0.3),
        b2: random(&mut rng, 0.1),
    };
    Data { x, labels, params }
}

/// The hand-written network's buffers, allocated once and reused by every step.
pub struct Hand<T: Real> {
    hidden: Box<SMatrix<T, N, H>>,
    d_hidden: Box<SMatrix<T, N, H>>,
    /// The scores, then (in place) their gradient.
    scores: Box<SMatrix<T, N, K>>,
    w2_t: SMatrix<T, K, H>,
}

impl<T: Real> Hand<T> {
    pub fn new() -> Self {
        Hand {
            hidden: Box::new(SMatrix::zeros()),
            d_hidden: Box::new(SMatrix::zeros()),
            scores: Box::new(SMatrix::zeros()),
            w2_t: SMatrix::zeros(),
        }
    }

    /// The course notes' numpy code, in careful nalgebra: every product into a preallocated
    /// buffer (`mul_to`, and `gemm_tr` for Aᵀ·B without materialising Aᵀ; nalgebra has no
    /// A·Bᵀ kernel, so W2ᵀ is transposed into a preallocated 3×100 buffer), bias and ReLU in
    /// one pass over each column, and one fused pass per sample for the softmax, the loss and
    /// the scores' gradient.
    #[inline(never)]
    pub fn step(&mut self, data: &Data<T>) -> Out<T> {
        let p = &data.params;
        let lambda: T = t(LAMBDA);
        let hidden = &mut *self.hidden;
        data.x.mul_to(&p.w1, hidden);
        for (mut column, &b) in hidden.column_iter_mut().zip(p.b1.iter()) {
            column.apply(|h| *h = (*h + b).max(T::zero()));
        }
        let scores = &mut *self.scores;
        hidden.mul_to(&p.w2, scores);
        let inv_n: T = t(1.0 / N as f64);
        let mut data_loss = T::zero();
        for (n, &label) in data.labels.as_array().iter().enumerate() {
            let mut s = [T::zero(); K];
            for (k, s) in s.iter_mut().enumerate() {
                *s = scores[(n, k)] + p.b2[k];
            }
            let max = s.iter().copied().fold(s[0], T::max);
            let mut total = T::zero();
            for s in &mut s {
                *s = (*s - max).exp();
                total += *s;
            }
            data_loss -= (s[label] / total).ln();
            let scale = inv_n / total;
            for (k, &s) in s.iter().enumerate() {
                let y = if k == label { inv_n } else { T::zero() };
                scores[(n, k)] = s * scale - y; // dScores = (P − Y)/N
            }
        }
        let d_scores = &*scores;
        let loss =
            data_loss * inv_n + t::<T>(0.5) * lambda * (p.w1.norm_squared() + p.w2.norm_squared());

        let mut d_w2 = p.w2 * lambda;
        d_w2.gemm_tr(T::one(), hidden, d_scores, T::one());
        let d_b2 = d_scores.row_sum();
        let d_hidden = &mut *self.d_hidden;
        p.w2.transpose_to(&mut self.w2_t);
        d_scores.mul_to(&self.w2_t, d_hidden);
        d_hidden.zip_apply(hidden, |d, h| {
            if h <= T::zero() {
                *d = T::zero();
            }
        });
        let mut d_w1 = p.w1 * lambda;
        d_w1.gemm_tr(T::one(), &*data.x, d_hidden, T::one());
        let d_b1 = d_hidden.row_sum();
        (
            loss,
            Params {
                w1: d_w1,
                b1: d_b1,
                w2: d_w2,
                b2: d_b2,
            },
        )
    }
}

pub struct Net<'g, T: Real> {
    pub w1: Var<'g, T, 2, H>,
    pub b1: Var<'g, T, 1, H>,
    pub w2: Var<'g, T, H, K>,
    pub b2: Var<'g, T, 1, K>,
    pub loss: Var<'g, T, 1, 1>,
}

/// The classifier's scores for a batch of M points.
pub fn scores<'g, T: Real, const M: usize>(
    net: &Net<'g, T>,
    x: Var<'g, T, M, 2>,
) -> Var<'g, T, M, K> {
    let hidden = (x * net.w1).add_row(net.b1).relu();
    (hidden * net.w2).add_row(net.b2)
}

pub fn build<'g, T: Real>(graph: &'g Graph<T>, data: &Data<T>) -> Net<'g, T> {
    build_with(graph, data, false)
}

/// The network as users write it (`(x·W1).add_row(b1).relu()`), or with the bias and ReLU in
/// one op (`fused`: `(x·W1).add_row_then(b1, Relu)`).
pub fn build_with<'g, T: Real>(graph: &'g Graph<T>, data: &Data<T>, fused: bool) -> Net<'g, T> {
    let p = &data.params;
    let x = graph.constant(*data.x);
    let (w1, b1) = (graph.var(p.w1), graph.var(p.b1));
    let (w2, b2) = (graph.var(p.w2), graph.var(p.b2));
    let hidden = if fused {
        (x * w1).add_row_then(b1, Relu)
    } else {
        (x * w1).add_row(b1).relu()
    };
    let scores = (hidden * w2).add_row(b2);
    let lambda = t(LAMBDA);
    let loss =
        scores.softmax_cross_entropy(&data.labels) + w1.l2_penalty(lambda) + w2.l2_penalty(lambda);
    Net {
        w1,
        b1,
        w2,
        b2,
        loss,
    }
}

#[inline(never)]
fn fresh<T: Real>(data: &Data<T>) -> Out<T> {
    let graph = Graph::<T>::new();
    let net = build(&graph, data);
    let grads = net.loss.backward();
    let d = Params {
        w1: *grads.wrt(net.w1),
        b1: *grads.wrt(net.b1),
        w2: *grads.wrt(net.w2),
        b2: *grads.wrt(net.b2),
    };
    (net.loss.value()[0], d)
}

fn assert_same<T: Real>(what: &str, got: &Out<T>, want: &Out<T>) {
    assert_close(
        what,
        &nalgebra::Matrix1::new(got.0),
        &nalgebra::Matrix1::new(want.0),
    );
    assert_close(what, &got.1.w1, &want.1.w1);
    assert_close(what, &got.1.b1, &want.1.b1);
    assert_close(what, &got.1.w2, &want.1.w2);
    assert_close(what, &got.1.b2, &want.1.b2);
}

/// One replayed training step: set the parameters, backward, read the gradients and the loss.
pub fn replay_step<T: Real>(net: &Net<'_, T>, data: &Data<T>) -> T {
    let p = &data.params;
    net.w1.set_value(p.w1);
    net.b1.set_value(p.b1);
    net.w2.set_value(p.w2);
    net.b2.set_value(p.b2);
    let grads = net.loss.backward();
    black_box((grads.wrt(net.w1), grads.wrt(net.b1)));
    black_box((grads.wrt(net.w2), grads.wrt(net.b2)));
    drop(grads);
    net.loss.value()[0]
}

pub fn bench<T: Real>(c: &mut Criterion, ty: &'static str) {
    let data = spiral::<T>();
    let mut hand = Hand::new();
    let want = hand.step(&data);

    let (graph, graph_fused) = (Graph::<T>::new(), Graph::<T>::new());
    let (net, net_fused) = (build(&graph, &data), build_with(&graph_fused, &data, true));
    let replay = |net: &Net<'_, T>, data: &Data<T>| replay_step(net, data);

    assert_same("W2 fresh", &fresh(&data), &want);
    for (what, net) in [("W2 replay", &net), ("W2 replay_fused", &net_fused)] {
        replay(net, &data);
        let grads = net.loss.backward();
        let d = Params {
            w1: *grads.wrt(net.w1),
            b1: *grads.wrt(net.b1),
            w2: *grads.wrt(net.w2),
            b2: *grads.wrt(net.b2),
        };
        assert_same(what, &(net.loss.value()[0], d), &want);
    }

    let mut group = group(c, "W2", ty, graph.len());
    group.run("hand", || hand.step(black_box(&data)));
    group.run("fresh", || fresh(black_box(&data)));
    group.run("replay", || replay(&net, black_box(&data)));
    group.run("replay_fused", || replay(&net_fused, black_box(&data)));
    group.finish();
}
