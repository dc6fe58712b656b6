//! AdamW: Adam with decoupled weight decay.

use nalgebra::SMatrix;

use super::adam::adam_update;
use super::{Adam, AdamState, LearningRate, UpdateRule};
use crate::kernels::Real;

/// AdamW (Loshchilov & Hutter, 2019): [`Adam`] with the weight decay taken out of the gradient
/// and applied to the weights directly, as in PyTorch's `AdamW`.
///
/// ```text
/// Settings: lr, default 1e-3; beta1 (β₁), 0.9; beta2 (β₂), 0.999; eps (ε), 1e-8;
///           weight_decay (λ), default 1e-2
/// State:    M, V (R×C) and t, as Adam's (an AdamState)
/// Update:   W ← W·(1 − lr·λ)                                 the decay, decoupled
///           then Adam's step: t ← t + 1; M, V, M̂, V̂ as Adam;  W ← W − lr·M̂ ⊘ (√V̂ + ε)
/// ```
///
/// With L2 regularization in the loss (`w.l2_penalty(λ)`), plain Adam divides the penalty's
/// gradient by √V̂ like any other, so weights with large gradients are hardly decayed; AdamW
/// shrinks every weight by the same factor `1 − lr·λ` per step. `weight_decay = 0` is Adam,
/// to the bit. The decay follows the learning rate, so a [`Schedule`](super::Schedule)
/// scales both. Every parameter the optimizer steps is decayed, biases included; step
/// biases with another optimizer if they should not be.
///
/// ```
/// use nalgebra::Matrix1;
/// use shapegrad::optim::{AdamW, UpdateRule};
///
/// let rule = AdamW { lr: 0.1, weight_decay: 0.5, ..AdamW::default() };
/// let mut state = rule.new_state::<1, 1>();
/// let mut w = Matrix1::new(2.0_f64);
/// rule.update(&mut state, &mut w, &Matrix1::new(0.0)); // no gradient: only the decay
/// assert!((w[0] - 2.0 * (1.0 - 0.1 * 0.5)).abs() < 1e-15);
/// assert_eq!(state.t, 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamW<T> {
    /// The learning rate. Default 1e-3.
    pub lr: T,
    /// Decay of the running mean of the gradient, β₁ in `[0, 1)`. Default 0.9.
    pub beta1: T,
    /// Decay of the running mean of the squared gradient, β₂ in `[0, 1)`. Default 0.999.
    pub beta2: T,
    /// Added to √V̂. Default 1e-8.
    pub eps: T,
    /// λ: each step multiplies the weights by `1 − lr·λ`. Default 1e-2 (PyTorch's).
    pub weight_decay: T,
}

impl<T: Real> Default for AdamW<T> {
    fn default() -> Self {
        let adam = Adam::<T>::default();
        AdamW {
            lr: adam.lr,
            beta1: adam.beta1,
            beta2: adam.beta2,
            eps: adam.eps,
            weight_decay: nalgebra::convert(1e-2),
        }
    }
}

impl<T: Real> UpdateRule<T> for AdamW<T> {
    type State<const R: usize, const C: usize> = AdamState<T, R, C>;

    fn new_state<const R: usize, const C: usize>(&self) -> AdamState<T, R, C> {
        Adam::<T>::default().new_state()
    }

    /// Built on a helper thread when large, so the state never passes through the caller's
    /// stack.
    fn new_state_boxed<const R: usize, const C: usize>(&self) -> Box<Self::State<R, C>> {
        crate::kernels::scratch::boxed_large(|| self.new_state())
    }

    fn update<const R: usize, const C: usize>(
        &self,
        state: &mut AdamState<T, R, C>,
        param: &mut SMatrix<T, R, C>,
        grad: &SMatrix<T, R, C>,
    ) {
        let adam = Adam {
            lr: self.lr,
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
        };
        let decay = (self.weight_decay != T::zero()).then_some(self.weight_decay);
        adam_update(&adam, decay, state, param, grad);
    }

    fn check_settings(&self) -> Result<(), String> {
        super::adam::check_adam(&Adam {
            lr: self.lr,
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
        })?;
        super::check_range(
            self.weight_decay,
            "the weight decay",
            "a finite number ≥ 0",
            |d| d >= T::zero(),
        )
    }
}

impl<T: Real> LearningRate<T> for AdamW<T> {
    fn learning_rate(&self) -> T {
        self.lr
    }

    fn set_learning_rate(&mut self, lr: T) {
        self.lr = lr;
    }
}
