//! `Optimizer`: an update rule applied to every parameter of a model, with typed states.

use std::any::Any;
use std::marker::PhantomData;

use nalgebra::SMatrix;

use super::clip::{clip_scale, global_norm};
use super::states::States;
use super::{LearningRate, ParameterVisitor, Parameters, Schedule, StepInfo, UpdateRule};
use crate::graph::{Gradients, Var};
use crate::kernels::Real;

/// An [`UpdateRule`] together with the state it keeps for each parameter it has stepped.
///
/// [`Optimizer::step`] visits a model's [`Parameters`], reads each one's gradient (of its own
/// R×C) from a [`Gradients`] and updates the parameter in place with the rule; the rule's state
/// for an R×C parameter is a `U::State<R, C>` (e.g. [`AdamState<T, R, C>`](super::AdamState)).
/// The settings are the public field
/// [`rule`](Optimizer::rule). A learning-rate [`Schedule`] ([`Optimizer::with_schedule`])
/// and gradient clipping by global norm ([`Optimizer::with_clip_norm`]) are applied by
/// [`Optimizer::step`], which reports what it did in a [`StepInfo`]. The states and the step
/// count can be saved and restored ([`Optimizer::save_state`]).
///
/// ```
/// use nalgebra::Matrix1x2;
/// use shapegrad::Graph;
/// use shapegrad::optim::{Adam, Optimizer};
///
/// let g = Graph::<f64>::new();
/// let w = g.var_named("w", Matrix1x2::new(3.0, -4.0));
/// let loss = w.norm_squared(); // minimum at w = 0
/// let mut optimizer = Optimizer::new(Adam { lr: 0.05, ..Adam::default() });
/// for _ in 0..500 {
///     let grads = loss.backward();
///     optimizer.step(&w, &grads);
/// }
/// assert!(w.value().amax() < 1e-2);
/// assert_eq!(optimizer.state(w).unwrap().t, 500); // the state of w, typed 1×2
/// ```
///
/// # Which state is whose
///
/// A state is created on a parameter's first step and belongs to the parameter's identity:
/// its name ([`Graph::var_named`](crate::Graph::var_named); [`nn::Dense`](crate::nn::Dense)
/// names its weight and bias), or, for a parameter without one, its node id (its place in the
/// graph's creation order). A graph built again by the same code gives its parameters the
/// same names and ids, so a training loop that builds a fresh graph every step keeps its
/// states (Adam's moments and step count carry on, as on a replayed graph), and the optimizer
/// holds one state per distinct parameter however many graphs it steps. If the nodes before
/// an unnamed parameter change from one build to the next, name it.
///
/// One optimizer may step several models: their parameters are told apart by their names, so
/// give the models' layers different names. Each parameter counts its own steps, and a
/// [`Schedule`] gives a [`Optimizer::step`] the rate of the step count of the parameters it
/// updates (the largest, if they differ): two models stepped in turn, once each per round,
/// both follow the schedule round by round, exactly as with one optimizer each. A newer graph
/// takes over the states of an older graph's parameters of the same identity (that is what a
/// rebuild is); stepping the older graph afterwards panics, since two graphs in use at once
/// with the same parameters would share one state: give each its own optimizer. A parameter
/// whose identity meets a state of another shape panics too (another model: call
/// [`Optimizer::reset`] to start over).
///
/// ```
/// use nalgebra::Matrix1x2;
/// use shapegrad::Graph;
/// use shapegrad::optim::{Adam, Optimizer};
///
/// let mut optimizer = Optimizer::new(Adam { lr: 0.05, ..Adam::default() });
/// let mut w = Matrix1x2::new(3.0, -4.0);
/// for _ in 0..500 {
///     let g = Graph::<f64>::new(); // a fresh graph every step
///     let param = g.var_named("w", w);
///     optimizer.step(&param, &param.norm_squared().backward());
///     w = param.value();
/// }
/// assert!(w.amax() < 1e-2);
/// assert_eq!(optimizer.state_count(), 1); // one state, stepped 500 times
/// # let g = Graph::<f64>::new();
/// # assert_eq!(optimizer.state(g.var_named("w", w)).unwrap().t, 500);
/// ```
#[cfg_attr(
    feature = "io",
    doc = "",
    doc = "[`Optimizer::save_state`]: Optimizer::save_state"
)]
#[cfg_attr(
    not(feature = "io"),
    doc = "",
    doc = "[`Optimizer::save_state`]: crate#features"
)]
pub struct Optimizer<T: Real, U: UpdateRule<T>> {
    /// The update rule and its settings.
    pub rule: U,
    /// The states, by parameter identity.
    pub(super) states: States,
    /// The largest step count of a parameter.
    pub(super) steps: u64,
    /// The number of [`Optimizer::step`] calls, which numbers them.
    calls: u64,
    /// The slots of the current step's parameters, in visiting order (kept for its capacity).
    order: Vec<usize>,
    /// The schedule, the rule's learning rate when it was set, and how to set the rule's rate.
    schedule: Option<Scheduled<T, U>>,
    /// The largest global gradient norm a step uses.
    clip_norm: Option<T>,
    _scalar: PhantomData<fn() -> T>,
}

/// A schedule, the rule's learning rate when it was set, and how to set the rule's rate.
type Scheduled<T, U> = (Schedule, T, fn(&mut U, T));

impl<T: Real, U: UpdateRule<T> + std::fmt::Debug> std::fmt::Debug for Optimizer<T, U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Optimizer")
            .field("rule", &self.rule)
            .field("parameters", &self.states.len())
            .field("steps", &self.steps)
            .field("schedule", &self.schedule.map(|(s, base, _)| (s, base)))
            .field("clip_norm", &self.clip_norm)
            .finish()
    }
}

impl<T: Real, U: UpdateRule<T>> Optimizer<T, U> {
    /// An optimizer with no states yet.
    ///
    /// ```
    /// use shapegrad::optim::{Optimizer, Sgd};
    /// let optimizer = Optimizer::<f64, _>::new(Sgd { lr: 1.0 });
    /// assert_eq!((optimizer.rule.lr, optimizer.steps()), (1.0, 0));
    /// ```
    pub fn new(rule: U) -> Self {
        Optimizer {
            rule,
            states: States::default(),
            steps: 0,
            calls: 0,
            order: Vec::new(),
            schedule: None,
            clip_norm: None,
            _scalar: PhantomData,
        }
    }

    /// Sets the learning rate of every later [`Optimizer::step`] by `schedule`: step `t`
    /// (the step count of the parameters it updates, from 0) uses `lr₀·schedule.factor(t)`, with `lr₀`
    /// the rule's learning rate now (or, if a schedule was set before, the rate it was set
    /// with: schedules replace each other). The rate in `rule` follows the schedule (read it there,
    /// or in [`StepInfo::learning_rate`]); setting it by hand is overridden at the next step.
    ///
    /// ```
    /// use nalgebra::Matrix1;
    /// use shapegrad::Graph;
    /// use shapegrad::optim::{Optimizer, Schedule, Sgd};
    ///
    /// let g = Graph::<f64>::new();
    /// let w = g.var(Matrix1::new(0.0));
    /// let loss = w.scale(-1.0).sum(); // gradient −1: each step adds its learning rate
    /// let schedule = Schedule::StepDecay { every: 2, gamma: 0.5 };
    /// let mut optimizer = Optimizer::new(Sgd { lr: 1.0 }).with_schedule(schedule);
    /// for _ in 0..5 {
    ///     optimizer.step(&w, &loss.backward());
    /// }
    /// assert_eq!(w.value()[0], 1.0 + 1.0 + 0.5 + 0.5 + 0.25);
    /// assert_eq!(optimizer.rule.lr, 0.25);
    /// ```
    #[track_caller]
    #[must_use = "this returns the optimizer with the schedule; the original is moved"]
    pub fn with_schedule(mut self, schedule: Schedule) -> Self
    where
        U: LearningRate<T>,
    {
        let _ = schedule.factor(0); // rejects a StepDecay of every = 0 here, at the caller's line
        let base = match self.schedule {
            Some((_, base, _)) => base,
            None => self.rule.learning_rate(),
        };
        self.schedule = Some((schedule, base, |rule, lr| rule.set_learning_rate(lr)));
        self
    }

    /// Clips the gradients of every later [`Optimizer::step`] by their global norm: if
    /// `√(Σ ‖dW‖²)` over the parameters stepped exceeds `max_norm`, every gradient is
    /// multiplied by `max_norm / norm` before the rule sees it (PyTorch's
    /// `clip_grad_norm_`). The step reports the norm ([`StepInfo::grad_norm`]).
    ///
    /// ```
    /// let optimizer = shapegrad::optim::Optimizer::new(shapegrad::optim::Adam::<f64>::default())
    ///     .with_clip_norm(1.0);
    /// assert_eq!(optimizer.clip_norm(), Some(1.0));
    /// ```
    ///
    /// # Panics
    /// If `max_norm` is NaN, infinite or not positive (at the caller's line).
    #[track_caller]
    #[must_use = "this returns the optimizer with clipping on; the original is moved"]
    pub fn with_clip_norm(mut self, max_norm: T) -> Self {
        assert!(
            max_norm.is_finite() && max_norm > T::zero(),
            "shapegrad: Optimizer::with_clip_norm: the largest norm is {max_norm}; it must be a \
             finite number > 0"
        );
        self.clip_norm = Some(max_norm);
        self
    }

    /// The schedule, if one was set.
    pub fn schedule(&self) -> Option<Schedule> {
        self.schedule.map(|(schedule, _, _)| schedule)
    }

    /// The global norm above which gradients are clipped, if clipping is on.
    pub fn clip_norm(&self) -> Option<T> {
        self.clip_norm
    }

    /// Updates every parameter of `params` with its gradient in `grads`, after setting the
    /// learning rate by the schedule and clipping the gradients, if those are on.
    ///
    /// The gradients stay valid while the parameters change (the graph recomputes its values
    /// on the next read or backward), so this runs with `grads` still alive; drop `grads`
    /// before the next `backward`. Only the first step of a parameter allocates (its state).
    ///
    /// ```
    /// use nalgebra::Matrix1;
    /// use shapegrad::Graph;
    /// use shapegrad::optim::{Optimizer, Sgd};
    ///
    /// let g = Graph::<f64>::new();
    /// let (a, b) = (g.var(Matrix1::new(1.0)), g.var(Matrix1::new(2.0)));
    /// let loss = a.component_mul(b); // ∂/∂a = b = 2, ∂/∂b = a = 1
    /// let mut optimizer = Optimizer::new(Sgd { lr: 0.5 });
    /// optimizer.step(&(a, b), &loss.backward());
    /// assert_eq!((a.value()[0], b.value()[0]), (0.0, 1.5));
    /// ```
    ///
    /// # Panics
    /// If the rule's learning rate (or the schedule's rate for this step) is NaN, infinite or
    /// negative, or another setting is out of its range ([`UpdateRule::check_settings`]):
    /// nothing is stepped. If a parameter is a constant or an op's output rather than a
    /// [`Graph::var`](crate::Graph::var),
    /// belongs to another graph than `grads`, if `params` lists a parameter twice (it would
    /// be stepped twice), or if a parameter's identity meets a state it may not use (see [Which
    /// state is whose](Optimizer#which-state-is-whose)). The message names the parameter and
    /// points at the caller's line; nothing is stepped.
    #[track_caller]
    pub fn step<'g, P>(&mut self, params: &P, grads: &Gradients<'g, T>) -> StepInfo<T>
    where
        P: Parameters<'g, T> + ?Sized,
    {
        // Check every parameter and find its state first, so that a mistake steps nothing.
        self.calls += 1;
        let mut order = std::mem::take(&mut self.order);
        order.clear();
        let mut resolve = Resolve {
            optimizer: self,
            grads,
            order: &mut order,
            t: 0,
            mistake: None,
        };
        params.visit(&mut resolve);
        let (t, mistake) = (resolve.t, resolve.mistake);
        if let Some(mistake) = mistake {
            self.order = order;
            panic!("{mistake}");
        }
        let mut learning_rate = None;
        if let Some((schedule, base, set)) = self.schedule {
            let lr = schedule.rate(t, base);
            if !(lr.is_finite() && lr >= T::zero()) {
                self.order = order;
                panic!(
                    "shapegrad: Optimizer::step: the schedule gives step {t} the learning rate \
                     {lr} (factor {} × base {base}); a learning rate must be a finite number ≥ 0",
                    schedule.factor(t)
                );
            }
            set(&mut self.rule, lr);
            learning_rate = Some(lr);
        }
        self.check_settings("step");
        let grad_norm = self.clip_norm.map(|_| global_norm(params, grads));
        let scale = match (grad_norm, self.clip_norm) {
            (Some(norm), Some(max_norm)) => clip_scale(norm, max_norm),
            _ => T::one(),
        };
        let mut stepper = Stepper {
            optimizer: self,
            grads,
            order: order.iter(),
            scale,
        };
        params.visit(&mut stepper);
        self.order = order;
        self.steps = self.steps.max(t + 1);
        StepInfo {
            grad_norm,
            clip_scale: scale,
            learning_rate,
        }
    }

    /// Updates one parameter with a gradient of its own shape (what [`Optimizer::step`] does
    /// for each parameter). A gradient of another shape does not compile. The schedule and
    /// clipping are not applied and the step count does not change: they are per step of the
    /// whole model.
    ///
    /// ```
    /// use nalgebra::Matrix2x3;
    /// use shapegrad::Graph;
    /// use shapegrad::optim::{Momentum, Optimizer};
    ///
    /// let g = Graph::<f64>::new();
    /// let w = g.var(Matrix2x3::zeros());
    /// let mut optimizer = Optimizer::new(Momentum { lr: 0.1, momentum: 0.5 });
    /// optimizer.step_param(w, &Matrix2x3::repeat(1.0));
    /// optimizer.step_param(w, &Matrix2x3::repeat(1.0));
    /// assert_eq!(w.value(), Matrix2x3::repeat(-0.1 - 0.15));
    /// ```
    ///
    /// # Panics
    /// If `param` is not a leaf, or a setting of the rule is out of range (as
    /// [`Optimizer::step`]).
    #[track_caller]
    pub fn step_param<const R: usize, const C: usize>(
        &mut self,
        param: Var<'_, T, R, C>,
        grad: &SMatrix<T, R, C>,
    ) {
        self.check_settings("step_param");
        if !param.graph().is_leaf(param.id()) {
            panic!("{}", not_a_leaf("step_param", param));
        }
        let slot = match self.slot_of(param, "step_param") {
            Ok(slot) => slot,
            Err(why) => panic!("{why}"),
        };
        let (rule, state) = self.parts::<R, C>(slot);
        param.update_in_place(|value| rule.update(state, value, grad));
    }

    /// The state of `param`, of its own shape, or `None` if it has not been stepped.
    ///
    /// ```
    /// use nalgebra::Matrix1;
    /// use shapegrad::optim::{Momentum, MomentumState, Optimizer};
    ///
    /// let g = shapegrad::Graph::<f64>::new();
    /// let w = g.var(Matrix1::new(0.0));
    /// let mut optimizer = Optimizer::new(Momentum::default());
    /// assert!(optimizer.state(w).is_none());
    /// optimizer.step_param(w, &Matrix1::new(1.0));
    /// let state: &MomentumState<f64, 1, 1> = optimizer.state(w).unwrap();
    /// assert_eq!(state.velocity[0], -1e-2);
    /// ```
    ///
    /// The state of `param`'s identity (its name, or its node id if it has none: see
    /// [Which state is whose](Optimizer#which-state-is-whose)) may belong to a parameter of
    /// another shape; then this is `None` too.
    pub fn state<const R: usize, const C: usize>(
        &self,
        param: Var<'_, T, R, C>,
    ) -> Option<&U::State<R, C>> {
        let slot = &self.states.slots[self.states.get(param)?];
        slot.state.downcast_ref::<U::State<R, C>>()
    }

    /// The number of states this optimizer holds: one per distinct parameter it has stepped
    /// (or loaded), however many graphs they were on.
    ///
    /// ```
    /// use nalgebra::Matrix1;
    /// use shapegrad::optim::{Momentum, Optimizer};
    ///
    /// let mut optimizer = Optimizer::new(Momentum::<f64>::default());
    /// for _ in 0..10 {
    ///     let g = shapegrad::Graph::new(); // a graph rebuilt every step
    ///     let (a, b) = (g.var(Matrix1::new(1.0)), g.var(Matrix1::new(2.0)));
    ///     optimizer.step(&(a, b), &a.component_mul(b).backward());
    /// }
    /// assert_eq!(optimizer.state_count(), 2);
    /// ```
    pub fn state_count(&self) -> usize {
        self.states.len()
    }

    /// How many steps the most-stepped parameter has taken (by [`Optimizer::step`], or as
    /// loaded by [`Optimizer::load_state`][load_state]): for one model, the number of steps.
    ///
    /// ```
    /// let optimizer = shapegrad::optim::Optimizer::<f32, _>::new(shapegrad::optim::Adam::default());
    /// assert_eq!(optimizer.steps(), 0);
    /// ```
    #[cfg_attr(feature = "io", doc = "", doc = "[load_state]: Optimizer::load_state")]
    #[cfg_attr(not(feature = "io"), doc = "", doc = "[load_state]: crate#features")]
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Forgets every state (velocities, Adam's moments and step counts) and the step count
    /// (a schedule starts again from its step 0).
    ///
    /// ```
    /// use nalgebra::Matrix1;
    /// use shapegrad::optim::{Adam, Optimizer};
    /// let g = shapegrad::Graph::<f64>::new();
    /// let w = g.var(Matrix1::new(0.0));
    /// let mut optimizer = Optimizer::new(Adam::default());
    /// optimizer.step_param(w, &Matrix1::new(1.0));
    /// optimizer.reset();
    /// assert!(optimizer.state(w).is_none());
    /// ```
    pub fn reset(&mut self) {
        self.states.clear();
        self.steps = 0;
    }

    /// Panics, naming `method`, at the caller's line if the rule's settings are out of range
    /// ([`UpdateRule::check_settings`]).
    #[track_caller]
    fn check_settings(&self, method: &str) {
        if let Err(why) = self.rule.check_settings() {
            panic!("shapegrad: Optimizer::{method}: {why}");
        }
    }

    /// The slot of `param`, created with a fresh state if its identity has none, or why it
    /// cannot have one (see [`States::find_or_insert`]).
    pub(super) fn slot_of<const R: usize, const C: usize>(
        &mut self,
        param: Var<'_, T, R, C>,
        method: &str,
    ) -> Result<usize, String> {
        let rule = &self.rule;
        self.states.find_or_insert(param, method, || {
            let state: Box<dyn Any> = rule.new_state_boxed::<R, C>();
            state
        })
    }

    /// The rule, and slot `slot`'s state as that of an R×C parameter, mutably.
    fn parts<const R: usize, const C: usize>(&mut self, slot: usize) -> (&U, &mut U::State<R, C>) {
        let state = self.states.slots[slot]
            .state
            .downcast_mut::<U::State<R, C>>()
            .unwrap_or_else(|| {
                panic!("shapegrad internal error: a state is not that of a {R}×{C} parameter")
            });
        (&self.rule, state)
    }
}

/// The message of a parameter that is not a leaf.
fn not_a_leaf<T: Real, const R: usize, const C: usize>(
    method: &str,
    param: Var<'_, T, R, C>,
) -> String {
    format!(
        "shapegrad: Optimizer::{method} was given {}, an op's output: parameters are Graph::var \
         leaves",
        param.label()
    )
}

/// The first visit of [`Optimizer::step`]: checks each parameter (a leaf with a gradient,
/// listed once), finds or makes its state, and finds the step count the schedule uses.
struct Resolve<'a, 'g, T: Real, U: UpdateRule<T>> {
    optimizer: &'a mut Optimizer<T, U>,
    grads: &'a Gradients<'g, T>,
    /// The parameters' slots, in visiting order.
    order: &'a mut Vec<usize>,
    /// The largest step count of the parameters.
    t: u64,
    /// The first mistake (the visit ignores the parameters after it).
    mistake: Option<String>,
}

impl<'g, T: Real, U: UpdateRule<T>> ParameterVisitor<'g, T> for Resolve<'_, 'g, T, U> {
    fn param<const R: usize, const C: usize>(&mut self, param: Var<'g, T, R, C>) {
        if self.mistake.is_some() {
            return;
        }
        if let Err(why) = self.grads.lookup(param) {
            let why = why.trim_start_matches("shapegrad: ");
            self.mistake = Some(format!("shapegrad: Optimizer::step: {why}"));
            return;
        }
        if !param.graph().is_leaf(param.id()) {
            self.mistake = Some(not_a_leaf("step", param));
            return;
        }
        let slot = match self.optimizer.slot_of(param, "step") {
            Ok(slot) => slot,
            Err(why) => return self.mistake = Some(why),
        };
        let calls = self.optimizer.calls;
        let slot_data = &mut self.optimizer.states.slots[slot];
        if slot_data.last_call == calls {
            self.mistake = Some(format!(
                "shapegrad: Optimizer::step was given the parameter {} twice; list each \
                 parameter once",
                param.label()
            ));
            return;
        }
        slot_data.last_call = calls;
        self.t = self.t.max(slot_data.steps);
        self.order.push(slot);
    }
}

/// The second visit of [`Optimizer::step`]: updates each parameter with its state.
struct Stepper<'a, 'g, T: Real, U: UpdateRule<T>> {
    optimizer: &'a mut Optimizer<T, U>,
    grads: &'a Gradients<'g, T>,
    /// The parameters' slots, in visiting order (from [`Resolve`]).
    order: std::slice::Iter<'a, usize>,
    /// The clipping factor of the gradients.
    scale: T,
}

impl<'g, T: Real, U: UpdateRule<T>> ParameterVisitor<'g, T> for Stepper<'_, 'g, T, U> {
    fn param<const R: usize, const C: usize>(&mut self, param: Var<'g, T, R, C>) {
        let (Some(&slot), Ok(grad)) = (self.order.next(), self.grads.lookup(param)) else {
            unreachable!("shapegrad internal error: a parameter changed between two visits");
        };
        self.optimizer.states.slots[slot].steps += 1;
        let (rule, state) = self.optimizer.parts::<R, C>(slot);
        if self.scale == T::one() {
            param.update_in_place(|value| rule.update(state, value, grad));
        } else {
            crate::contract::scratch::with_scratch::<T, R, C, _>(|clipped| {
                clipped.copy_from(grad);
                *clipped *= self.scale;
                param.update_in_place(|value| rule.update(state, value, clipped));
            });
        }
    }
}
