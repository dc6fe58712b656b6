//! Graph vars and outputs without their shapes in their types, to give the same values to a
//! graph and to the code generated from it (shared by `build.rs` and the tests).
#![allow(dead_code)] // each includer uses its own subset

use nalgebra::SMatrix;
use shapegrad::{Gradients, Real, Var};

/// `f64` as `T`.
pub fn t<T: Real>(x: f64) -> T {
    nalgebra::convert(x)
}

/// `x` as `f64` (exact for `f32` and `f64`).
pub fn f<T: Real>(x: &T) -> f64 {
    x.to_subset().expect("a real value")
}

/// A matrix's entries as `f64`s, column-major.
pub fn flat<T: Real, const R: usize, const C: usize>(m: &SMatrix<T, R, C>) -> Vec<f64> {
    m.iter().map(f).collect()
}

/// The matrix of the column-major `entries`, in `T`.
pub fn matrix<T: Real, const R: usize, const C: usize>(entries: &[f64]) -> SMatrix<T, R, C> {
    assert_eq!(entries.len(), R * C);
    SMatrix::from_iterator(entries.iter().map(|&x| t(x)))
}

/// Sets a var from its entries as `f64`s.
pub type SetEntries<'g> = Box<dyn Fn(&[f64]) + 'g>;
/// Reads entries as `f64`s.
pub type GetEntries<'g> = Box<dyn Fn() -> Vec<f64> + 'g>;
/// Reads a var's gradient from a backward pass, as `f64`s.
pub type GetGradient<'g, T> = Box<dyn Fn(&Gradients<'g, T>) -> Vec<f64> + 'g>;
/// Runs a backward pass from a seed given as `f64`s.
pub type Backward<'g, T> = Box<dyn Fn(&[f64]) -> Gradients<'g, T> + 'g>;

/// An input of a graph: its shape, its value, and its gradient in a backward pass.
pub struct Input<'g, T: Real> {
    pub shape: (usize, usize),
    pub set: SetEntries<'g>,
    pub get: GetEntries<'g>,
    pub gradient: GetGradient<'g, T>,
}

pub fn input<'g, T: Real, const R: usize, const C: usize>(v: Var<'g, T, R, C>) -> Input<'g, T> {
    Input {
        shape: (R, C),
        set: Box::new(move |entries| v.set_value(matrix(entries))),
        get: Box::new(move || flat(&v.value())),
        gradient: Box::new(move |grads| flat(grads.wrt(v))),
    }
}

/// An output of a graph: its shape, its value, and a backward pass from a seed of its shape.
pub struct Output<'g, T: Real> {
    pub shape: (usize, usize),
    pub value: GetEntries<'g>,
    pub backward: Backward<'g, T>,
}

pub fn output<'g, T: Real, const R: usize, const C: usize>(y: Var<'g, T, R, C>) -> Output<'g, T> {
    Output {
        shape: (R, C),
        value: Box::new(move || flat(&y.value())),
        backward: Box::new(move |seed| y.backward_with(matrix(seed))),
    }
}

impl<'g, T: Real> Output<'g, T> {
    /// The gradients of `inputs` in a backward pass from `seed`.
    pub fn vjp(&self, inputs: &[Input<'g, T>], seed: &[f64]) -> Vec<Vec<f64>> {
        let grads = (self.backward)(seed);
        inputs.iter().map(|i| (i.gradient)(&grads)).collect()
    }
}

/// How the code that calls a generated module is written: per input its shape, and the
/// output's shape. `driver("abs", …)` defines `pub fn abs_vjp<T: Real>(inputs: &[Vec<f64>],
/// seed: &[f64]) -> (Vec<f64>, Vec<Vec<f64>>)`, which calls `abs::vjp` on the inputs (all
/// differentiable) and returns the output and the gradients as `f64`s.
pub fn driver(module: &str, inputs: &[(usize, usize)], output: (usize, usize)) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "pub fn {module}_vjp<T: shapegrad::Real>(inputs: &[Vec<f64>], seed: &[f64]) -> \
         (Vec<f64>, Vec<Vec<f64>>) {{\n"
    ));
    let mut args = Vec::new();
    for (k, (r, c)) in inputs.iter().enumerate() {
        s.push_str(&format!(
            "    let x{k}: nalgebra::SMatrix<T, {r}, {c}> = crate::support::matrix(&inputs[{k}]);\n"
        ));
        args.push(format!("&x{k}"));
    }
    let (r, c) = output;
    s.push_str(&format!(
        "    let seed: nalgebra::SMatrix<T, {r}, {c}> = crate::support::matrix(seed);\n"
    ));
    args.push("&seed".into());
    s.push_str(&format!(
        "    let (value, d) = {module}::vjp({});\n",
        args.join(", ")
    ));
    let grads: Vec<String> = if inputs.len() == 1 {
        vec!["crate::support::flat(&d)".into()]
    } else {
        (0..inputs.len())
            .map(|k| format!("crate::support::flat(&d.{k})"))
            .collect()
    };
    s.push_str(&format!(
        "    (crate::support::flat(&value), vec![{}])\n}}\n",
        grads.join(", ")
    ));
    s
}

/// A generated module's `vjp` called on shape-erased inputs and seed: the output and the
/// gradients, as `f64`s (computed in the scalar type the driver was instantiated with).
pub type Driver = fn(&[Vec<f64>], &[f64]) -> (Vec<f64>, Vec<Vec<f64>>);
