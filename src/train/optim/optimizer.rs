//! `Optimizer`: an update rule applied to every parameter of a model, with typed states.

use std::any::Any;
use std::marker::PhantomData;

use nalgebra::SMatrix;

use super::clip::{clip_scale, global_norm};
use super::{LearningRate, ParameterVisitor, Parameters, Schedule, StepInfo, UpdateRule};
use crate::graph::{Gradients, Var};
use crate::kernels::Real;

/// An [`UpdateRule`] together with the state it keeps for each parameter it has stepped.
///
/// [`Optimizer::step`] visits a model's [`Parameters`], reads each one's gradient (of its own
/// R×C) from a [`Gradients`] and updates the parameter in place with the rule; the rule's state
/// for an R×C parameter is a `U::State<R, C>` (e.g. [`AdamState<T, R, C>`](super::AdamState)).
/// States are created on a parameter's first step and found again by the parameter's graph
/// and node, so one optimizer may serve several graphs without mixing their states (call
/// [`Optimizer::reset`] to start over). The settings are the public field
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
    /// Per graph (by [`Graph::id`](crate::Graph::id)): the states indexed by node id, `None`
    /// for nodes that are not parameters of this optimizer.
    pub(super) graphs: Vec<(u64, Vec<Option<Slot>>)>,
    /// How many times [`Optimizer::step`] has run.
    pub(super) steps: u64,
    /// The schedule, the rule's learning rate when it was set, and how to set the rule's rate.
    schedule: Option<Scheduled<T, U>>,
    /// The largest global gradient norm a step uses.
    clip_norm: Option<T>,
    _scalar: PhantomData<fn() -> T>,
}

/// A schedule, the rule's learning rate when it was set, and how to set the rule's rate.
type Scheduled<T, U> = (Schedule, T, fn(&mut U, T));

/// One parameter's state (a boxed `U::State<R, C>`) and the last `step` that updated it.
pub(super) struct Slot {
    pub(super) state: Box<dyn Any>,
    pub(super) last_step: u64,
}

impl<T: Real, U: UpdateRule<T> + std::fmt::Debug> std::fmt::Debug for Optimizer<T, U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Optimizer")
            .field("rule", &self.rule)
            .field(
                "parameters",
                &self
                    .graphs
                    .iter()
                    .flat_map(|(_, s)| s.iter().flatten())
                    .count(),
            )
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
            graphs: Vec::new(),
            steps: 0,
            schedule: None,
            clip_norm: None,
            _scalar: PhantomData,
        }
    }

    /// Sets the learning rate of every later [`Optimizer::step`] by `schedule`: step `t`
    /// (counted by [`Optimizer::steps`], from 0) uses `lr₀·schedule.factor(t)`, with `lr₀`
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
    /// belongs to another graph than `grads`, or if `params` lists a parameter twice (it would
    /// be stepped twice). The message names the parameter and points at the caller's line; the
    /// parameters listed before it have been stepped, the others not.
    #[track_caller]
    pub fn step<'g, P>(&mut self, params: &P, grads: &Gradients<'g, T>) -> StepInfo<T>
    where
        P: Parameters<'g, T> + ?Sized,
    {
        let mut learning_rate = None;
        if let Some((schedule, base, set)) = self.schedule {
            let lr = schedule.rate(self.steps, base);
            if !(lr.is_finite() && lr >= T::zero()) {
                panic!(
                    "shapegrad: Optimizer::step: the schedule gives step {} the learning rate \
                     {lr} (factor {} × base {base}); a learning rate must be a finite number ≥ 0",
                    self.steps,
                    schedule.factor(self.steps)
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
        self.steps += 1;
        let mut stepper = Stepper {
            optimizer: self,
            grads,
            scale,
            mistake: None,
        };
        params.visit(&mut stepper);
        if let Some(mistake) = stepper.mistake {
            panic!("{mistake}");
        }
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
        let (rule, state, _) = self.parts::<R, C>(param.graph().id(), param.id());
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
    pub fn state<const R: usize, const C: usize>(
        &self,
        param: Var<'_, T, R, C>,
    ) -> Option<&U::State<R, C>> {
        let graph = param.graph().id();
        let (_, slots) = self.graphs.iter().find(|(g, _)| *g == graph)?;
        let slot = slots.get(param.id())?.as_ref()?;
        Some(Self::typed::<R, C>(&*slot.state, param.id()))
    }

    /// How many times [`Optimizer::step`] has run.
    ///
    /// ```
    /// let optimizer = shapegrad::optim::Optimizer::<f32, _>::new(shapegrad::optim::Adam::default());
    /// assert_eq!(optimizer.steps(), 0);
    /// ```
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
        self.graphs.clear();
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

    /// The rule, and the state of node `id` of graph `graph` (created if it has none) and its
    /// last step, mutably.
    pub(super) fn parts<const R: usize, const C: usize>(
        &mut self,
        graph: u64,
        id: usize,
    ) -> (&U, &mut U::State<R, C>, &mut u64) {
        let rule = &self.rule;
        let slot = Self::slot(&mut self.graphs, graph, id).get_or_insert_with(|| Slot {
            state: Box::new(rule.new_state::<R, C>()),
            last_step: 0,
        });
        let state = slot
            .state
            .downcast_mut::<U::State<R, C>>()
            .unwrap_or_else(|| panic!("{}", wrong_shape::<R, C>(id)));
        (rule, state, &mut slot.last_step)
    }

    /// The slot of node `id` of graph `graph`, made room for.
    pub(super) fn slot(
        graphs: &mut Vec<(u64, Vec<Option<Slot>>)>,
        graph: u64,
        id: usize,
    ) -> &mut Option<Slot> {
        let at = match graphs.iter().position(|(g, _)| *g == graph) {
            Some(at) => at,
            None => {
                graphs.push((graph, Vec::new()));
                graphs.len() - 1
            }
        };
        let slots = &mut graphs[at].1;
        if slots.len() <= id {
            slots.resize_with(id + 1, || None);
        }
        &mut slots[id]
    }

    fn typed<const R: usize, const C: usize>(state: &dyn Any, id: usize) -> &U::State<R, C> {
        state
            .downcast_ref::<U::State<R, C>>()
            .unwrap_or_else(|| panic!("{}", wrong_shape::<R, C>(id)))
    }
}

fn wrong_shape<const R: usize, const C: usize>(id: usize) -> String {
    format!(
        "shapegrad internal error: the optimizer's state for node {id} is not that of a \
         {R}×{C} parameter"
    )
}

/// The visitor behind [`Optimizer::step`].
struct Stepper<'a, 'g, T: Real, U: UpdateRule<T>> {
    optimizer: &'a mut Optimizer<T, U>,
    grads: &'a Gradients<'g, T>,
    /// The clipping factor of the gradients.
    scale: T,
    /// The first mistake in the parameter list (the parameters after it are not stepped).
    mistake: Option<String>,
}

impl<'g, T: Real, U: UpdateRule<T>> ParameterVisitor<'g, T> for Stepper<'_, 'g, T, U> {
    fn param<const R: usize, const C: usize>(&mut self, param: Var<'g, T, R, C>) {
        if self.mistake.is_some() {
            return; // reported by `Optimizer::step`, at the caller's line
        }
        let grad = match self.grads.lookup(param) {
            Ok(grad) => grad,
            Err(why) => {
                self.mistake = Some(format!(
                    "shapegrad: Optimizer::step: {}",
                    why.trim_start_matches("shapegrad: ")
                ));
                return;
            }
        };
        if !param.graph().is_leaf(param.id()) {
            self.mistake = Some(format!(
                "shapegrad: Optimizer::step was given {}, an op's output: parameters are \
                 Graph::var leaves",
                param.label()
            ));
            return;
        }
        let step = self.optimizer.steps;
        let (rule, state, last_step) = self.optimizer.parts::<R, C>(param.graph().id(), param.id());
        if *last_step == step {
            self.mistake = Some(format!(
                "shapegrad: Optimizer::step was given the parameter {} twice; list each \
                 parameter once",
                param.label()
            ));
            return;
        }
        *last_step = step;
        if self.scale == T::one() {
            param.update_in_place(|value| rule.update(state, value, grad));
        } else {
            crate::kernels::scratch::with_scratch::<T, R, C>(|clipped| {
                clipped.copy_from(grad);
                *clipped *= self.scale;
                param.update_in_place(|value| rule.update(state, value, clipped));
            });
        }
    }
}
