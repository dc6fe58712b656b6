//! Optimizers: SGD, SGD with momentum, Adam and AdamW, each keeping a state of every
//! parameter's own shape; learning-rate schedules and gradient clipping.
//!
//! An [`UpdateRule`] ([`Sgd`], [`Momentum`], [`Adam`], or your own) says how one R×C parameter
//! moves given its R×C gradient and its R×C state; its settings are plain public fields with
//! documented defaults. An [`Optimizer`] applies a rule to every parameter of a model: the
//! model lists its parameters once, by implementing [`Parameters`] (layers such as
//! [`nn::Dense`](crate::nn::Dense), a bare [`Var`](crate::Var), and tuples and arrays of those
//! already do), and [`Optimizer::step`] reads each parameter's gradient with
//! [`Gradients::wrt`](crate::Gradients::wrt) and updates the parameter in place.
//!
//! Training builds the graph once and replays it: a step is `loss.backward()` then
//! `optimizer.step(&model, &grads)`; the next `backward` recomputes the loss from the new
//! parameter values. After the first two steps (which create the states and cache the loss's
//! backward plan) a step allocates nothing.
//!
//! ```
//! use nalgebra::{Matrix1, Matrix2x1, Matrix4x2, Vector4};
//! use shapegrad::Graph;
//! use shapegrad::optim::{Optimizer, Sgd};
//!
//! // Fit y = x·w + b to four points on y = 2·x₀ − x₁ + 0.5.
//! let g = Graph::<f64>::new();
//! let x = g.constant(Matrix4x2::new(0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 2.0, -1.0));
//! let y = g.constant(Vector4::new(-0.5, 2.5, 1.5, 5.5));
//! let w = g.var(Matrix2x1::zeros());
//! let b = g.var(Matrix1::zeros());
//! let loss = (x * w).add_row(b).mse(y);
//!
//! let mut optimizer = Optimizer::new(Sgd { lr: 0.2 });
//! for _ in 0..2000 {
//!     let grads = loss.backward();
//!     optimizer.step(&(w, b), &grads); // a tuple of parameters is a model
//! }
//! assert!((w.value() - Matrix2x1::new(2.0, -1.0)).amax() < 1e-9);
//! assert!((b.value()[0] - 0.5).abs() < 1e-9);
//! ```
//!
//! Stepping a parameter with a gradient of another shape does not compile: [`UpdateRule::update`]
//! and [`Optimizer::step_param`] take the gradient as `&SMatrix<T, R, C>` of the parameter's
//! own R×C.

mod adam;
mod adamw;
#[cfg(feature = "io")]
mod checkpoint;
mod clip;
mod momentum;
mod optimizer;
mod schedule;
mod sgd;
mod states;

pub use crate::train::parameters::{ParameterVisitor, Parameters};
pub use adam::{Adam, AdamState};
pub use adamw::AdamW;
#[cfg(feature = "io")]
pub use checkpoint::{SaveState, StateReader, StateWriter};
pub use clip::StepInfo;
pub use momentum::{Momentum, MomentumState};
pub use optimizer::Optimizer;
pub use schedule::{LearningRate, Schedule};
pub use sgd::Sgd;

use nalgebra::SMatrix;

use crate::kernels::Real;

/// How an optimizer moves one parameter: its settings, the state it keeps per parameter, and
/// the update of an R×C parameter from its R×C gradient.
///
/// The state has the parameter's shape in its type ([`MomentumState<T, R, C>`],
/// [`AdamState<T, R, C>`]; `()` for plain SGD), and `update` takes the parameter, its gradient
/// and its state at one R×C, so an update with a gradient or a state of another shape does not
/// compile. Implement this trait for your own rule (RMSProp, say) and [`Optimizer`] applies it
/// to whole models.
///
/// ```
/// use nalgebra::Matrix1x2;
/// use shapegrad::optim::{Adam, AdamState, UpdateRule};
///
/// let adam = Adam::<f64>::default();
/// let mut state: AdamState<f64, 1, 2> = adam.new_state();
/// let mut w = Matrix1x2::new(1.0, -1.0);
/// adam.update(&mut state, &mut w, &Matrix1x2::new(0.5, -3.0));
/// // Adam's first step moves each entry by lr against the sign of its gradient.
/// assert!((w - Matrix1x2::new(1.0 - 1e-3, -1.0 + 1e-3)).amax() < 1e-9);
/// assert_eq!(state.t, 1);
/// ```
pub trait UpdateRule<T: Real> {
    /// What the rule remembers about one R×C parameter between steps.
    type State<const R: usize, const C: usize>: 'static;

    /// The state of a parameter that has not been stepped yet (zeros).
    fn new_state<const R: usize, const C: usize>(&self) -> Self::State<R, C>;

    /// [`UpdateRule::new_state`] on the heap, where [`Optimizer`] keeps it. Defaults to
    /// `Box::new(self.new_state())`, which builds the state on the caller's stack first; the
    /// rules of this module build a large state (64 KiB or more) on a short-lived helper
    /// thread whose stack is sized for it and hand back only the box, so a parameter of
    /// megabytes (500×500 `f64` is 2 MB) never passes through the caller's stack. Override it
    /// if your rule's state is large.
    fn new_state_boxed<const R: usize, const C: usize>(&self) -> Box<Self::State<R, C>> {
        Box::new(self.new_state())
    }

    /// Moves `param` one step against `grad` (∂loss/∂param), updating `state`, in place.
    ///
    /// `param` is the parameter's value inside its graph, which is borrowed meanwhile: an
    /// update works on the matrices it is given and does not read the graph.
    fn update<const R: usize, const C: usize>(
        &self,
        state: &mut Self::State<R, C>,
        param: &mut SMatrix<T, R, C>,
        grad: &SMatrix<T, R, C>,
    );

    /// The first setting that would silently turn the parameters into NaN or ∞, described
    /// (`"the learning rate is NaN; …"`), or `Ok`. [`Optimizer::step`] and
    /// [`Optimizer::step_param`] call it before stepping anything and panic with the
    /// description at the caller's line. The rules of this module reject a learning rate that
    /// is NaN, infinite or negative, and other settings outside their documented ranges;
    /// the default accepts anything.
    ///
    /// ```
    /// use shapegrad::optim::{Adam, UpdateRule};
    /// let adam = Adam { lr: f64::NAN, ..Adam::default() };
    /// assert_eq!(
    ///     UpdateRule::<f64>::check_settings(&adam).unwrap_err(),
    ///     "the learning rate is NaN; it must be a finite number ≥ 0"
    /// );
    /// ```
    ///
    /// # Errors
    /// The description of the first setting out of its range.
    fn check_settings(&self) -> Result<(), String> {
        Ok(())
    }
}

/// A learning rate is a finite number ≥ 0.
fn check_learning_rate<T: Real>(lr: T) -> Result<(), String> {
    check_range(lr, "the learning rate", "a finite number ≥ 0", |x| {
        x >= T::zero()
    })
}

/// `setting` (named `what`) is finite and `holds`; else says so, naming the value and the
/// range (`wanted`).
fn check_range<T: Real>(
    setting: T,
    what: &str,
    wanted: &str,
    holds: impl Fn(T) -> bool,
) -> Result<(), String> {
    if setting.is_finite() && holds(setting) {
        Ok(())
    } else {
        Err(format!("{what} is {setting}; it must be {wanted}"))
    }
}
