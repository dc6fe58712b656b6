//! Typed mini-batches: `Batches` (per-epoch order), `Epoch` (one pass), `Batch` (B rows).

use nalgebra::SMatrix;

use super::Dataset;
use crate::graph::{Graph, Var};
use crate::kernels::Real;
use crate::kernels::rng::{Rng, SplitMix64};
use crate::ops::Labels;

/// What to do with the last batch of an epoch when the data set's row count is not a multiple
/// of the batch size.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LastBatch {
    /// Keep it, filled up with padding rows of weight 0 (inputs and targets 0): with a weighted
    /// loss the padding contributes nothing and the mean is over the real rows. Every row is
    /// used once per epoch. The default (as PyTorch's `drop_last = False`).
    #[default]
    Pad,
    /// Leave it out: every batch is full, and up to B − 1 rows (different ones each epoch when
    /// shuffled) are not used in an epoch.
    Drop,
}

/// Mini-batches of `B` rows of a [`Dataset`], epoch after epoch.
///
/// [`Batches::epoch`]`(e)` is one pass over the data set as an iterator of [`Batch`]es. By
/// default the rows come in order; after [`Batches::shuffle`]`(seed)` each epoch has its own
/// order, a function of the seed and the epoch number only (see there), so epoch 7 is the
/// same whether or not epochs 0 to 6 ran: training resumed from a checkpoint sees the batches
/// it would have seen. The last partial batch is padded
/// ([`LastBatch::Pad`], the default) or dropped ([`LastBatch::Drop`]).
///
/// The order lives in a buffer allocated once, here; an epoch and its batches allocate
/// nothing (each [`Batch`] is a few stack matrices, filled from the data set).
///
/// ```
/// use shapegrad::data::{Dataset, LastBatch};
///
/// let mut data = Dataset::<f64, 1, 1>::new();
/// for n in 0..5 {
///     data.push(&nalgebra::Matrix1::new(n as f64), &nalgebra::Matrix1::new(0.0));
/// }
/// let mut batches = data.batches::<2>(); // in order, padded
/// let batch = batches.epoch(0).last().unwrap();
/// assert_eq!((batch.rows, batch.inputs[0], batch.weights.as_slice()), (1, 4.0, &[1.0, 0.0][..]));
///
/// let mut shuffled = data.batches::<2>().shuffle(42).last_batch(LastBatch::Drop);
/// let first: Vec<f64> = shuffled.epoch(3).flat_map(|b| b.inputs.iter().copied().collect::<Vec<_>>()).collect();
/// let again: Vec<f64> = shuffled.epoch(3).flat_map(|b| b.inputs.iter().copied().collect::<Vec<_>>()).collect();
/// assert_eq!(first, again); // the order is a function of (seed, epoch)
/// assert_eq!(first.len(), 4); // two full batches; the fifth row waits for another epoch
/// ```
#[derive(Clone, Debug)]
#[must_use = "batches are drawn by `epoch`; `shuffle` and `last_batch` return the changed value"]
pub struct Batches<'d, T: Real, const B: usize, const I: usize, const O: usize> {
    data: &'d Dataset<T, I, O>,
    seed: Option<u64>,
    last: LastBatch,
    order: Vec<usize>,
}

impl<'d, T: Real, const B: usize, const I: usize, const O: usize> Batches<'d, T, B, I, O> {
    pub(super) fn new(data: &'d Dataset<T, I, O>) -> Self {
        const { assert!(B > 0, "shapegrad: a batch needs B ≥ 1 rows") };
        Batches {
            data,
            seed: None,
            last: LastBatch::Pad,
            order: (0..data.len()).collect(),
        }
    }

    /// Shuffles the rows of each epoch, from `seed` and the epoch number.
    ///
    /// Epoch `e`'s order is the rows `0, 1, …, N − 1` shuffled by Fisher–Yates (for `i` from
    /// N − 1 down to 1, swap `i` with a uniform `j ≤ i`, drawn by Lemire's unbiased method)
    /// with shapegrad's own generator, xoshiro256++ seeded by SplitMix64 from `s ^ e`, where
    /// `s` is SplitMix64's first output from `seed`. The algorithms are fixed and written
    /// down (`scripts/rng_reference.py` computes the same orders), so **the same seed gives
    /// the same batches on every platform and with every version of every dependency**.
    ///
    /// ```
    /// use shapegrad::data::Dataset;
    ///
    /// let mut data = Dataset::<f64, 1, 1>::new();
    /// for n in 0..10 {
    ///     data.push(&nalgebra::Matrix1::new(n as f64), &nalgebra::Matrix1::new(0.0));
    /// }
    /// let mut batches = data.batches::<5>().shuffle(42);
    /// let rows: Vec<f64> = batches.epoch(3).flat_map(|b| b.inputs.iter().copied().collect::<Vec<_>>()).collect();
    /// assert_eq!(rows, [7.0, 5.0, 0.0, 2.0, 4.0, 9.0, 3.0, 6.0, 8.0, 1.0]);
    /// ```
    pub fn shuffle(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Sets what happens to the last partial batch (default [`LastBatch::Pad`]).
    pub fn last_batch(mut self, last: LastBatch) -> Self {
        self.last = last;
        self
    }

    /// The number of batches in an epoch: ⌈N / B⌉ padded, ⌊N / B⌋ dropped.
    ///
    /// ```
    /// use shapegrad::data::{Dataset, LastBatch};
    /// let (x, labels) = shapegrad::datasets::spiral::<30, 3>(0);
    /// let data = Dataset::from_labels(&x, &labels);
    /// assert_eq!(data.batches::<8>().per_epoch(), 4);
    /// assert_eq!(data.batches::<8>().last_batch(LastBatch::Drop).per_epoch(), 3);
    /// ```
    pub fn per_epoch(&self) -> usize {
        let n = self.data.len();
        match self.last {
            LastBatch::Pad => n.div_ceil(B),
            LastBatch::Drop => n / B,
        }
    }

    /// Epoch `epoch`: its batches in its order.
    pub fn epoch(&mut self, epoch: u64) -> Epoch<'_, T, B, I, O> {
        for (k, slot) in self.order.iter_mut().enumerate() {
            *slot = k;
        }
        if let Some(seed) = self.seed {
            let stream = SplitMix64::new(seed).next_u64() ^ epoch;
            Rng::new(stream).shuffle(&mut self.order);
        }
        let rows = self.per_epoch() * B;
        Epoch {
            data: self.data,
            order: &self.order,
            next: 0,
            end: rows.min(self.order.len()),
            batches_left: self.per_epoch(),
        }
    }
}

/// One epoch of [`Batches`]: an iterator of [`Batch`]es.
#[derive(Debug)]
pub struct Epoch<'a, T: Real, const B: usize, const I: usize, const O: usize> {
    data: &'a Dataset<T, I, O>,
    order: &'a [usize],
    /// The position in `order` of the next batch's first row.
    next: usize,
    /// The end of the rows used this epoch.
    end: usize,
    batches_left: usize,
}

impl<T: Real, const B: usize, const I: usize, const O: usize> Iterator for Epoch<'_, T, B, I, O> {
    type Item = Batch<T, B, I, O>;

    fn next(&mut self) -> Option<Batch<T, B, I, O>> {
        if self.batches_left == 0 {
            return None;
        }
        self.batches_left -= 1;
        let rows = &self.order[self.next..(self.next + B).min(self.end)];
        self.next += B;
        let mut batch = Batch {
            inputs: SMatrix::zeros(),
            targets: SMatrix::zeros(),
            weights: SMatrix::zeros(),
            rows: rows.len(),
        };
        for (b, &n) in rows.iter().enumerate() {
            let (input, target) = self.data.row(n);
            for (i, &x) in input.iter().enumerate() {
                batch.inputs[(b, i)] = x;
            }
            for (o, &y) in target.iter().enumerate() {
                batch.targets[(b, o)] = y;
            }
            batch.weights[b] = T::one();
        }
        Some(batch)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.batches_left, Some(self.batches_left))
    }
}

impl<T: Real, const B: usize, const I: usize, const O: usize> ExactSizeIterator
    for Epoch<'_, T, B, I, O>
{
}

/// `B` rows of a data set: inputs, targets and weights, of static sizes.
///
/// The first [`rows`](Batch::rows) rows are real, with weight 1; the others (only in the last
/// batch of an epoch, with [`LastBatch::Pad`]) are padding: inputs 0, targets 0, weight 0.
/// Give the three matrices to a graph's constants ([`BatchVars::load`]) and use a weighted
/// loss, and a padded batch trains exactly as a batch of its real rows alone would.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch<T: Real, const B: usize, const I: usize, const O: usize> {
    /// One row per sample, B×I.
    pub inputs: SMatrix<T, B, I>,
    /// The rows' targets (one-hot for classification), B×O.
    pub targets: SMatrix<T, B, O>,
    /// 1 for a real row, 0 for padding, B×1.
    pub weights: SMatrix<T, B, 1>,
    /// How many rows are real (the first ones): B but in a padded last batch.
    pub rows: usize,
}

impl<T: Real, const B: usize, const I: usize, const O: usize> Batch<T, B, I, O> {
    /// The rows' classes (the largest target of each row; padding rows give 0), for
    /// [`nn::accuracy`](crate::nn::accuracy) on a full batch.
    pub fn labels(&self) -> Labels<B, O> {
        crate::ops::Labels::argmax(&self.targets)
    }

    /// How many of the real rows `scores` (one row of class scores per batch row) classify
    /// correctly: the way to measure accuracy on a data set whose row count is not a constant,
    /// batch by batch (in order, padded: every row once).
    ///
    /// ```
    /// use shapegrad::data::Dataset;
    /// use nalgebra::Matrix1;
    ///
    /// let mut data = Dataset::<f64, 1, 2>::new();
    /// for k in 0..5 {
    ///     data.push_class(&Matrix1::new(k as f64), k % 2);
    /// }
    /// // A "model" that predicts class 1 for every row.
    /// let ones = nalgebra::SMatrix::<f64, 2, 2>::from_fn(|_, c| c as f64);
    /// let correct: usize = data.batches::<2>().epoch(0).map(|b| b.correct(&ones)).sum();
    /// assert_eq!(correct, 2); // rows 1 and 3; the padding of the last batch is not counted
    /// ```
    pub fn correct(&self, scores: &SMatrix<T, B, O>) -> usize {
        let predicted = crate::ops::Labels::argmax(scores);
        let labels = self.labels();
        (0..self.rows)
            .filter(|&r| predicted.as_array()[r] == labels.as_array()[r])
            .count()
    }
}

/// A graph's three constants for a batch: `inputs` (B×I), `targets` (B×O) and `weights`
/// (B×1), named so in drawings. Build the model's training loss on them once and
/// [`load`](BatchVars::load) each batch before the backward pass.
///
/// ```
/// use shapegrad::data::{BatchVars, Dataset};
/// use shapegrad::nn::Dense;
/// use shapegrad::Graph;
///
/// let (x, labels) = shapegrad::datasets::spiral::<30, 3>(0);
/// let data = Dataset::from_labels(&x, &labels);
/// let g = Graph::<f64>::new();
/// let layer = Dense::<f64, 2, 3>::new(&g, "layer", 0);
/// let batch = BatchVars::<f64, 8, 2, 3>::new(&g);
/// let loss = layer
///     .forward(batch.inputs)
///     .softmax_cross_entropy_weighted(batch.targets, batch.weights);
/// let mut batches = data.batches::<8>().shuffle(1);
/// for b in batches.epoch(0) {
///     batch.load(&b);
///     let grads = loss.backward();
///     // optimizer.step(&layer, &grads);
/// #   let _ = grads;
/// }
/// ```
#[derive(Debug)]
pub struct BatchVars<'g, T: Real, const B: usize, const I: usize, const O: usize> {
    /// The batch's inputs, B×I.
    pub inputs: Var<'g, T, B, I>,
    /// The batch's targets, B×O.
    pub targets: Var<'g, T, B, O>,
    /// The batch's row weights, B×1.
    pub weights: Var<'g, T, B, 1>,
}

impl<T: Real, const B: usize, const I: usize, const O: usize> Clone for BatchVars<'_, T, B, I, O> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Real, const B: usize, const I: usize, const O: usize> Copy for BatchVars<'_, T, B, I, O> {}

impl<'g, T: Real, const B: usize, const I: usize, const O: usize> BatchVars<'g, T, B, I, O> {
    /// Three constants on `graph`, zero, named `inputs`, `targets` and `weights`.
    pub fn new(graph: &'g Graph<T>) -> Self {
        BatchVars {
            inputs: graph.constant_named("inputs", SMatrix::zeros()),
            targets: graph.constant_named("targets", SMatrix::zeros()),
            weights: graph.constant_named("weights", SMatrix::zeros()),
        }
    }

    /// Gives the constants the batch's values.
    pub fn load(&self, batch: &Batch<T, B, I, O>) {
        self.inputs.set_value_from(&batch.inputs);
        self.targets.set_value_from(&batch.targets);
        self.weights.set_value_from(&batch.weights);
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::Matrix1;

    use super::{Dataset, LastBatch};

    /// Rows 0..n with input n and target −n.
    fn numbered(n: usize) -> Dataset<f64, 1, 1> {
        let mut data = Dataset::new();
        for k in 0..n {
            data.push(&Matrix1::new(k as f64), &Matrix1::new(-(k as f64)));
        }
        data
    }

    fn seen(
        data: &Dataset<f64, 1, 1>,
        seed: Option<u64>,
        last: LastBatch,
        epoch: u64,
    ) -> Vec<usize> {
        let mut batches = data.batches::<4>().last_batch(last);
        if let Some(seed) = seed {
            batches = batches.shuffle(seed);
        }
        let mut rows = Vec::new();
        for batch in batches.epoch(epoch) {
            for b in 0..batch.rows {
                assert_eq!(batch.targets[b], -batch.inputs[b]);
                rows.push(batch.inputs[b] as usize);
            }
            assert!(batch.weights.iter().take(batch.rows).all(|&w| w == 1.0));
            assert!(batch.weights.iter().skip(batch.rows).all(|&w| w == 0.0));
            assert!(batch.inputs.iter().skip(batch.rows).all(|&x| x == 0.0));
        }
        rows
    }

    #[test]
    fn in_order_padded_every_row_once() {
        assert_eq!(
            seen(&numbered(10), None, LastBatch::Pad, 0),
            (0..10).collect::<Vec<_>>()
        );
        assert_eq!(
            seen(&numbered(10), None, LastBatch::Drop, 0),
            (0..8).collect::<Vec<_>>()
        );
        assert_eq!(
            seen(&numbered(8), None, LastBatch::Drop, 5),
            (0..8).collect::<Vec<_>>()
        );
        assert!(seen(&numbered(3), None, LastBatch::Drop, 0).is_empty());
        assert!(seen(&numbered(0), None, LastBatch::Pad, 0).is_empty());
    }

    #[test]
    fn shuffled_epochs_are_permutations_that_depend_on_seed_and_epoch_only() {
        let data = numbered(10);
        let e0 = seen(&data, Some(1), LastBatch::Pad, 0);
        let e1 = seen(&data, Some(1), LastBatch::Pad, 1);
        let mut sorted = e0.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..10).collect::<Vec<_>>());
        assert_ne!(e0, e1);
        assert_ne!(e0, seen(&data, Some(2), LastBatch::Pad, 0));
        // Epoch 1 straight away is epoch 1 after epoch 0 on the same Batches.
        let mut batches = data.batches::<4>().shuffle(1);
        let _ = batches.epoch(0).count();
        let again: Vec<usize> = batches
            .epoch(1)
            .flat_map(|b| (0..b.rows).map(move |r| b.inputs[r] as usize))
            .collect();
        assert_eq!(again, e1);
        // Dropping keeps the first ⌊N/B⌋·B rows of the same order.
        assert_eq!(seen(&data, Some(1), LastBatch::Drop, 0), e0[..8]);
    }

    #[test]
    fn shuffled_orders_are_pinned() {
        // From `python3 scripts/rng_reference.py`.
        let data = numbered(10);
        assert_eq!(
            seen(&data, Some(42), LastBatch::Pad, 3),
            [7, 5, 0, 2, 4, 9, 3, 6, 8, 1]
        );
        assert_eq!(
            seen(&data, Some(42), LastBatch::Pad, 4),
            [9, 1, 4, 8, 2, 5, 0, 6, 7, 3]
        );
    }

    #[test]
    fn the_epoch_knows_its_length_and_labels_come_from_the_targets() {
        let mut data = Dataset::<f64, 1, 3>::new();
        for k in 0..5 {
            data.push_class(&Matrix1::new(k as f64), k % 3);
        }
        let mut batches = data.batches::<2>();
        assert_eq!(batches.epoch(0).len(), 3);
        let last = batches.epoch(0).last().unwrap();
        assert_eq!(last.labels().as_array(), &[1, 0]); // row 4 (class 1), then padding
    }
}
