//! W7: W2's spiral classifier with three evaluation heads on the same graph, sharing its
//! layers: a one-point prediction (1 row), a small batch (16 rows) and the whole set (300
//! rows). The contender is a replayed training step (new parameters, backward from the
//! training loss, gradients read) on that graph; the baseline is the same step on the graph
//! without the heads. Heads that are not read must cost nothing. On this machine the second
//! contender of a group tends to run a few percent slower whichever it is (three runs with
//! the heads second: 1.05–1.06 in f64; with them first: 0.90), so read the ratio together
//! with `tests/integration/tape.rs`, which counts the work: the unread heads' ops never run.

use std::hint::black_box;

use criterion::Criterion;
use nalgebra::SMatrix;
use shapegrad::{Graph, Real};

use crate::common::{assert_close, group_against};
use crate::w2::{build, replay_step as step, scores, spiral};

pub fn bench<T: Real>(c: &mut Criterion, ty: &'static str) {
    let data = spiral::<T>();

    let one_head = Graph::<T>::new();
    let plain = build(&one_head, &data);

    let with_heads = Graph::<T>::new();
    let net = build(&with_heads, &data);
    let point = with_heads.constant(SMatrix::<T, 1, 2>::from_fn(|_, c| data.x[(7, c)]));
    let batch = with_heads.constant(SMatrix::<T, 16, 2>::from_fn(|r, c| data.x[(r * 3, c)]));
    let all = with_heads.constant(*data.x);
    let heads = (
        scores(&net, point),
        scores(&net, batch),
        scores(&net, all).softmax(),
    );
    // The heads are read once (built and correct), then never again during the timing.
    let p = &data.params;
    let hidden = (point.value() * p.w1 + p.b1).map(|h| h.max(T::zero()));
    assert_close("W7 head", &heads.0.value(), &(hidden * p.w2 + p.b2));
    assert_eq!(heads.1.value().nrows(), 16);
    assert!(heads.2.value().iter().all(|p| *p > T::zero()));

    let want = step(&plain, &data);
    let got = step(&net, &data);
    assert_close(
        "W7 loss",
        &nalgebra::Matrix1::new(got),
        &nalgebra::Matrix1::new(want),
    );

    let mut group = group_against(c, "W7", ty, with_heads.len(), "one_head");
    group.run("one_head", || step(&plain, black_box(&data)));
    group.run("three_heads", || step(&net, black_box(&data)));
    group.finish();
}
