//! Learning-rate schedules: the rate of each step as a factor of the rule's own.

use crate::kernels::Real;

/// How the learning rate changes over the steps: step `t` (0 for the first step) uses the rate
/// `lr₀·factor(t)`, where `lr₀` is the rule's rate when the schedule was set
/// ([`Optimizer::with_schedule`](super::Optimizer::with_schedule)).
///
/// | schedule | factor(t) |
/// |---|---|
/// | [`Constant`](Schedule::Constant) | 1 |
/// | [`StepDecay { every, gamma }`](Schedule::StepDecay) | γ^⌊t / every⌋ (PyTorch's `StepLR`) |
/// | [`CosineWithWarmup { warmup, total, floor }`](Schedule::CosineWithWarmup) | (t + 1) / warmup for t < warmup; then floor + (1 − floor)·½(1 + cos(π·p)), p = (t − warmup) / (total − warmup), clamped to 1 |
/// | [`Custom(f)`](Schedule::Custom) | f(t) |
///
/// The warmup counts from `1 / warmup` (the first step does move) to 1 at step `warmup − 1`;
/// the cosine then falls from 1 at step `warmup` to `floor` at step `total` and stays there.
///
/// ```
/// use shapegrad::optim::Schedule;
///
/// let step = Schedule::StepDecay { every: 10, gamma: 0.5 };
/// assert_eq!((step.factor(9), step.factor(10), step.factor(25)), (1.0, 0.5, 0.25));
///
/// let cosine = Schedule::CosineWithWarmup { warmup: 4, total: 104, floor: 0.0 };
/// assert_eq!((cosine.factor(0), cosine.factor(3)), (0.25, 1.0));
/// assert!((cosine.factor(54) - 0.5).abs() < 1e-15); // half-way down
/// assert_eq!((cosine.factor(104), cosine.factor(500)), (0.0, 0.0));
///
/// let halve_at_100 = Schedule::Custom(|t| if t < 100 { 1.0 } else { 0.5 });
/// assert_eq!(halve_at_100.factor(100), 0.5);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub enum Schedule {
    /// The rule's rate on every step.
    #[default]
    Constant,
    /// Multiplied by `gamma` every `every` steps.
    StepDecay {
        /// The number of steps between two decays (at least 1).
        every: u64,
        /// The factor of each decay, e.g. 0.1.
        gamma: f64,
    },
    /// A linear warmup over `warmup` steps, then a half cosine down to `floor` at step
    /// `total`.
    CosineWithWarmup {
        /// Steps of linear warmup (0: none).
        warmup: u64,
        /// The step at which the cosine reaches `floor` (usually the last step).
        total: u64,
        /// The final factor, e.g. 0 or 0.01.
        floor: f64,
    },
    /// Any function of the step.
    Custom(fn(u64) -> f64),
}

impl Schedule {
    /// The factor of step `t` (0 for the first step).
    ///
    /// # Panics
    /// `StepDecay` with `every = 0`.
    #[track_caller]
    pub fn factor(&self, t: u64) -> f64 {
        match *self {
            Schedule::Constant => 1.0,
            Schedule::StepDecay { every, gamma } => {
                assert!(every > 0, "shapegrad: Schedule::StepDecay needs every ≥ 1");
                let decays = i32::try_from(t / every).unwrap_or(i32::MAX);
                gamma.powi(decays)
            }
            Schedule::CosineWithWarmup {
                warmup,
                total,
                floor,
            } => {
                if t < warmup {
                    return (t + 1) as f64 / warmup as f64;
                }
                let length = total.saturating_sub(warmup);
                let progress = if length == 0 {
                    1.0
                } else {
                    ((t - warmup) as f64 / length as f64).min(1.0)
                };
                floor + (1.0 - floor) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
            }
            Schedule::Custom(f) => f(t),
        }
    }

    /// The learning rate of step `t` for the base rate `base`.
    ///
    /// ```
    /// let schedule = shapegrad::optim::Schedule::StepDecay { every: 1, gamma: 0.1 };
    /// assert!((schedule.rate(2, 1.0_f64) - 0.01).abs() < 1e-15);
    /// ```
    pub fn rate<T: Real>(&self, t: u64, base: T) -> T {
        base * nalgebra::convert(self.factor(t))
    }
}

/// A rule whose learning rate a [`Schedule`] can set: [`Sgd`](super::Sgd),
/// [`Momentum`](super::Momentum), [`Adam`](super::Adam) and [`AdamW`](super::AdamW), or
/// your own rule.
///
/// ```
/// use shapegrad::optim::{LearningRate, Sgd};
/// let mut sgd = Sgd { lr: 0.1_f64 };
/// sgd.set_learning_rate(0.05);
/// assert_eq!(sgd.learning_rate(), 0.05);
/// ```
pub trait LearningRate<T> {
    /// The current learning rate.
    fn learning_rate(&self) -> T;
    /// Sets the learning rate.
    fn set_learning_rate(&mut self, lr: T);
}

#[cfg(test)]
mod tests {
    use super::Schedule;

    #[test]
    fn cosine_with_warmup_by_hand() {
        let s = Schedule::CosineWithWarmup {
            warmup: 2,
            total: 6,
            floor: 0.1,
        };
        // Warmup: 1/2, 2/2; then p = 0, 1/4, 1/2, 3/4, 1.
        let want = [
            0.5,
            1.0,
            1.0,
            0.1 + 0.9 * 0.5 * (1.0 + (std::f64::consts::FRAC_PI_4).cos()),
            0.55,
            0.1 + 0.9 * 0.5 * (1.0 - (std::f64::consts::FRAC_PI_4).cos()),
            0.1,
            0.1,
        ];
        for (t, want) in want.iter().enumerate() {
            assert!((s.factor(t as u64) - want).abs() < 1e-15, "step {t}");
        }
        let no_warmup = Schedule::CosineWithWarmup {
            warmup: 0,
            total: 0,
            floor: 0.3,
        };
        assert_eq!(no_warmup.factor(0), 0.3);
    }

    #[test]
    fn step_decay_and_constant() {
        let s = Schedule::StepDecay {
            every: 3,
            gamma: 0.1,
        };
        assert_eq!(s.factor(2), 1.0);
        assert!((s.factor(3) - 0.1).abs() < 1e-17);
        assert!((s.factor(8) - 0.01).abs() < 1e-17);
        assert_eq!(Schedule::default().factor(1_000_000), 1.0);
    }

    #[test]
    #[should_panic(expected = "StepDecay needs every ≥ 1")]
    fn step_decay_every_zero_is_rejected() {
        Schedule::StepDecay {
            every: 0,
            gamma: 0.5,
        }
        .factor(1);
    }
}
