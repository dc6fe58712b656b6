//! W2 and W3: the generated code of the larger workloads against the workloads' hand-written
//! code and the replayed graph (whose speed the generated code must at least match).

use std::hint::black_box;

use criterion::Criterion;
use nalgebra::Matrix1;
use shapegrad::{Graph, Real};

use crate::common::{assert_close, group};
use crate::{w2, w2_generated, w3, w3_generated};

/// W2: the spiral classifier's loss and the gradients of its four parameters.
pub fn w2<T: Real>(c: &mut Criterion, ty: &'static str) {
    let data = w2::spiral::<T>();
    let mut hand = w2::Hand::new();
    let want = hand.step(&data);

    let graph = Graph::<T>::new();
    let net = w2::build(&graph, &data);
    let generated = |data: &w2::Data<T>| {
        let p = &data.params;
        w2_generated::value_and_gradient(&p.w1, &p.b1, &p.w2, &p.b2)
    };
    let (loss, (d_w1, d_b1, d_w2, d_b2)) = generated(&data);
    assert_close(
        "W2 generated loss",
        &Matrix1::new(loss),
        &Matrix1::new(want.0),
    );
    assert_close("W2 generated dW1", &d_w1, &want.1.w1);
    assert_close("W2 generated db1", &d_b1, &want.1.b1);
    assert_close("W2 generated dW2", &d_w2, &want.1.w2);
    assert_close("W2 generated db2", &d_b2, &want.1.b2);

    let mut group = group(c, "W2", ty, graph.len());
    group.run("hand", || hand.step(black_box(&data)));
    group.run("replay", || w2::replay_step(&net, black_box(&data)));
    group.run("generated", || generated(black_box(&data)));
    group.also("generated", "replay");
    group.finish();
}

#[inline(never)]
fn w3_generated<T: Real>(data: &w3::Data<T>) -> (T, w3_generated::Gradients<T>) {
    let (w, b) = (&data.w, &data.b);
    w3_generated::value_and_gradient(
        &w[0], &b[0], &w[1], &b[1], &w[2], &b[2], &w[3], &b[3], &w[4], &b[4], &w[5], &b[5], &w[6],
        &b[6], &w[7], &b[7],
    )
}

/// W3: 8 dense tanh layers; the loss and the gradients of every weight and bias.
pub fn w3<T: Real>(c: &mut Criterion, ty: &'static str) {
    let data = w3::data::<T>();
    let mut hand = w3::Hand::new();
    let want = hand.step(&data);

    let graph = Graph::<T>::new();
    let net = w3::build(&graph, &data, false);
    let replay = |data: &w3::Data<T>| {
        for i in 0..w3::LAYERS {
            net.w[i].set_value(*data.w[i]);
            net.b[i].set_value(data.b[i]);
        }
        let grads = net.loss.backward();
        for i in 0..w3::LAYERS {
            black_box((grads.wrt(net.w[i]), grads.wrt(net.b[i])));
        }
        drop(grads);
        net.loss.value()[0]
    };
    let (loss, d) = w3_generated(&data);
    assert_close(
        "W3 generated loss",
        &Matrix1::new(loss),
        &Matrix1::new(want),
    );
    replay(&data);
    {
        // The replayed graph is checked against the hand-written code by the workloads bench.
        let grads = net.loss.backward();
        let (w, b) = (&net.w, &net.b);
        assert_close("W3 generated dW0", &d.0, grads.wrt(w[0]));
        assert_close("W3 generated db0", &d.1, grads.wrt(b[0]));
        assert_close("W3 generated dW3", &d.6, grads.wrt(w[3]));
        assert_close("W3 generated db3", &d.7, grads.wrt(b[3]));
        assert_close("W3 generated dW7", &d.14, grads.wrt(w[7]));
        assert_close("W3 generated db7", &d.15, grads.wrt(b[7]));
    }

    let mut group = group(c, "W3", ty, graph.len());
    group.run("hand", || hand.step(black_box(&data)));
    group.run("replay", || replay(black_box(&data)));
    group.run("generated", || w3_generated(black_box(&data)));
    group.also("generated", "replay");
    group.finish();
}
