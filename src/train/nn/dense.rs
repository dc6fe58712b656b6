//! The dense (fully connected) layer.

use nalgebra::SMatrix;

use super::Init;
use crate::graph::{Graph, Var};
use crate::kernels::Real;
use crate::train::parameters::{ParameterVisitor, Parameters};

/// A dense (fully connected, affine) layer from `I` inputs to `O` outputs: `X·W + b`.
///
/// ```text
/// Shape:  X (N×I) · W (I×O) + b (1×O, added to every row) → N×O
/// ```
///
/// The weight `W` (I×O) and bias `b` (1×O) are [`Graph::var`]s named `"<name>.weight"` and
/// `"<name>.bias"` (the names appear in gradcheck reports and graph drawings). A batch of `N`
/// samples is one N×I matrix, one sample per row; `N` is the type of the input, so one layer
/// serves batches of any size on the same graph. Feeding an input whose width is not `I`
/// does not compile.
///
/// The layer is `Copy` (two handles) and implements [`Parameters`], so an
/// [`Optimizer`](crate::optim::Optimizer) steps its weight and bias.
///
/// ```
/// use nalgebra::SMatrix;
/// use shapegrad::{Graph, Var};
/// use shapegrad::nn::Dense;
///
/// let g = Graph::<f64>::new();
/// let layer = Dense::<f64, 4, 3>::new(&g, "dense1", 42); // Xavier init, seed 42
/// let x = g.constant(SMatrix::<f64, 10, 4>::repeat(1.0)); // a batch of 10
/// let y: Var<'_, f64, 10, 3> = layer.forward(x);
/// assert_eq!(layer.weight.name().as_deref(), Some("dense1.weight"));
/// assert_eq!(layer.bias.value(), nalgebra::Matrix1x3::zeros());
/// ```
#[derive(Debug)]
pub struct Dense<'g, T: Real, const I: usize, const O: usize> {
    /// W, I×O: entry (i, o) weighs input i in output o.
    pub weight: Var<'g, T, I, O>,
    /// b, 1×O: added to every row of X·W.
    pub bias: Var<'g, T, 1, O>,
}

impl<T: Real, const I: usize, const O: usize> Clone for Dense<'_, T, I, O> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Real, const I: usize, const O: usize> Copy for Dense<'_, T, I, O> {}

impl<'g, T: Real, const I: usize, const O: usize> Dense<'g, T, I, O> {
    /// A layer on `graph` with Xavier-initialised weight ([`Init::Xavier`]) drawn from `seed`
    /// and zero bias. Give each layer its own seed.
    ///
    /// ```
    /// let g = shapegrad::Graph::<f32>::new();
    /// let a = shapegrad::nn::Dense::<f32, 3, 2>::new(&g, "a", 1);
    /// let b = shapegrad::nn::Dense::<f32, 3, 2>::new(&g, "b", 1);
    /// assert_eq!(a.weight.value(), b.weight.value()); // same seed, same weights
    /// ```
    pub fn new(graph: &'g Graph<T>, name: &str, seed: u64) -> Self {
        Self::with_init(graph, name, Init::Xavier, seed)
    }

    /// A layer whose weight is drawn with `init` from `seed`, with zero bias.
    ///
    /// ```
    /// use shapegrad::nn::{Dense, Init};
    /// let g = shapegrad::Graph::<f64>::new();
    /// // The course notes' spiral net: W = 0.01·randn, b = 0.
    /// let layer = Dense::<f64, 2, 100>::with_init(&g, "dense1", Init::Gaussian { std: 0.01 }, 0);
    /// assert!(layer.weight.value().amax() < 0.06);
    /// ```
    pub fn with_init(graph: &'g Graph<T>, name: &str, init: Init, seed: u64) -> Self {
        Self::from_values(graph, name, init.sample(seed), SMatrix::zeros())
    }

    /// A layer with the given weight and bias.
    ///
    /// ```
    /// use nalgebra::{Matrix1x2, Matrix2, Matrix1};
    /// let g = shapegrad::Graph::<f64>::new();
    /// let layer = shapegrad::nn::Dense::from_values(
    ///     &g, "swap", Matrix2::new(0.0, 1.0, 1.0, 0.0), Matrix1x2::new(10.0, 20.0));
    /// let x = g.constant(Matrix1x2::new(1.0, 2.0));
    /// assert_eq!(layer.forward(x).value(), Matrix1x2::new(12.0, 21.0));
    /// ```
    pub fn from_values(
        graph: &'g Graph<T>,
        name: &str,
        weight: SMatrix<T, I, O>,
        bias: SMatrix<T, 1, O>,
    ) -> Self {
        Dense {
            weight: graph.var_named(format!("{name}.weight"), weight),
            bias: graph.var_named(format!("{name}.bias"), bias),
        }
    }

    /// `x·W + b` for a batch `x` of N samples (N×I → N×O), recorded on the graph.
    ///
    /// ```
    /// use nalgebra::{Matrix3x2, Matrix2x1, Matrix1, Vector3};
    /// let g = shapegrad::Graph::<f64>::new();
    /// let layer = shapegrad::nn::Dense::from_values(&g, "l", Matrix2x1::new(2.0, -1.0), Matrix1::new(0.5));
    /// let x = g.constant(Matrix3x2::new(1.0, 0.0, 0.0, 1.0, 1.0, 1.0));
    /// assert_eq!(layer.forward(x).value(), Vector3::new(2.5, -0.5, 1.5));
    /// ```
    #[track_caller]
    pub fn forward<const N: usize>(&self, x: Var<'g, T, N, I>) -> Var<'g, T, N, O> {
        (x * self.weight).add_row(self.bias)
    }
}

impl<'g, T: Real, const I: usize, const O: usize> Parameters<'g, T> for Dense<'g, T, I, O> {
    /// Visits the weight, then the bias.
    fn visit<V: ParameterVisitor<'g, T>>(&self, visitor: &mut V) {
        visitor.param(self.weight);
        visitor.param(self.bias);
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1x3, Matrix2x3};

    use super::*;
    use crate::diff::check::gradcheck;

    #[test]
    fn forward_is_x_times_w_plus_b_on_every_row() {
        let g = Graph::<f64>::new();
        let w = Matrix2x3::new(1.0, 2.0, 3.0, -1.0, 0.5, 0.0);
        let b = Matrix1x3::new(0.1, 0.2, 0.3);
        let layer = Dense::from_values(&g, "l", w, b);
        let x = g.constant(nalgebra::Matrix2::new(1.0, 1.0, 2.0, -1.0));
        // Row 0: (1, 1)·W = (0, 2.5, 3); row 1: (2, −1)·W = (3, 3.5, 6).
        let want = Matrix2x3::new(0.1, 2.7, 3.3, 3.1, 3.7, 6.3);
        assert!((layer.forward(x).value() - want).amax() < 1e-15);
    }

    #[test]
    fn the_layer_passes_gradcheck_and_names_its_parameters() {
        let g = Graph::<f64>::new();
        let layer = Dense::<f64, 3, 2>::with_init(&g, "d", Init::He, 5);
        layer.bias.set_value(nalgebra::Matrix1x2::new(0.3, -0.2));
        let x = g.constant(Init::Xavier.sample::<f64, 4, 3>(6));
        let loss = layer.forward(x).tanh().sum();
        let report = gradcheck(loss, &crate::diff::testing::tight());
        assert!(report.passed(), "{report}");
        assert_eq!(report.entries_checked, 3 * 2 + 2);
        assert_eq!(layer.weight.name().as_deref(), Some("d.weight"));
        assert_eq!(layer.bias.name().as_deref(), Some("d.bias"));
    }

    #[test]
    fn init_is_deterministic_per_seed_and_bias_starts_at_zero() {
        let g = Graph::<f64>::new();
        let a = Dense::<f64, 5, 4>::new(&g, "a", 9);
        let b = Dense::<f64, 5, 4>::new(&g, "b", 9);
        let c = Dense::<f64, 5, 4>::new(&g, "c", 10);
        assert_eq!(a.weight.value(), b.weight.value());
        assert_ne!(a.weight.value(), c.weight.value());
        assert_eq!(a.weight.value(), Init::Xavier.sample::<f64, 5, 4>(9));
        assert_eq!(a.bias.value(), nalgebra::Matrix1x4::zeros());
    }

    #[test]
    fn it_visits_weight_then_bias() {
        let g = Graph::<f64>::new();
        let layer = Dense::<f64, 7, 3>::new(&g, "l", 0);
        assert_eq!(layer.parameter_count(), 7 * 3 + 3);
        let (weight, bias) = (layer.weight.id(), layer.bias.id());
        struct Ids(Vec<(usize, usize, usize)>);
        impl<'g> ParameterVisitor<'g, f64> for Ids {
            fn param<const R: usize, const C: usize>(&mut self, p: Var<'g, f64, R, C>) {
                self.0.push((p.id(), R, C));
            }
        }
        let mut ids = Ids(Vec::new());
        layer.visit(&mut ids);
        assert_eq!(ids.0, [(weight, 7, 3), (bias, 1, 3)]);
    }
}
