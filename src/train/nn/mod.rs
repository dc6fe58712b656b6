//! Layers with typed sizes, their seeded initialisation, and classification metrics.
//!
//! A [`Dense`] layer holds its weight and bias as vars of a graph; its `forward` records
//! `X·W + b` and returns a [`Var`](crate::Var). A model is layers plus ops on vars; listing the layers (a
//! tuple, or a struct implementing [`Parameters`](crate::optim::Parameters)) is all an
//! [`Optimizer`](crate::optim::Optimizer) needs.
//!
//! ```
//! use nalgebra::SMatrix;
//! use shapegrad::nn::{accuracy, Dense, Init};
//! use shapegrad::optim::{Optimizer, Sgd};
//! use shapegrad::{Graph, Labels};
//!
//! // Four points in 2-D, class 1 where x₀·x₁ > 0 (XOR): not linearly separable.
//! let points = SMatrix::<f64, 4, 2>::new(1.0, 1.0, -1.0, -1.0, 1.0, -1.0, -1.0, 1.0);
//! let labels = Labels::<4, 2>::new([1, 1, 0, 0])?;
//!
//! let g = Graph::<f64>::new();
//! let hidden = Dense::<f64, 2, 8>::with_init(&g, "hidden", Init::He, 1);
//! let out = Dense::<f64, 8, 2>::new(&g, "out", 2);
//! let x = g.constant(points);
//! let scores = out.forward(hidden.forward(x).relu()); // 4×2
//! let loss = scores.softmax_cross_entropy(&labels);
//!
//! let mut optimizer = Optimizer::new(Sgd { lr: 0.5 });
//! for _ in 0..300 {
//!     let grads = loss.backward();
//!     optimizer.step(&(hidden, out), &grads);
//! }
//! assert_eq!(accuracy(&scores.value(), &labels), 1.0);
//! # Ok::<(), shapegrad::LabelError>(())
//! ```
//!
//! # One model, several batch sizes
//!
//! Write the model's forward pass once, generic over the number of rows `N`, and call it on
//! inputs of every size you need, on the same graph: the training batch, the whole held-out
//! set, a single point. Each call records a head (its own nodes, the same parameters); a head
//! costs nothing while it is not read, so training on the batch head does not compute the
//! others, and reading one after training recomputes it once from the current weights.
//! [`Labels::argmax`] and [`accuracy`] take scores of any number of rows.
//!
//! ```
//! # #[cfg(not(feature = "data"))] fn main() {} // the example needs feature `data`
//! # #[cfg(feature = "data")] fn main() -> Result<(), shapegrad::data::DataError> {
//! use shapegrad::data::{BatchVars, Dataset};
//! use shapegrad::nn::{accuracy, Dense};
//! use shapegrad::Labels;
//! use shapegrad::optim::{Adam, Optimizer};
//! use shapegrad::{datasets, Graph, Var};
//!
//! #[derive(Clone, Copy)]
//! struct Mlp<'g> {
//!     hidden: Dense<'g, f64, 2, 32>,
//!     out: Dense<'g, f64, 32, 3>,
//! }
//!
//! impl<'g> Mlp<'g> {
//!     /// Scores of N points: N×2 → N×3, for any N.
//!     fn forward<const N: usize>(&self, x: Var<'g, f64, N, 2>) -> Var<'g, f64, N, 3> {
//!         self.out.forward(self.hidden.forward(x).relu())
//!     }
//! }
//!
//! let (points, labels) = datasets::spiral::<150, 3>(0);
//! let data = Dataset::from_labels(&points, &labels);
//! let g = Graph::<f64>::new();
//! let mlp = Mlp { hidden: Dense::new(&g, "hidden", 1), out: Dense::new(&g, "out", 2) };
//!
//! // Head 1: a batch of 16, for training.
//! let batch = BatchVars::<f64, 16, 2, 3>::new(&g);
//! let loss = mlp.forward(batch.inputs).softmax_cross_entropy_weighted(batch.targets, batch.weights);
//! // Head 2: the whole set (150 rows). Head 3: one point.
//! let all_scores = mlp.forward(g.constant(*data.inputs::<150>()?));
//! let one = g.constant(nalgebra::Matrix1x2::new(0.0, 0.5));
//! let one_score = mlp.forward(one);
//!
//! let mut optimizer = Optimizer::new(Adam { lr: 0.02, ..Adam::default() });
//! let mut batches = data.batches::<16>().shuffle(0);
//! for epoch in 0..30 {
//!     for b in batches.epoch(epoch) {
//!         batch.load(&b);
//!         let grads = loss.backward();
//!         optimizer.step(&(mlp.hidden, mlp.out), &grads);
//!     }
//! }
//! assert!(accuracy(&all_scores.value(), &data.labels::<150>()?) > 0.6);
//! let class: usize = Labels::argmax(&one_score.value()).as_array()[0];
//! assert!(class < 3);
//! # Ok(())
//! # }
//! ```
//!
//! `tests/integration/batch_sizes.rs` checks that training does not compute the other heads, and
//! `examples/digits.rs` uses the pattern on a real data set.

mod dense;
mod init;

pub use dense::Dense;
pub use init::Init;

use nalgebra::SMatrix;

use crate::kernels::Real;
use crate::ops::Labels;

/// The predicted class of each row of `scores`: now [`Labels::argmax`], next to the labels it
/// returns.
#[deprecated(since = "0.3.0", note = "use `Labels::argmax(scores)`")]
pub fn predict<T: Real, const R: usize, const C: usize>(scores: &SMatrix<T, R, C>) -> Labels<R, C> {
    Labels::argmax(scores)
}

/// The fraction of rows of `scores` whose predicted class ([`Labels::argmax`]) is the label,
/// in `[0, 1]`.
///
/// ```
/// use nalgebra::Matrix3x2;
/// use shapegrad::Labels;
/// let scores = Matrix3x2::new(1.0, 0.0, 0.0, 1.0, 2.0, 1.0);
/// let labels = Labels::new([0, 1, 1]).unwrap();
/// assert_eq!(shapegrad::nn::accuracy(&scores, &labels), 2.0 / 3.0);
/// ```
pub fn accuracy<T: Real, const R: usize, const C: usize>(
    scores: &SMatrix<T, R, C>,
    labels: &Labels<R, C>,
) -> f64 {
    let predicted = Labels::argmax(scores);
    let correct = predicted
        .as_array()
        .iter()
        .zip(labels.as_array())
        .filter(|(p, l)| p == l)
        .count();
    correct as f64 / R as f64
}

#[cfg(test)]
mod tests {
    use nalgebra::Matrix3;

    use super::*;

    #[test]
    fn predict_takes_the_first_maximum_and_survives_nan() {
        let scores = Matrix3::new(
            2.0,
            2.0,
            1.0, // tie: first wins
            -1.0,
            -3.0,
            -0.5,
            f64::NAN,
            f64::NAN,
            f64::NAN,
        );
        assert_eq!(Labels::argmax(&scores).as_array(), &[0, 2, 0]);
    }

    #[test]
    fn accuracy_counts_matching_rows() {
        let scores = Matrix3::new(0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0);
        assert_eq!(accuracy(&scores, &Labels::new([1, 0, 2]).unwrap()), 1.0);
        assert_eq!(accuracy(&scores, &Labels::new([0, 1, 0]).unwrap()), 0.0);
        assert_eq!(
            accuracy(&scores, &Labels::new([1, 1, 1]).unwrap()),
            1.0 / 3.0
        );
    }
}
