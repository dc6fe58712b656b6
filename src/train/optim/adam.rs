//! Adam: per-entry step sizes from running averages of the gradient and its square.

use nalgebra::SMatrix;

use super::UpdateRule;
use crate::kernels::Real;

/// Adam (Kingma & Ba, 2015), with bias correction, as in the course notes.
///
/// ```text
/// Settings: lr, default 1e-3; beta1 (β₁), default 0.9; beta2 (β₂), default 0.999;
///           eps (ε), default 1e-8
/// State:    M, V (R×C), start at 0; t, the number of steps taken, starts at 0
/// Update:   t ← t + 1
///           M ← β₁·M + (1 − β₁)·dW          V ← β₂·V + (1 − β₂)·dW∘dW
///           M̂ = M / (1 − β₁ᵗ)               V̂ = V / (1 − β₂ᵗ)
///           W ← W − lr·M̂ ⊘ (√V̂ + ε)
/// ```
///
/// The bias correction undoes the zero start of M and V: on the first step M̂ = dW and
/// V̂ = dW∘dW, so every entry with a gradient much larger than ε moves by about `lr`
/// against the sign of its gradient. The defaults are the paper's (and PyTorch's).
///
/// ```
/// use nalgebra::Matrix1;
/// use shapegrad::optim::{Adam, UpdateRule};
///
/// let adam = Adam { lr: 0.1, ..Adam::default() };
/// let mut state = adam.new_state::<1, 1>();
/// let mut w = Matrix1::new(3.0_f64);
/// adam.update(&mut state, &mut w, &Matrix1::new(-250.0));
/// assert!((w[0] - 3.1).abs() < 1e-9);
/// assert!((state.m[0] + 25.0).abs() < 1e-12); // M = (1 − 0.9)·(−250)
/// assert_eq!(state.t, 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Adam<T> {
    /// The learning rate: about the largest step an entry takes. Default 1e-3.
    pub lr: T,
    /// Decay of the running mean of the gradient, β₁ in `[0, 1)`. Default 0.9.
    pub beta1: T,
    /// Decay of the running mean of the squared gradient, β₂ in `[0, 1)`. Default 0.999.
    pub beta2: T,
    /// Added to √V̂ so an entry whose gradient has been 0 does not divide by 0. Default 1e-8.
    pub eps: T,
}

impl<T: Real> Default for Adam<T> {
    fn default() -> Self {
        Adam {
            lr: nalgebra::convert(1e-3),
            beta1: nalgebra::convert(0.9),
            beta2: nalgebra::convert(0.999),
            eps: nalgebra::convert(1e-8),
        }
    }
}

/// [`Adam`]'s state for one R×C parameter: the running means M and V, of the parameter's
/// shape, and the number of steps taken.
///
/// ```
/// use shapegrad::optim::{Adam, AdamState, UpdateRule};
/// let state: AdamState<f32, 3, 1> = Adam::default().new_state();
/// assert_eq!((state.m, state.v, state.t), (nalgebra::Vector3::zeros(), nalgebra::Vector3::zeros(), 0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamState<T: Real, const R: usize, const C: usize> {
    /// M, the running mean of the gradient (first moment), before bias correction.
    pub m: SMatrix<T, R, C>,
    /// V, the running mean of the squared gradient (second moment), before bias correction.
    pub v: SMatrix<T, R, C>,
    /// t, the number of steps taken (the exponent of the bias correction).
    pub t: u32,
}

impl<T: Real> UpdateRule<T> for Adam<T> {
    type State<const R: usize, const C: usize> = AdamState<T, R, C>;

    fn new_state<const R: usize, const C: usize>(&self) -> AdamState<T, R, C> {
        AdamState {
            m: SMatrix::zeros(),
            v: SMatrix::zeros(),
            t: 0,
        }
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
        adam_update(self, None, state, param, grad);
    }

    fn check_settings(&self) -> Result<(), String> {
        check_adam(self)
    }
}

/// Adam's settings: a learning rate, β₁ and β₂ in `[0, 1)` (β = 1 divides by 0 in the bias
/// correction), ε finite and ≥ 0.
pub(super) fn check_adam<T: Real>(adam: &Adam<T>) -> Result<(), String> {
    let below_one = |b: T| b >= T::zero() && b < T::one();
    super::check_learning_rate(adam.lr)?;
    super::check_range(adam.beta1, "beta1", "in [0, 1)", below_one)?;
    super::check_range(adam.beta2, "beta2", "in [0, 1)", below_one)?;
    super::check_range(adam.eps, "eps", "a finite number ≥ 0", |e| e >= T::zero())
}

impl<T: Real> super::LearningRate<T> for Adam<T> {
    fn learning_rate(&self) -> T {
        self.lr
    }

    fn set_learning_rate(&mut self, lr: T) {
        self.lr = lr;
    }
}

/// Adam's step, with AdamW's decoupled weight decay `W ← W·(1 − lr·λ)` first if `decay` is
/// `Some(λ)` (the order PyTorch's `AdamW` uses).
pub(super) fn adam_update<T: Real, const R: usize, const C: usize>(
    adam: &Adam<T>,
    decay: Option<T>,
    state: &mut AdamState<T, R, C>,
    param: &mut SMatrix<T, R, C>,
    grad: &SMatrix<T, R, C>,
) {
    state.t = state.t.saturating_add(1);
    // β^t underflows to 0 long before t reaches i32::MAX; saturating keeps it so.
    let t = i32::try_from(state.t).unwrap_or(i32::MAX);
    let one = T::one();
    let m_correction = one - adam.beta1.powi(t);
    let v_correction = one - adam.beta2.powi(t);
    // Adam's factor is exactly 1 (w·1 = w, to the bit).
    let keep = decay.map_or(one, |decay| one - adam.lr * decay);
    // Entry by entry, in place: no R×C temporaries on the stack. Over the column-major
    // slices, not nalgebra's strided iterators, so the loop vectorizes.
    let moments = state
        .m
        .as_mut_slice()
        .iter_mut()
        .zip(state.v.as_mut_slice());
    let entries = param.as_mut_slice().iter_mut().zip(grad.as_slice());
    for ((w, &d_w), (m, v)) in entries.zip(moments) {
        *w *= keep;
        *m = adam.beta1 * *m + (one - adam.beta1) * d_w;
        *v = adam.beta2 * *v + (one - adam.beta2) * d_w * d_w;
        let m_hat = *m / m_correction;
        let v_hat = *v / v_correction;
        *w -= adam.lr * m_hat / (v_hat.sqrt() + adam.eps);
    }
}
