//! Plain stochastic gradient descent.

use nalgebra::SMatrix;

use super::UpdateRule;
use crate::kernels::Real;

/// Stochastic gradient descent: `W ← W − lr·dW`. It keeps no state (`()`).
///
/// ```text
/// Settings: lr (learning rate), default 1e-2
/// Update:   W ← W − lr·dW
/// ```
///
/// ```
/// use nalgebra::Matrix1x2;
/// use shapegrad::optim::{Sgd, UpdateRule};
///
/// let sgd = Sgd { lr: 0.5 };
/// let mut w = Matrix1x2::new(1.0, 2.0);
/// sgd.update(&mut (), &mut w, &Matrix1x2::new(4.0, -2.0));
/// assert_eq!(w, Matrix1x2::new(-1.0, 3.0));
/// assert_eq!(Sgd::<f64>::default().lr, 1e-2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sgd<T> {
    /// The learning rate (step size). Default 1e-2; the course notes' spiral net uses 1.0.
    pub lr: T,
}

impl<T: Real> Default for Sgd<T> {
    fn default() -> Self {
        Sgd {
            lr: nalgebra::convert(1e-2),
        }
    }
}

impl<T: Real> UpdateRule<T> for Sgd<T> {
    type State<const R: usize, const C: usize> = ();

    fn new_state<const R: usize, const C: usize>(&self) {}

    fn update<const R: usize, const C: usize>(
        &self,
        _state: &mut (),
        param: &mut SMatrix<T, R, C>,
        grad: &SMatrix<T, R, C>,
    ) {
        param.zip_apply(grad, |w, d_w| *w -= self.lr * d_w);
    }

    fn check_settings(&self) -> Result<(), String> {
        super::check_learning_rate(self.lr)
    }
}

impl<T: Real> super::LearningRate<T> for Sgd<T> {
    fn learning_rate(&self) -> T {
        self.lr
    }

    fn set_learning_rate(&mut self, lr: T) {
        self.lr = lr;
    }
}
