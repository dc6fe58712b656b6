//! One model, several batch sizes on one graph: a training batch, the whole held-out set and
//! a single point, with the model's forward written once; padded batches replayed on the
//! training head train as batches of their real rows.

use std::sync::atomic::{AtomicUsize, Ordering};

use nalgebra::SMatrix;
use shapegrad::data::{BatchVars, Dataset};
use shapegrad::nn::{Dense, accuracy};
use shapegrad::optim::{Adam, Optimizer, ParameterVisitor, Parameters};
use shapegrad::{Graph, Labels, Op, Var, datasets};

/// 2 → 16 tanh → 3, generic over the number of rows.
#[derive(Clone, Copy)]
struct Net<'g> {
    hidden: Dense<'g, f64, 2, 16>,
    out: Dense<'g, f64, 16, 3>,
}

impl<'g> Net<'g> {
    fn new(g: &'g Graph<f64>) -> Self {
        Net {
            hidden: Dense::new(g, "hidden", 1),
            out: Dense::new(g, "out", 2),
        }
    }

    fn forward<const N: usize>(&self, x: Var<'g, f64, N, 2>) -> Var<'g, f64, N, 3> {
        self.out.forward(self.hidden.forward(x).tanh())
    }
}

impl<'g> Parameters<'g, f64> for Net<'g> {
    fn visit<V: ParameterVisitor<'g, f64>>(&self, visitor: &mut V) {
        self.hidden.visit(visitor);
        self.out.visit(visitor);
    }
}

/// The net on `g` and its training head: a batch of 8 and the weighted loss.
fn training_head(g: &Graph<f64>) -> (Net<'_>, BatchVars<'_, f64, 8, 2, 3>, Var<'_, f64, 1, 1>) {
    let net = Net::new(g);
    let batch = BatchVars::new(g);
    let loss = net
        .forward(batch.inputs)
        .softmax_cross_entropy_weighted(batch.targets, batch.weights);
    (net, batch, loss)
}

/// How many times the counting op below has computed its output.
static EVALUATIONS: AtomicUsize = AtomicUsize::new(0);

/// The identity, counting its forward passes: shows when a head is recomputed.
struct Counted;

impl<const R: usize, const C: usize> Op<f64, (SMatrix<f64, R, C>,)> for Counted {
    type Output = SMatrix<f64, R, C>;
    fn forward(&self, (x,): (&SMatrix<f64, R, C>,)) -> SMatrix<f64, R, C> {
        EVALUATIONS.fetch_add(1, Ordering::Relaxed);
        *x
    }
    fn backward(
        &self,
        _: (&SMatrix<f64, R, C>,),
        _: &SMatrix<f64, R, C>,
        d_out: &SMatrix<f64, R, C>,
    ) -> (SMatrix<f64, R, C>,) {
        (*d_out,)
    }
}

#[test]
fn one_forward_serves_a_batch_the_held_out_set_and_one_point() {
    // The spiral's rows are grouped by arm: even rows train, odd rows are held out.
    let (x, labels) = datasets::spiral::<60, 3>(3);
    let all = Dataset::from_labels(&x, &labels);
    let (mut train, mut held_out) = (Dataset::new(), Dataset::new());
    for n in 0..all.len() {
        let part = if n % 2 == 0 {
            &mut train
        } else {
            &mut held_out
        };
        part.push(&all.input(n), &all.target(n));
    }

    let g = Graph::<f64>::new();
    let (net, batch, loss) = training_head(&g);
    let held_out_scores = g.apply(
        Counted,
        (net.forward(g.constant(*held_out.inputs::<30>().unwrap())),),
    );
    let point = g.constant(held_out.input(4));
    let point_scores = net.forward(point);
    let held_out_labels = held_out.labels::<30>().unwrap();
    let untrained = accuracy(&held_out_scores.value(), &held_out_labels);

    EVALUATIONS.store(0, Ordering::Relaxed);
    let mut optimizer = Optimizer::new(Adam {
        lr: 0.05,
        ..Adam::default()
    });
    let mut batches = train.batches::<8>().shuffle(5);
    for epoch in 0..100 {
        for b in batches.epoch(epoch) {
            batch.load(&b);
            let grads = loss.backward();
            optimizer.step(&net, &grads);
        }
    }
    // 400 training steps did not compute the held-out head; reading it computes it once.
    assert_eq!(EVALUATIONS.load(Ordering::Relaxed), 0);
    let scores = held_out_scores.value();
    let _ = held_out_scores.value();
    assert_eq!(EVALUATIONS.load(Ordering::Relaxed), 1);

    let trained = accuracy(&scores, &held_out_labels);
    assert!(
        trained > untrained && trained > 0.8,
        "{untrained} → {trained}"
    );
    // The single point is row 4 of the held-out set.
    assert!((point_scores.value().row(0) - scores.row(4)).amax() < 1e-12);
    assert_eq!(
        Labels::argmax(&point_scores.value()).as_array()[0],
        Labels::argmax(&scores).as_array()[4]
    );
    // The same weights on a new graph give the same held-out scores.
    let fresh = Graph::<f64>::new();
    let copy = Net::new(&fresh);
    shapegrad::io::from_bytes(&copy, &shapegrad::io::to_bytes(&net).unwrap()).unwrap();
    let want = copy
        .forward(fresh.constant(*held_out.inputs::<30>().unwrap()))
        .value();
    assert_eq!(scores, want);
}

#[test]
fn a_padded_last_batch_trains_as_a_batch_of_its_real_rows() {
    let (x, labels) = datasets::spiral::<30, 3>(4);
    let data = Dataset::from_labels(&x, &labels);
    let g = Graph::<f64>::new();
    let (net, batch, loss) = training_head(&g);
    let mut batches = data.batches::<8>().shuffle(9);
    let last = batches.epoch(0).last().unwrap();
    assert_eq!(last.rows, 6); // 30 = 3·8 + 6
    batch.load(&last);
    let grads = loss.backward();

    // A graph built for exactly those 6 rows, with the unweighted loss.
    let alone = Graph::<f64>::new();
    let same = Net::new(&alone);
    let rows = SMatrix::<f64, 6, 2>::from_fn(|r, c| last.inputs[(r, c)]);
    let row_labels =
        shapegrad::Labels::<6, 3>::new(std::array::from_fn(|r| last.labels().as_array()[r]))
            .unwrap();
    let alone_loss = same
        .forward(alone.constant(rows))
        .softmax_cross_entropy(&row_labels);
    let alone_grads = alone_loss.backward();
    assert!((loss.value()[0] - alone_loss.value()[0]).abs() < 1e-14);
    assert!((grads.wrt(net.hidden.weight) - alone_grads.wrt(same.hidden.weight)).amax() < 1e-14);
    assert!((grads.wrt(net.out.bias) - alone_grads.wrt(same.out.bias)).amax() < 1e-14);
}
