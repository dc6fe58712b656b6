//! W3: 8 dense 64×64 layers with tanh, batch 64: hᵢ₊₁ = tanh(hᵢ·Wᵢ + bᵢ), loss = ‖h₈‖² (the
//! sum of squares); gradients of every Wᵢ and bᵢ.

use std::hint::black_box;

use criterion::Criterion;
use nalgebra::{Dyn, MatrixView, MatrixViewMut, SMatrix};
use shapegrad::ops::Tanh;
use shapegrad::{Graph, Real, Var};

use crate::common::{assert_close, group, random, rng};

pub const B: usize = 64;
pub const D: usize = 64;
pub const LAYERS: usize = 8;

pub type Square<T> = SMatrix<T, D, D>;
pub type Row<T> = SMatrix<T, 1, D>;

pub struct Data<T: Real> {
    pub x: Box<SMatrix<T, B, D>>,
    pub w: Vec<Box<Square<T>>>,
    pub b: Vec<Row<T>>,
}

pub fn data<T: Real>() -> Data<T> {
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
pub struct Hand<T: Real> {
    /// h₁ … h₈.
    acts: Vec<Box<SMatrix<T, B, D>>>,
    d: Box<SMatrix<T, B, D>>,
    d_next: Box<SMatrix<T, B, D>>,
    w_t: Box<Square<T>>,
    d_w: Vec<Box<Square<T>>>,
    d_b: Vec<Row<T>>,
}

impl<T: Real> Hand<T> {
    pub fn new() -> Self {
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

    /// Careful nalgebra with its static kernels: every product into a preallocated buffer
    /// (`mul_to`, `tr_mul_to` for Xᵀ·dZ without materialising Xᵀ; nalgebra has no A·Bᵀ kernel,
    /// so Wᵀ is transposed into a preallocated buffer), bias and tanh in one pass over each
    /// column, tanh's derivative applied in place, no temporary matrix.
    #[inline(never)]
    pub fn step(&mut self, data: &Data<T>) -> T {
        self.step_with(
            data,
            |c, a, b| a.mul_to(b, c),
            |c, a, b| a.tr_mul_to(b, c),
            true,
        )
    }

    /// The same with every product through nalgebra's `Dyn` views, which call
    /// matrixmultiply's blocked GEMM (allocating its packing buffer on each call), the
    /// transposes as strides: the fastest hand-written nalgebra we know for these sizes.
    #[inline(never)]
    fn step_dyn(&mut self, data: &Data<T>) -> T {
        self.step_with(
            data,
            |c, a, b| dyn_product(c, (a, false), (b, false)),
            |c, a, b| dyn_product(c, (a, true), (b, false)),
            false,
        )
    }

    /// One step with `mul(c, a, b)`: c = a·b and `tr_mul(c, a, b)`: c = aᵀ·b; `d·Wᵀ` is
    /// `mul` of the transposed copy of W when `transpose_w`, else `dyn_product` by strides.
    fn step_with(
        &mut self,
        data: &Data<T>,
        mul: impl Fn(&mut SMatrix<T, B, D>, &SMatrix<T, B, D>, &Square<T>),
        tr_mul: impl Fn(&mut Square<T>, &SMatrix<T, B, D>, &SMatrix<T, B, D>),
        transpose_w: bool,
    ) -> T {
        for i in 0..LAYERS {
            let (before, rest) = self.acts.split_at_mut(i);
            let input: &SMatrix<T, B, D> = if i == 0 { &data.x } else { &before[i - 1] };
            let out = &mut *rest[0];
            mul(out, input, &data.w[i]);
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
            tr_mul(&mut self.d_w[i], input, &self.d);
            self.d_b[i] = self.d.row_sum();
            if i > 0 {
                if transpose_w {
                    data.w[i].transpose_to(&mut self.w_t);
                    mul(&mut self.d_next, &self.d, &self.w_t);
                } else {
                    dyn_product(&mut self.d_next, (&self.d, false), (&data.w[i], true));
                }
                std::mem::swap(&mut self.d, &mut self.d_next);
            }
        }
        loss
    }
}

/// `c = op(a)·op(b)` for 64×64 matrices through nalgebra's `Dyn` gemm (matrixmultiply), each
/// factor transposed by strides when its flag is set.
fn dyn_product<T: Real>(
    c: &mut Square<T>,
    (a, a_t): (&Square<T>, bool),
    (b, b_t): (&Square<T>, bool),
) {
    fn view<T: Real>(m: &Square<T>, t: bool) -> MatrixView<'_, T, Dyn, Dyn, Dyn, Dyn> {
        let (rs, cs) = if t { (D, 1) } else { (1, D) };
        MatrixView::from_slice_with_strides_generic(m.as_slice(), Dyn(D), Dyn(D), Dyn(rs), Dyn(cs))
    }
    let mut c_view = MatrixViewMut::<T, Dyn, Dyn, Dyn, Dyn>::from_slice_with_strides_generic(
        c.as_mut_slice(),
        Dyn(D),
        Dyn(D),
        Dyn(1),
        Dyn(D),
    );
    c_view.gemm(T::one(), &view(a, a_t), &view(b, b_t), T::zero());
}

pub struct Net<'g, T: Real> {
    pub w: Vec<Var<'g, T, D, D>>,
    pub b: Vec<Var<'g, T, 1, D>>,
    pub loss: Var<'g, T, 1, 1>,
}

/// The network as users write it (`fused == false`: `(h·W).add_row(b).tanh()`) or with the
/// bias and tanh in one op (`(h·W).add_row_then(b, Tanh)`).
pub fn build<'g, T: Real>(graph: &'g Graph<T>, data: &Data<T>, fused: bool) -> Net<'g, T> {
    let mut h = graph.constant(*data.x);
    let (mut w, mut b) = (Vec::new(), Vec::new());
    for i in 0..LAYERS {
        let (wi, bi) = (graph.var(*data.w[i]), graph.var(data.b[i]));
        h = if fused {
            (h * wi).add_row_then(bi, Tanh)
        } else {
            (h * wi).add_row(bi).tanh()
        };
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
    let net = build(&graph, data, false);
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
    let mut hand_dyn = Hand::new();
    hand_dyn.step_dyn(&data);
    for i in 0..LAYERS {
        assert_close("W3 hand_dyn dW", &hand_dyn.d_w[i], &hand.d_w[i]);
    }
    fresh(&data, Some(&hand));

    let (graph, graph_fused) = (Graph::<T>::new(), Graph::<T>::new());
    let (net, net_fused) = (
        build(&graph, &data, false),
        build(&graph_fused, &data, true),
    );
    let replay = |net: &Net<'_, T>, data: &Data<T>, check: Option<&Hand<T>>| {
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
    for net in [&net, &net_fused] {
        replay(net, &data, Some(&hand));
        replay(net, &data, Some(&hand));
    }

    let mut group = group(c, "W3", ty, graph.len());
    group.run("hand", || hand.step(black_box(&data)));
    group.run("hand_dyn", || hand_dyn.step_dyn(black_box(&data)));
    group.run("fresh", || fresh(black_box(&data), None));
    group.run("replay", || replay(&net, black_box(&data), None));
    group.run("replay_fused", || {
        replay(&net_fused, black_box(&data), None)
    });
    group.also("replay", "hand_dyn");
    group.also("replay_fused", "hand_dyn");
    group.finish();
}
