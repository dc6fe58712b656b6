//! W4: the circuit f = (x + y)·z on 1×1 matrices; gradients of x, y and z.

use std::hint::black_box;

use criterion::Criterion;
use nalgebra::Matrix1;
use shapegrad::{Graph, Real};

use crate::common::{assert_close, group, t};

pub type M<T> = Matrix1<T>;

/// By hand: q = x + y, f = q·z; df/dz = q, df/dq = z = df/dx = df/dy.
#[inline(never)]
pub fn hand<T: Real>((x, y, z): (M<T>, M<T>, M<T>)) -> (M<T>, [M<T>; 3]) {
    let q = x + y;
    let f = q.component_mul(&z);
    (f, [z, z, q])
}

#[inline(never)]
fn fresh<T: Real>((x, y, z): (M<T>, M<T>, M<T>)) -> (M<T>, [M<T>; 3]) {
    let graph = Graph::<T>::new();
    let (xv, yv, zv) = (graph.var(x), graph.var(y), graph.var(z));
    let f = (xv + yv).component_mul(zv);
    let grads = f.backward();
    (f.value(), [*grads.wrt(xv), *grads.wrt(yv), *grads.wrt(zv)])
}

pub fn bench<T: Real>(c: &mut Criterion, ty: &'static str) {
    let inputs = (M::new(t(-2.0)), M::new(t(5.0)), M::new(t(-4.0)));
    let want = hand(inputs);

    let graph = Graph::<T>::new();
    let (x, y, z) = (
        graph.var(inputs.0),
        graph.var(inputs.1),
        graph.var(inputs.2),
    );
    let f = (x + y).component_mul(z);
    let replay = |(xv, yv, zv): (M<T>, M<T>, M<T>)| {
        x.set_value(xv);
        y.set_value(yv);
        z.set_value(zv);
        let grads = f.backward();
        black_box((grads.wrt(x), grads.wrt(y), grads.wrt(z)));
        black_box(f.value());
    };

    let got = fresh(inputs);
    for k in 0..3 {
        assert_close("W4 fresh", &got.1[k], &want.1[k]);
    }
    replay(inputs);
    {
        let grads = f.backward();
        assert_close("W4 replay dx", grads.wrt(x), &want.1[0]);
        assert_close("W4 replay dy", grads.wrt(y), &want.1[1]);
        assert_close("W4 replay dz", grads.wrt(z), &want.1[2]);
    }

    // Two op nodes (x + y, then ·z); the three leaves are not counted.
    let mut group = group(c, "W4", ty, 2);
    group.run("hand", || hand(black_box(inputs)));
    group.run("fresh", || fresh(black_box(inputs)));
    group.run("replay", || replay(black_box(inputs)));
    // The same loop with the graph held by a `Replay` (offsets found once).
    let mut held = graph.replay();
    let (px, py, pz, pf) = (held.place(x), held.place(y), held.place(z), held.place(f));
    let mut replay_held = |(xv, yv, zv): (M<T>, M<T>, M<T>)| {
        held.set(px, &xv);
        held.set(py, &yv);
        held.set(pz, &zv);
        held.backward(pf);
        black_box((held.wrt(px), held.wrt(py), held.wrt(pz)));
        black_box(held.value(pf));
    };
    replay_held(inputs);

    group.run("replay_held", || replay_held(black_box(inputs)));
    group.finish();
    drop(held);
    let grads = f.backward();
    assert_close("W4 replay_held dx", grads.wrt(x), &want.1[0]);
    assert_close("W4 replay_held dz", grads.wrt(z), &want.1[2]);
}
