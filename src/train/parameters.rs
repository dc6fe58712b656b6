//! Models list their parameters once, to a visitor that sees each at its own shape.

use crate::graph::Var;
use crate::kernels::Real;

/// Something with trainable parameters: a layer, a model, or a collection of them. It lists
/// each parameter once, in [`Parameters::visit`], and everything that needs all parameters
/// ([`Optimizer::step`](crate::optim::Optimizer::step), [`Parameters::parameter_count`], your own
/// visitors) goes through that one list.
///
/// Implemented for a bare [`Var`] (one parameter), for [`nn::Dense`](crate::nn::Dense), for
/// references, arrays, slices and `Vec`s of parameters, and for tuples of up to six, so a
/// model made of layers is often just a tuple. A model struct implements it by visiting its
/// fields:
///
/// ```
/// use shapegrad::nn::Dense;
/// use shapegrad::optim::{ParameterVisitor, Parameters};
/// use shapegrad::Graph;
///
/// struct Mlp<'g> {
///     hidden: Dense<'g, f64, 2, 16>,
///     out: Dense<'g, f64, 16, 3>,
/// }
///
/// impl<'g> Parameters<'g, f64> for Mlp<'g> {
///     fn visit<V: ParameterVisitor<'g, f64>>(&self, visitor: &mut V) {
///         self.hidden.visit(visitor);
///         self.out.visit(visitor);
///     }
/// }
///
/// let g = Graph::new();
/// let mlp = Mlp { hidden: Dense::new(&g, "hidden", 1), out: Dense::new(&g, "out", 2) };
/// assert_eq!(mlp.parameter_count(), 2 * 16 + 16 + 16 * 3 + 3);
/// ```
pub trait Parameters<'g, T: Real> {
    /// Calls `visitor.param(p)` once for each parameter `p`.
    fn visit<V: ParameterVisitor<'g, T>>(&self, visitor: &mut V);

    /// The number of trainable scalars: the sum of R·C over the parameters.
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let layer = shapegrad::nn::Dense::<f64, 3, 4>::new(&g, "layer", 0);
    /// use shapegrad::optim::Parameters;
    /// assert_eq!(layer.parameter_count(), 3 * 4 + 4);
    /// ```
    fn parameter_count(&self) -> usize {
        struct Count(usize);
        impl<'g, T: Real> ParameterVisitor<'g, T> for Count {
            fn param<const R: usize, const C: usize>(&mut self, _: Var<'g, T, R, C>) {
                self.0 += R * C;
            }
        }
        let mut count = Count(0);
        self.visit(&mut count);
        count.0
    }
}

/// What [`Parameters::visit`] calls for each parameter, with the parameter at its own shape:
/// the method is generic over R and C, so a visitor can keep and use typed per-parameter
/// data (as [`Optimizer`](crate::optim::Optimizer) does with its states).
///
/// ```
/// use shapegrad::optim::{ParameterVisitor, Parameters};
/// use shapegrad::{Graph, Var};
///
/// struct Names(Vec<String>);
/// impl<'g> ParameterVisitor<'g, f64> for Names {
///     fn param<const R: usize, const C: usize>(&mut self, p: Var<'g, f64, R, C>) {
///         self.0.push(format!("{}: {R}×{C}", p.name().unwrap_or_default()));
///     }
/// }
///
/// let g = Graph::<f64>::new();
/// let layer = shapegrad::nn::Dense::<f64, 2, 5>::new(&g, "dense1", 0);
/// let mut names = Names(Vec::new());
/// layer.visit(&mut names);
/// assert_eq!(names.0, ["dense1.weight: 2×5", "dense1.bias: 1×5"]);
/// ```
pub trait ParameterVisitor<'g, T: Real> {
    /// Called once for each parameter.
    fn param<const R: usize, const C: usize>(&mut self, param: Var<'g, T, R, C>);
}

impl<'g, T: Real, const R: usize, const C: usize> Parameters<'g, T> for Var<'g, T, R, C> {
    fn visit<V: ParameterVisitor<'g, T>>(&self, visitor: &mut V) {
        visitor.param(*self);
    }
}

impl<'g, T: Real, P: Parameters<'g, T> + ?Sized> Parameters<'g, T> for &P {
    fn visit<V: ParameterVisitor<'g, T>>(&self, visitor: &mut V) {
        (**self).visit(visitor);
    }
}

impl<'g, T: Real, P: Parameters<'g, T>> Parameters<'g, T> for [P] {
    fn visit<V: ParameterVisitor<'g, T>>(&self, visitor: &mut V) {
        for p in self {
            p.visit(visitor);
        }
    }
}

impl<'g, T: Real, P: Parameters<'g, T>, const N: usize> Parameters<'g, T> for [P; N] {
    fn visit<V: ParameterVisitor<'g, T>>(&self, visitor: &mut V) {
        self.as_slice().visit(visitor);
    }
}

impl<'g, T: Real, P: Parameters<'g, T>> Parameters<'g, T> for Vec<P> {
    fn visit<V: ParameterVisitor<'g, T>>(&self, visitor: &mut V) {
        self.as_slice().visit(visitor);
    }
}

// Tuples, written out (no macro): each visits its members in order.

impl<'g, T: Real, A: Parameters<'g, T>> Parameters<'g, T> for (A,) {
    fn visit<V: ParameterVisitor<'g, T>>(&self, visitor: &mut V) {
        self.0.visit(visitor);
    }
}

impl<'g, T: Real, A: Parameters<'g, T>, B: Parameters<'g, T>> Parameters<'g, T> for (A, B) {
    fn visit<V: ParameterVisitor<'g, T>>(&self, visitor: &mut V) {
        self.0.visit(visitor);
        self.1.visit(visitor);
    }
}

impl<'g, T, A, B, C> Parameters<'g, T> for (A, B, C)
where
    T: Real,
    A: Parameters<'g, T>,
    B: Parameters<'g, T>,
    C: Parameters<'g, T>,
{
    fn visit<V: ParameterVisitor<'g, T>>(&self, visitor: &mut V) {
        self.0.visit(visitor);
        self.1.visit(visitor);
        self.2.visit(visitor);
    }
}

impl<'g, T, A, B, C, D> Parameters<'g, T> for (A, B, C, D)
where
    T: Real,
    A: Parameters<'g, T>,
    B: Parameters<'g, T>,
    C: Parameters<'g, T>,
    D: Parameters<'g, T>,
{
    fn visit<V: ParameterVisitor<'g, T>>(&self, visitor: &mut V) {
        self.0.visit(visitor);
        self.1.visit(visitor);
        self.2.visit(visitor);
        self.3.visit(visitor);
    }
}

impl<'g, T, A, B, C, D, E> Parameters<'g, T> for (A, B, C, D, E)
where
    T: Real,
    A: Parameters<'g, T>,
    B: Parameters<'g, T>,
    C: Parameters<'g, T>,
    D: Parameters<'g, T>,
    E: Parameters<'g, T>,
{
    fn visit<V: ParameterVisitor<'g, T>>(&self, visitor: &mut V) {
        self.0.visit(visitor);
        self.1.visit(visitor);
        self.2.visit(visitor);
        self.3.visit(visitor);
        self.4.visit(visitor);
    }
}

impl<'g, T, A, B, C, D, E, F> Parameters<'g, T> for (A, B, C, D, E, F)
where
    T: Real,
    A: Parameters<'g, T>,
    B: Parameters<'g, T>,
    C: Parameters<'g, T>,
    D: Parameters<'g, T>,
    E: Parameters<'g, T>,
    F: Parameters<'g, T>,
{
    fn visit<V: ParameterVisitor<'g, T>>(&self, visitor: &mut V) {
        self.0.visit(visitor);
        self.1.visit(visitor);
        self.2.visit(visitor);
        self.3.visit(visitor);
        self.4.visit(visitor);
        self.5.visit(visitor);
    }
}
