//! Gradient clipping by global norm, and what a step reports.

use super::{ParameterVisitor, Parameters};
use crate::graph::{Gradients, Var};
use crate::kernels::Real;

/// What one [`Optimizer::step`](super::Optimizer::step) did.
///
/// ```
/// use nalgebra::Matrix1x2;
/// use shapegrad::Graph;
/// use shapegrad::optim::{Optimizer, Sgd};
///
/// let g = Graph::<f64>::new();
/// let w = g.var(Matrix1x2::new(3.0, 4.0));
/// let loss = w.norm_squared().scale(0.5); // gradient = w, of norm 5
/// let mut optimizer = Optimizer::new(Sgd { lr: 1.0 }).with_clip_norm(1.0);
/// let info = optimizer.step(&w, &loss.backward());
/// assert_eq!(info.grad_norm, Some(5.0));      // before clipping
/// assert_eq!(info.clipped_norm(), Some(1.0)); // after
/// assert!((w.value() - Matrix1x2::new(3.0 - 0.6, 4.0 - 0.8)).amax() < 1e-15);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepInfo<T> {
    /// The global norm √(Σ ‖dW‖²) of the gradients over all parameters stepped, before
    /// clipping; `None` unless clipping is on ([`Optimizer::with_clip_norm`](super::Optimizer::with_clip_norm)).
    pub grad_norm: Option<T>,
    /// The factor the gradients were multiplied by: `max_norm / grad_norm` when the norm was
    /// above `max_norm`, else 1.
    pub clip_scale: T,
    /// The learning rate of this step, if a schedule set it.
    pub learning_rate: Option<T>,
}

impl<T: Real> StepInfo<T> {
    /// The global norm of the gradients the rule was given, after clipping.
    pub fn clipped_norm(&self) -> Option<T> {
        self.grad_norm.map(|norm| norm * self.clip_scale)
    }

    /// Whether the gradients were scaled down.
    pub fn clipped(&self) -> bool {
        self.clip_scale < T::one()
    }
}

/// √(Σ ‖dW‖²) over the parameters of `params`.
pub(super) fn global_norm<'g, T: Real, P: Parameters<'g, T> + ?Sized>(
    params: &P,
    grads: &Gradients<'g, T>,
) -> T {
    struct Squares<'a, 'g, T: Real> {
        grads: &'a Gradients<'g, T>,
        total: T,
    }
    impl<'g, T: Real> ParameterVisitor<'g, T> for Squares<'_, 'g, T> {
        fn param<const R: usize, const C: usize>(&mut self, param: Var<'g, T, R, C>) {
            // A parameter without a gradient is reported by the step that follows.
            if let Ok(grad) = self.grads.lookup(param) {
                let grad = grad.as_slice();
                self.total += crate::kernels::dot(grad, grad);
            }
        }
    }
    let mut squares = Squares {
        grads,
        total: T::zero(),
    };
    params.visit(&mut squares);
    squares.total.sqrt()
}

/// The factor that brings a gradient of global norm `norm` down to `max_norm` (1 if it is not
/// above it). A NaN or infinite norm gives NaN or 0, so a step on such gradients is visibly
/// broken rather than silently clipped.
pub(super) fn clip_scale<T: Real>(norm: T, max_norm: T) -> T {
    if norm > max_norm {
        max_norm / norm
    } else {
        T::one()
    }
}
