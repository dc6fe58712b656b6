//! W3: 8 dense 64×64 layers with tanh, batch 64: hᵢ₊₁ = tanh(hᵢ·Wᵢ + bᵢ), loss = ‖h₈‖² (the
//! sum of squares); gradients of every Wᵢ and bᵢ.

use std::hint::black_box;

use criterion::Criterion;
use nalgebra::SMatrix;
use shapegrad::{Graph, Real, Var};

use crate::common::{assert_close, group, random, rng};

const B: usize = 64;
const D: usize = 64;
const LAYERS: usize = 8;

type Square<T> = SMatrix<T, D, D>;
type Row<T> = SMatrix<T, 1, D>;

struct Data<T: Real> {
    x: Box<SMatrix<T, B, D>>,
    w: Vec<Box<Square<T>>>,
    b: Vec<Row<T>>,
}

fn data<T: Real>() -> Data<T> {
    let mut rng = rng(3);
    let scale = 3f64.sqrt() / 8.0; // entries of standard deviation 1/√64
    Data {
        x: Box::new(random(&mut rng, 1.0)),
        w: (0..LAYERS)
            .map(|_| Box::new(random(&mut rng, scale)))
            .collect(),
        b: (0..LAYERS).map(|_| random(&mut rng, 0.1)).collect(),
    }
}

/// The hand-written network's buffers, allocated once and reused by every step.
struct Hand<T: Real> {
    /// h₁ … h₈.
    acts: Vec<Box<SMatrix<T, B, D>>>,
    d: Box<SMatrix<T, B, D>>,
    d_next: Box<SMatrix<T, B, D>>,
    w_t: Box<Square<T>>,
    d_w: Vec<Box<Square<T>>>,
    d_b: Vec<Row<T>>,
}

impl<T: Real> Hand<T> {
    fn new() -> Self {
        let boxed = || Box::new(SMatrix::zeros());
        Hand {
            acts: (0..LAYERS).map(|_| boxed()).collect(),
            d: boxed(),
            d_next: boxed(),
            w_t: boxed(),
            d_w: (0..LAYERS).map(|_| boxed()).collect(),
            d_b: vec![Row::zeros(); LAYERS],
        }
    }

    #[inline(never)]
    fn step(&mut self, data: &Data<T>) -> T {
        for i in 0..LAYERS {
            let (before, rest) = self.acts.split_at_mut(i);
            let input: &SMatrix<T, B, D> = if i == 0 { &data.x } else { &before[i - 1] };
            let out = &mut *rest[0];
            input.mul_to(&data.w[i], out);
            for (mut column, &b) in out.column_iter_mut().zip(data.b[i].iter()) {
                column.apply(|z| *z = (*z + b).tanh());
            }
        }
        let last = &self.acts[LAYERS - 1];
        let loss = last.norm_squared();
        self.d.copy_from(last);
        *self.d *= T::one() + T::one();
        for i in (0..LAYERS).rev() {
            // dz = d ∘ (1 − h²), in place.
            self.d
                .zip_apply(&self.acts[i], |d, h| *d *= T::one() - h * h);
            let input: &SMatrix<T, B, D> = if i == 0 { &data.x } else { &self.acts[i - 1] };
            input.tr_mul_to(&self.d, &mut self.d_w[i]);
            self.d_b[i] = self.d.row_sum();
            if i > 0 {
                data.w[i].transpose_to(&mut self.w_t);
                self.d.mul_to(&self.w_t, &mut self.d_next);
                std::mem::swap(&mut self.d, &mut self.d_next);
            }
        }
        loss
    }
}

struct Net<'g, T: Real> {
    w: Vec<Var<'g, T, D, D>>,
    b: Vec<Var<'g, T, 1, D>>,
    loss: Var<'g, T, 1, 1>,
}

fn build<'g, T: Real>(graph: &'g Graph<T>, data: &Data<T>) -> Net<'g, T> {
    let mut h = graph.constant(*data.x);
    let (mut w, mut b) = (Vec::new(), Vec::new());
    for i in 0..LAYERS {
        let (wi, bi) = (graph.var(*data.w[i]), graph.var(data.b[i]));
        h = (h * wi).add_row(bi).tanh();
        w.push(wi);
        b.push(bi);
    }
    Net {
        w,
        b,
        loss: h.norm_squared(),
    }
}

#[inline(never)]
fn fresh<T: Real>(data: &Data<T>, check: Option<&Hand<T>>) -> T {
    let graph = Graph::<T>::new();
    let net = build(&graph, data);
    let grads = net.loss.backward();
    for i in 0..LAYERS {
        black_box((grads.wrt(net.w[i]), grads.wrt(net.b[i])));
        if let Some(hand) = check {
            assert_close("W3 dW", grads.wrt(net.w[i]), &hand.d_w[i]);
            assert_close("W3 db", grads.wrt(net.b[i]), &hand.d_b[i]);
        }
    }
    net.loss.value()[0]
}

pub fn bench<T: Real>(c: &mut Criterion, ty: &'static str) {
    let data = data::<T>();
    let mut hand = Hand::new();
    hand.step(&data);
    fresh(&data, Some(&hand));

    let graph = Graph::<T>::new();
    let net = build(&graph, &data);
    let replay = |data: &Data<T>, check: Option<&Hand<T>>| {
        for i in 0..LAYERS {
            net.w[i].set_value(*data.w[i]);
            net.b[i].set_value(data.b[i]);
        }
        let grads = net.loss.backward();
        for i in 0..LAYERS {
            black_box((grads.wrt(net.w[i]), grads.wrt(net.b[i])));
            if let Some(hand) = check {
                assert_close("W3 replay dW", grads.wrt(net.w[i]), &hand.d_w[i]);
                assert_close("W3 replay db", grads.wrt(net.b[i]), &hand.d_b[i]);
            }
        }
        black_box(net.loss.value());
    };
    replay(&data, Some(&hand));
    replay(&data, Some(&hand));

    let mut group = group(c, "W3", ty, graph.len());
    group.run("hand", || hand.step(black_box(&data)));
    group.run("fresh", || fresh(black_box(&data), None));
    group.run("replay", || replay(black_box(&data), None));
    group.finish();
}
