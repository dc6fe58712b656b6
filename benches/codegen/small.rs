//! W1, W4, W5 and W6: the generated code against the workloads' hand-written code and the
//! replayed graph.

use std::hint::black_box;

use criterion::Criterion;
use nalgebra::{Matrix1, Matrix2x3, Vector2, Vector3};
use shapegrad::jacobian::jacobian;
use shapegrad::num_dual::{DualSVec32, DualSVec64};
use shapegrad::{Graph, Real};

use crate::common::{assert_close, group, group_against, random, rng, t};
use crate::{w1, w1_generated, w4, w4_generated, w5, w5_generated, w6, w6_generated};

/// W1: W (5×10)·x (10×3), loss = sum(D ∘ G); gradients of W and x.
pub fn w1<T: Real>(c: &mut Criterion, ty: &'static str) {
    let mut rng = rng(1);
    let data = w1::Data::<T> {
        w: random(&mut rng, 1.0),
        x: random(&mut rng, 1.0),
        g: random(&mut rng, 1.0),
    };
    let want = w1::hand(&data);

    let graph = Graph::<T>::new();
    let w = graph.var(data.w);
    let x = graph.var(data.x);
    let g = graph.constant(data.g);
    let loss = (w * x).component_mul(g).sum();
    let replay = |data: &w1::Data<T>| {
        w.set_value(data.w);
        x.set_value(data.x);
        let grads = loss.backward();
        black_box((grads.wrt(w), grads.wrt(x)));
        black_box(loss.value());
    };
    let generated =
        |data: &w1::Data<T>| w1_generated::value_and_gradient(&data.w, &data.x, &data.g);
    let (value, (d_w, d_x)) = generated(&data);
    assert_close(
        "W1 generated loss",
        &Matrix1::new(value),
        &Matrix1::new(want.0),
    );
    assert_close("W1 generated dW", &d_w, &want.1);
    assert_close("W1 generated dx", &d_x, &want.2);

    let mut group = group(c, "W1", ty, graph.len());
    group.run("hand", || w1::hand(black_box(&data)));
    group.run("replay", || replay(black_box(&data)));
    group.run("generated", || generated(black_box(&data)));
    group.finish();
}

type M1<T> = w4::M<T>;

/// W4: (x + y)·z on 1×1 matrices; gradients of x, y and z.
pub fn w4<T: Real>(c: &mut Criterion, ty: &'static str) {
    let inputs = (M1::new(t(-2.0)), M1::new(t(5.0)), M1::new(t(-4.0)));
    let want = w4::hand(inputs);

    let graph = Graph::<T>::new();
    let (x, y, z) = (
        graph.var(inputs.0),
        graph.var(inputs.1),
        graph.var(inputs.2),
    );
    let f = (x + y).component_mul(z);
    let replay = |(xv, yv, zv): (M1<T>, M1<T>, M1<T>)| {
        x.set_value(xv);
        y.set_value(yv);
        z.set_value(zv);
        let grads = f.backward();
        black_box((grads.wrt(x), grads.wrt(y), grads.wrt(z)));
        black_box(f.value());
    };
    let generated = |(x, y, z): (M1<T>, M1<T>, M1<T>)| w4_generated::value_and_gradient(&x, &y, &z);
    let (value, (d_x, d_y, d_z)) = generated(inputs);
    assert_close("W4 generated f", &M1::new(value), &want.0);
    assert_close("W4 generated dx", &d_x, &want.1[0]);
    assert_close("W4 generated dy", &d_y, &want.1[1]);
    assert_close("W4 generated dz", &d_z, &want.1[2]);

    let mut group = group(c, "W4", ty, graph.len());
    group.run("hand", || w4::hand(black_box(inputs)));
    group.run("replay", || replay(black_box(inputs)));
    group.run("generated", || generated(black_box(inputs)));
    group.finish();
}

/// Forward mode over the generated `value` on dual numbers with three directions:
/// `num_dual::jacobian` on the generated function (shapegrad's `second_order` entry points for
/// plain functions will do the same).
pub trait Forward: Real {
    fn forward_jacobian(q: &Vector3<Self>) -> Matrix2x3<Self>;
}

impl Forward for f64 {
    #[inline(never)]
    fn forward_jacobian(q: &Vector3<f64>) -> Matrix2x3<f64> {
        shapegrad::num_dual::jacobian(|q| w5_generated::value::<DualSVec64<3>>(&q), q).1
    }
}

impl Forward for f32 {
    #[inline(never)]
    fn forward_jacobian(q: &Vector3<f32>) -> Matrix2x3<f32> {
        shapegrad::num_dual::jacobian(|q| w5_generated::value::<DualSVec32<3>>(&q), q).1
    }
}

/// W5: the 2×3 Jacobian of the planar 3-link arm, against the analytic Jacobian.
pub fn w5<T: Forward>(c: &mut Criterion, ty: &'static str) {
    let q0 = Vector3::new(t(0.3), t(-0.7), t(1.1));
    let want = w5::analytic(&q0);

    let graph = Graph::<T>::new();
    let (q, tip) = w5::arm(&graph);
    let replay = |q_value: &Vector3<T>| {
        q.set_value(*q_value);
        jacobian(tip, q)
    };
    assert_close("W5 replay", &replay(&q0), &want);
    assert_close("W5 generated", &w5_generated::jacobian(&q0), &want);
    assert_close("W5 generated-fwd", &T::forward_jacobian(&q0), &want);

    let mut group = group_against(c, "W5", ty, graph.len(), "analytic");
    group.run("analytic", || w5::analytic(black_box(&q0)));
    group.run("replay", || replay(black_box(&q0)));
    group.run("generated", || w5_generated::jacobian(black_box(&q0)));
    group.run("generated-fwd", || T::forward_jacobian(black_box(&q0)));
    group.finish();
}

/// The generated gradients as the adjoint's array.
fn commands<T: Real>(d: w6_generated::Gradients<T>) -> [Vector2<T>; w6::STEPS] {
    [
        d.0, d.1, d.2, d.3, d.4, d.5, d.6, d.7, d.8, d.9, d.10, d.11, d.12, d.13, d.14, d.15, d.16,
        d.17, d.18, d.19,
    ]
}

#[inline(never)]
fn w6_generated<T: Real>(u: &[Vector2<T>; w6::STEPS]) -> (T, w6_generated::Gradients<T>) {
    w6_generated::value_and_gradient(
        &u[0], &u[1], &u[2], &u[3], &u[4], &u[5], &u[6], &u[7], &u[8], &u[9], &u[10], &u[11],
        &u[12], &u[13], &u[14], &u[15], &u[16], &u[17], &u[18], &u[19],
    )
}

/// W6: the gradient of the 20-step MPC cost with respect to its 20 commands, against the
/// hand-written adjoint.
pub fn w6<T: Real>(c: &mut Criterion, ty: &'static str) {
    let sys = w6::system::<T>();
    let u0 = w6::commands::<T>(0.0);
    let want = w6::adjoint(&sys, &u0);

    let graph = Graph::<T>::new();
    let (u, cost) = w6::rollout(&graph, &sys);
    let replay = |values: &[Vector2<T>; w6::STEPS]| {
        for (u_k, value) in u.iter().zip(values) {
            u_k.set_value(*value);
        }
        let grads = cost.backward();
        let mut out = [Vector2::zeros(); w6::STEPS];
        for (o, u_k) in out.iter_mut().zip(&u) {
            *o = *grads.wrt(*u_k);
        }
        drop(grads);
        (cost.value()[0], out)
    };
    let (value, d) = w6_generated(&u0);
    assert_close(
        "W6 generated cost",
        &Matrix1::new(value),
        &Matrix1::new(want.0),
    );
    for (k, d_k) in commands(d).iter().enumerate() {
        assert_close("W6 generated dJ/du", d_k, &want.1[k]);
    }

    let mut group = group(c, "W6", ty, graph.len());
    group.run("hand", || w6::adjoint(black_box(&sys), black_box(&u0)));
    group.run("replay", || replay(black_box(&u0)));
    group.run("generated", || w6_generated(black_box(&u0)));
    group.finish();
}
