//! SGD with (classical) momentum.

use nalgebra::SMatrix;

use super::UpdateRule;
use crate::kernels::Real;

/// SGD with momentum, in the course notes' form: a velocity that decays by `momentum` each step
/// and is pushed by the gradient.
///
/// ```text
/// Settings: lr (learning rate), default 1e-2; momentum (μ), default 0.9
/// State:    V (R×C), the velocity, starts at 0
/// Update:   V ← μ·V − lr·dW;  W ← W + V
/// ```
///
/// With a constant learning rate this is the same as PyTorch's `V ← μ·V + dW; W ← W − lr·V`
/// (its V is ours divided by −lr). `momentum = 0` is plain [`Sgd`](super::Sgd).
///
/// ```
/// use nalgebra::Matrix1;
/// use shapegrad::optim::{Momentum, UpdateRule};
///
/// let rule = Momentum { lr: 0.1, momentum: 0.9 };
/// let mut state = rule.new_state::<1, 1>();
/// let mut w = Matrix1::new(1.0_f64);
/// rule.update(&mut state, &mut w, &Matrix1::new(2.0)); // V = −0.2
/// rule.update(&mut state, &mut w, &Matrix1::new(2.0)); // V = 0.9·(−0.2) − 0.2 = −0.38
/// assert!((state.velocity[0] + 0.38).abs() < 1e-15);
/// assert!((w[0] - (1.0 - 0.2 - 0.38)).abs() < 1e-15);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Momentum<T> {
    /// The learning rate (step size). Default 1e-2.
    pub lr: T,
    /// How much of the velocity survives a step, μ in `[0, 1)`. Default 0.9.
    pub momentum: T,
}

impl<T: Real> Default for Momentum<T> {
    fn default() -> Self {
        Momentum {
            lr: nalgebra::convert(1e-2),
            momentum: nalgebra::convert(0.9),
        }
    }
}

/// [`Momentum`]'s state for one R×C parameter: its velocity, of the parameter's shape.
///
/// ```
/// use shapegrad::optim::{Momentum, MomentumState, UpdateRule};
/// let state: MomentumState<f64, 2, 3> = Momentum::default().new_state();
/// assert_eq!(state.velocity, nalgebra::Matrix2x3::zeros());
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MomentumState<T: Real, const R: usize, const C: usize> {
    /// V, the velocity: the step last added to the parameter.
    pub velocity: SMatrix<T, R, C>,
}

impl<T: Real> UpdateRule<T> for Momentum<T> {
    type State<const R: usize, const C: usize> = MomentumState<T, R, C>;

    fn new_state<const R: usize, const C: usize>(&self) -> MomentumState<T, R, C> {
        MomentumState {
            velocity: SMatrix::zeros(),
        }
    }

    /// Built on a helper thread when large, so the state never passes through the caller's
    /// stack.
    fn new_state_boxed<const R: usize, const C: usize>(&self) -> Box<Self::State<R, C>> {
        crate::kernels::scratch::boxed_large(|| self.new_state())
    }

    fn update<const R: usize, const C: usize>(
        &self,
        state: &mut MomentumState<T, R, C>,
        param: &mut SMatrix<T, R, C>,
        grad: &SMatrix<T, R, C>,
    ) {
        // V ← μ·V − lr·dW, then W ← W + V, in place.
        state
            .velocity
            .zip_apply(grad, |v, d_w| *v = self.momentum * *v - self.lr * d_w);
        *param += &state.velocity;
    }

    fn check_settings(&self) -> Result<(), String> {
        super::check_learning_rate(self.lr)?;
        super::check_range(self.momentum, "the momentum", "in [0, 1]", |m| {
            m >= T::zero() && m <= T::one()
        })
    }
}

impl<T: Real> super::LearningRate<T> for Momentum<T> {
    fn learning_rate(&self) -> T {
        self.lr
    }

    fn set_learning_rate(&mut self, lr: T) {
        self.lr = lr;
    }
}
