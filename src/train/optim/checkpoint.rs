//! Saving and restoring an optimizer's state (per-parameter states and step count) by
//! parameter name, in safetensors. Feature `io` (on by default).

use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::marker::PhantomData;
use std::path::Path;

use nalgebra::SMatrix;

use super::{Adam, AdamState, AdamW, Momentum, MomentumState, Optimizer, ParameterVisitor};
use super::{Parameters, Sgd, UpdateRule};
use crate::graph::Var;
use crate::train::io::tensor::{Reader, Tensor, serialize};
use crate::train::io::{Element, LoadError, SaveError, checked_name, param_name};

/// An [`UpdateRule`] whose per-parameter state can be saved and restored: it names its
/// state's matrices (each of the parameter's R×C) and counters. Implemented for [`Sgd`] (no
/// state), [`Momentum`] (`velocity`), [`Adam`] and [`AdamW`] (`m`, `v` and the step count
/// `t`); implement it for your own rule to checkpoint it.
///
/// In the file, parameter `dense1.weight`'s Adam state is the tensors `dense1.weight.m`,
/// `dense1.weight.v` (R×C, as the parameter) and `dense1.weight.t` (a `U64` scalar).
///
/// Feature `io`.
pub trait SaveState<T: Element>: UpdateRule<T> {
    /// The rule's name, stored in the file and checked when loading (`"Adam"`).
    const NAME: &'static str;

    /// Writes `state`'s matrices and counters.
    fn save_state<const R: usize, const C: usize>(
        state: &Self::State<R, C>,
        out: &mut StateWriter<'_, T, R, C>,
    );

    /// Reads a state back.
    ///
    /// # Errors
    /// The [`LoadError`] of the first matrix or counter that is missing or does not fit.
    fn load_state<const R: usize, const C: usize>(
        input: &mut StateReader<'_, '_, T, R, C>,
    ) -> Result<Self::State<R, C>, LoadError>;

    /// [`SaveState::load_state`] on the heap, where [`Optimizer`] keeps it. Defaults to
    /// boxing `load_state`'s result, which passes through the caller's stack; the rules of
    /// this module read a large state on a helper thread sized for it, as
    /// [`UpdateRule::new_state_boxed`] makes one.
    ///
    /// # Errors
    /// As [`SaveState::load_state`].
    fn load_state_boxed<const R: usize, const C: usize>(
        input: &mut StateReader<'_, '_, T, R, C>,
    ) -> Result<Box<Self::State<R, C>>, LoadError> {
        Ok(Box::new(Self::load_state(input)?))
    }
}

/// Where [`SaveState::save_state`] writes one parameter's state. Feature `io`.
pub struct StateWriter<'a, T, const R: usize, const C: usize> {
    prefix: &'a str,
    out: &'a mut Vec<(String, Tensor)>,
    _scalar: PhantomData<fn() -> T>,
}

impl<T: Element, const R: usize, const C: usize> StateWriter<'_, T, R, C> {
    /// Writes a matrix of the parameter's shape as `<parameter>.<suffix>`.
    pub fn matrix(&mut self, suffix: &str, m: &SMatrix<T, R, C>) {
        self.out
            .push((format!("{}.{suffix}", self.prefix), Tensor::matrix(m)));
    }

    /// Writes a counter as `<parameter>.<suffix>`.
    pub fn counter(&mut self, suffix: &str, n: u64) {
        self.out
            .push((format!("{}.{suffix}", self.prefix), Tensor::counter(n)));
    }
}

/// Where [`SaveState::load_state`] reads one parameter's state from. Feature `io`.
pub struct StateReader<'r, 'a, T, const R: usize, const C: usize> {
    prefix: &'r str,
    reader: &'r mut Reader<'a>,
    _scalar: PhantomData<fn() -> T>,
}

impl<T: Element, const R: usize, const C: usize> StateReader<'_, '_, T, R, C> {
    /// Reads the matrix `<parameter>.<suffix>`, of the parameter's shape.
    ///
    /// # Errors
    /// If it is missing or of another shape or dtype.
    pub fn matrix(&mut self, suffix: &str) -> Result<SMatrix<T, R, C>, LoadError> {
        let name = format!("{}.{suffix}", self.prefix);
        Ok(SMatrix::from_column_slice(
            &self.reader.matrix::<T, R, C>(&name)?,
        ))
    }

    /// Reads the counter `<parameter>.<suffix>`.
    ///
    /// # Errors
    /// If it is missing or not a `U64` scalar.
    pub fn counter(&mut self, suffix: &str) -> Result<u64, LoadError> {
        self.reader.counter(&format!("{}.{suffix}", self.prefix))
    }
}

/// A state read on a helper thread when large (`boxed_large`), so it never passes through the
/// caller's stack.
fn load_boxed<S: Send>(
    load: impl FnOnce() -> Result<S, LoadError> + Send,
) -> Result<Box<S>, LoadError> {
    crate::kernels::scratch::with_stack_for(size_of::<S>(), || load().map(Box::new))
}

impl<T: Element> SaveState<T> for Sgd<T> {
    const NAME: &'static str = "Sgd";
    fn save_state<const R: usize, const C: usize>(_: &(), _: &mut StateWriter<'_, T, R, C>) {}
    fn load_state<const R: usize, const C: usize>(
        _: &mut StateReader<'_, '_, T, R, C>,
    ) -> Result<(), LoadError> {
        Ok(())
    }
}

impl<T: Element> SaveState<T> for Momentum<T> {
    const NAME: &'static str = "Momentum";
    fn load_state_boxed<const R: usize, const C: usize>(
        input: &mut StateReader<'_, '_, T, R, C>,
    ) -> Result<Box<Self::State<R, C>>, LoadError> {
        load_boxed(|| Self::load_state(input))
    }
    fn save_state<const R: usize, const C: usize>(
        state: &MomentumState<T, R, C>,
        out: &mut StateWriter<'_, T, R, C>,
    ) {
        out.matrix("velocity", &state.velocity);
    }
    fn load_state<const R: usize, const C: usize>(
        input: &mut StateReader<'_, '_, T, R, C>,
    ) -> Result<MomentumState<T, R, C>, LoadError> {
        Ok(MomentumState {
            velocity: input.matrix("velocity")?,
        })
    }
}

fn save_adam<T: Element, const R: usize, const C: usize>(
    state: &AdamState<T, R, C>,
    out: &mut StateWriter<'_, T, R, C>,
) {
    out.matrix("m", &state.m);
    out.matrix("v", &state.v);
    out.counter("t", u64::from(state.t));
}

fn load_adam<T: Element, const R: usize, const C: usize>(
    input: &mut StateReader<'_, '_, T, R, C>,
) -> Result<AdamState<T, R, C>, LoadError> {
    Ok(AdamState {
        m: input.matrix("m")?,
        v: input.matrix("v")?,
        t: u32::try_from(input.counter("t")?).unwrap_or(u32::MAX),
    })
}

impl<T: Element> SaveState<T> for Adam<T> {
    const NAME: &'static str = "Adam";
    fn load_state_boxed<const R: usize, const C: usize>(
        input: &mut StateReader<'_, '_, T, R, C>,
    ) -> Result<Box<Self::State<R, C>>, LoadError> {
        load_boxed(|| Self::load_state(input))
    }
    fn save_state<const R: usize, const C: usize>(
        state: &AdamState<T, R, C>,
        out: &mut StateWriter<'_, T, R, C>,
    ) {
        save_adam(state, out);
    }
    fn load_state<const R: usize, const C: usize>(
        input: &mut StateReader<'_, '_, T, R, C>,
    ) -> Result<AdamState<T, R, C>, LoadError> {
        load_adam(input)
    }
}

impl<T: Element> SaveState<T> for AdamW<T> {
    const NAME: &'static str = "AdamW";
    fn load_state_boxed<const R: usize, const C: usize>(
        input: &mut StateReader<'_, '_, T, R, C>,
    ) -> Result<Box<Self::State<R, C>>, LoadError> {
        load_boxed(|| Self::load_state(input))
    }
    fn save_state<const R: usize, const C: usize>(
        state: &AdamState<T, R, C>,
        out: &mut StateWriter<'_, T, R, C>,
    ) {
        save_adam(state, out);
    }
    fn load_state<const R: usize, const C: usize>(
        input: &mut StateReader<'_, '_, T, R, C>,
    ) -> Result<AdamState<T, R, C>, LoadError> {
        load_adam(input)
    }
}

impl<T: Element, U: SaveState<T>> Optimizer<T, U> {
    /// Writes the state of every parameter of `params` (a parameter not stepped yet is
    /// written with a fresh state) and the step count to the safetensors file at `path`, by
    /// parameter name. With [`io::save`](crate::io::save) of the parameters, this is a
    /// checkpoint from which training resumes exactly ([`Optimizer::load_state`]). Feature
    /// `io`.
    ///
    /// ```
    /// use nalgebra::Matrix1x2;
    /// use shapegrad::Graph;
    /// use shapegrad::optim::{Adam, Optimizer};
    ///
    /// let g = Graph::<f64>::new();
    /// let w = g.var_named("w", Matrix1x2::new(1.0, -1.0));
    /// let mut optimizer = Optimizer::new(Adam::default());
    /// for _ in 0..3 {
    ///     optimizer.step(&w, &w.norm_squared().backward());
    /// }
    /// let saved = optimizer.state_to_bytes(&w)?;
    ///
    /// let g2 = Graph::<f64>::new();
    /// let w2 = g2.var_named("w", w.value());
    /// let mut resumed = Optimizer::new(Adam::default());
    /// resumed.state_from_bytes(&w2, &saved)?;
    /// assert_eq!(resumed.steps(), 3);
    /// assert_eq!(resumed.state(w2), optimizer.state(w)); // moments and t = 3
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// The file is written atomically and carries a checksum, as with
    /// [`io::save`](crate::io::save): a failed overwrite leaves the previous file as it was.
    ///
    /// # Errors
    /// As [`io::save`](crate::io::save).
    pub fn save_state<'g, P: Parameters<'g, T> + ?Sized>(
        &self,
        params: &P,
        path: impl AsRef<Path>,
    ) -> Result<(), SaveError> {
        let bytes = self.state_to_bytes(params)?;
        crate::train::io::file::write_atomically(path.as_ref(), &bytes).map_err(SaveError::Io)
    }

    /// The safetensors bytes [`Optimizer::save_state`] writes. Feature `io`.
    ///
    /// # Errors
    /// As [`io::save`](crate::io::save), but for the file.
    pub fn state_to_bytes<'g, P: Parameters<'g, T> + ?Sized>(
        &self,
        params: &P,
    ) -> Result<Vec<u8>, SaveError> {
        struct Collect<'o, T: Element, U: SaveState<T>> {
            optimizer: &'o Optimizer<T, U>,
            tensors: Vec<(String, Tensor)>,
            names: HashSet<String>,
            error: Option<SaveError>,
        }
        impl<'g, T: Element, U: SaveState<T>> ParameterVisitor<'g, T> for Collect<'_, T, U> {
            fn param<const R: usize, const C: usize>(&mut self, param: Var<'g, T, R, C>) {
                if self.error.is_some() {
                    return;
                }
                let name = match param_name(param) {
                    Ok(name) => name,
                    Err(e) => return self.error = Some(e),
                };
                if !self.names.insert(name.clone()) {
                    return self.error = Some(SaveError::DuplicateName(name));
                }
                let mut out = StateWriter {
                    prefix: &name,
                    out: &mut self.tensors,
                    _scalar: PhantomData,
                };
                match self.optimizer.state(param) {
                    Some(state) => U::save_state(state, &mut out),
                    None => {
                        U::save_state(&*self.optimizer.rule.new_state_boxed::<R, C>(), &mut out)
                    }
                }
            }
        }
        let mut collect = Collect {
            optimizer: self,
            tensors: Vec::new(),
            names: HashSet::new(),
            error: None,
        };
        params.visit(&mut collect);
        if let Some(e) = collect.error {
            return Err(e);
        }
        let metadata = HashMap::from([
            ("rule".to_owned(), U::NAME.to_owned()),
            ("steps".to_owned(), self.steps.to_string()),
        ]);
        serialize(&collect.tensors, metadata)
    }

    /// Replaces every state of this optimizer by those in the file at `path` (written by
    /// [`Optimizer::save_state`]) for the parameters of `params`, found by name (on any graph,
    /// e.g. a model built afresh), and restores the step count (so a [`Schedule`](super::Schedule)
    /// carries on where it was). The rule's settings, the schedule and the clipping are this
    /// optimizer's, not the file's: build the optimizer as the saved one was built. Feature
    /// `io`.
    ///
    /// The file must hold a state of this rule for every parameter and nothing else;
    /// otherwise the optimizer is left as it was.
    ///
    /// # Errors
    /// [`LoadError::WrongRule`] if the file was saved by another rule, and the errors of
    /// [`io::load`](crate::io::load).
    pub fn load_state<'g, P: Parameters<'g, T> + ?Sized>(
        &mut self,
        params: &P,
        path: impl AsRef<Path>,
    ) -> Result<(), LoadError> {
        self.state_from_bytes(params, &std::fs::read(path).map_err(LoadError::Io)?)
    }

    /// [`Optimizer::load_state`] from safetensors bytes. Feature `io`.
    ///
    /// # Errors
    /// As [`Optimizer::load_state`], but for the file.
    pub fn state_from_bytes<'g, P: Parameters<'g, T> + ?Sized>(
        &mut self,
        params: &P,
        bytes: &[u8],
    ) -> Result<(), LoadError> {
        let mut reader = Reader::new(bytes)?;
        let found = reader.metadata("rule").unwrap_or_default();
        if found != U::NAME {
            return Err(LoadError::WrongRule {
                expected: U::NAME,
                found: found.to_owned(),
            });
        }
        let steps = reader
            .metadata("steps")
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| LoadError::Format("no step count in the metadata".into()))?;

        struct Read<'r, 'a, T: Element, U: SaveState<T>> {
            reader: &'r mut Reader<'a>,
            names: HashSet<String>,
            staged: Vec<Box<dyn Any>>,
            error: Option<LoadError>,
            _rule: PhantomData<fn() -> (T, U)>,
        }
        impl<'g, T: Element, U: SaveState<T>> ParameterVisitor<'g, T> for Read<'_, '_, T, U> {
            fn param<const R: usize, const C: usize>(&mut self, param: Var<'g, T, R, C>) {
                if self.error.is_some() {
                    return;
                }
                let state = checked_name(param, &mut self.names).and_then(|name| {
                    U::load_state_boxed::<R, C>(&mut StateReader {
                        prefix: &name,
                        reader: self.reader,
                        _scalar: PhantomData,
                    })
                });
                match state {
                    Ok(state) => self.staged.push(state),
                    Err(e) => self.error = Some(e),
                }
            }
        }
        let mut read = Read::<T, U> {
            reader: &mut reader,
            names: HashSet::new(),
            staged: Vec::new(),
            error: None,
            _rule: PhantomData,
        };
        params.visit(&mut read);
        if let Some(e) = read.error {
            return Err(e);
        }
        let staged = read.staged;
        reader.finish()?;

        // Each parameter's state, with the saved step count.
        struct Insert<'o, T: Element, U: SaveState<T>> {
            optimizer: &'o mut Optimizer<T, U>,
            staged: std::vec::IntoIter<Box<dyn Any>>,
            steps: u64,
        }
        impl<'g, T: Element, U: SaveState<T>> ParameterVisitor<'g, T> for Insert<'_, T, U> {
            fn param<const R: usize, const C: usize>(&mut self, param: Var<'g, T, R, C>) {
                let state = self.staged.next().expect("one staged state per parameter");
                let slot = self.optimizer.states.insert(param, state);
                self.optimizer.states.slots[slot].steps = self.steps;
            }
        }
        self.states.clear();
        params.visit(&mut Insert {
            optimizer: self,
            staged: staged.into_iter(),
            steps,
        });
        self.steps = steps;
        Ok(())
    }
}
