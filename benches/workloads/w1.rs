//! W1: W (5×10)·x (10×3) = D, loss = sum(D ∘ G) for a fixed G; gradients of W and x.

use std::hint::black_box;

use criterion::Criterion;
use nalgebra::SMatrix;
use shapegrad::{Graph, Real};

use crate::common::{assert_close, group, random, rng};

pub type W<T> = SMatrix<T, 5, 10>;
pub type X<T> = SMatrix<T, 10, 3>;
pub type G<T> = SMatrix<T, 5, 3>;

pub struct Data<T: Real> {
    pub w: W<T>,
    pub x: X<T>,
    pub g: G<T>,
}

/// The notes' vectorised example by hand: dW = G·xᵀ, dx = Wᵀ·G.
#[inline(never)]
pub fn hand<T: Real>(data: &Data<T>) -> (T, W<T>, X<T>) {
    let d = data.w * data.x;
    let loss = d.dot(&data.g);
    let d_w = data.g * data.x.transpose();
    let d_x = data.w.tr_mul(&data.g);
    (loss, d_w, d_x)
}

#[inline(never)]
fn fresh<T: Real>(data: &Data<T>) -> (T, W<T>, X<T>) {
    let graph = Graph::<T>::new();
    let w = graph.var(data.w);
    let x = graph.var(data.x);
    let g = graph.constant(data.g);
    let loss = (w * x).component_mul(g).sum();
    let grads = loss.backward();
    (loss.value()[0], *grads.wrt(w), *grads.wrt(x))
}

pub fn bench<T: Real>(c: &mut Criterion, ty: &'static str) {
    let mut rng = rng(1);
    let data = Data::<T> {
        w: random(&mut rng, 1.0),
        x: random(&mut rng, 1.0),
        g: random(&mut rng, 1.0),
    };
    let want = hand(&data);

    let graph = Graph::<T>::new();
    let w = graph.var(data.w);
    let x = graph.var(data.x);
    let g = graph.constant(data.g);
    let loss = (w * x).component_mul(g).sum();
    let replay = |data: &Data<T>| {
        w.set_value(data.w);
        x.set_value(data.x);
        let grads = loss.backward();
        black_box((grads.wrt(w), grads.wrt(x)));
        black_box(loss.value());
    };

    let got = fresh(&data);
    assert_close("W1 fresh dW", &got.1, &want.1);
    assert_close("W1 fresh dx", &got.2, &want.2);
    replay(&data);
    {
        let grads = loss.backward();
        assert_close("W1 replay dW", grads.wrt(w), &want.1);
        assert_close("W1 replay dx", grads.wrt(x), &want.2);
    }

    let mut group = group(c, "W1", ty, 3);
    group.run("hand", || hand(black_box(&data)));
    group.run("fresh", || fresh(black_box(&data)));
    group.run("replay", || replay(black_box(&data)));
    let mut held = graph.replay();
    let (pw, px, ploss) = (held.place(w), held.place(x), held.place(loss));
    let mut replay_held = |data: &Data<T>| {
        held.set(pw, &data.w);
        held.set(px, &data.x);
        held.backward(ploss);
        black_box((held.wrt(pw), held.wrt(px)));
        black_box(held.value(ploss));
    };
    replay_held(&data);

    group.run("replay_held", || replay_held(black_box(&data)));
    group.finish();
    drop(held);
    let grads = loss.backward();
    assert_close("W1 replay_held dW", grads.wrt(w), &want.1);
}
