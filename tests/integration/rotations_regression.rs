//! The rotation ops at the points where other libraries' gradients fail, against references
//! computed in 50-digit arithmetic (`scripts/rotations_reference.py`, which writes
//! `tests/rotations_reference.txt`):
//!
//! * the identity quaternion, and −1 and 10⁻³ times it (kornia: NaN at the identity);
//! * SO(3) exp at θ = 0 and 1e-8, and log at the identity and at θ = 1e-8 (kornia: NaN);
//! * the log a micro-radian from π and at π (Sophus with Ceres' autodiff: zero gradients);
//! * the quaternion of a rotation near and at a half turn (w = 0).
//!
//! Each case checks the value and the full Jacobian d vec(out)/d vec(in) by reverse mode, in
//! f64 and in f32 (no NaN, and agreement to f32 precision), and for the log also the derivative
//! along rotations, d log(R·exp([δ]ₓ))/dδ = J_r⁻¹. It prints the worst error of each case
//! (`cargo test --test integration rotations_regression:: -- --nocapture`).

use std::collections::HashMap;

use nalgebra::{SMatrix, Vector3};
use shapegrad::jacobian::{jacobian, matrix_jacobian};
use shapegrad::{Graph, Var};

const REFERENCE: &str = include_str!("../rotations_reference.txt");

/// One case of the reference file: its name, the op, and its matrices by kind.
struct Case {
    name: String,
    op: String,
    matrices: HashMap<String, (usize, usize, Vec<f64>)>,
}

impl Case {
    /// The matrix of `kind`, checked to be R×C.
    fn get<const R: usize, const C: usize>(&self, kind: &str) -> SMatrix<f64, R, C> {
        let (rows, cols, values) = &self.matrices[kind];
        assert_eq!((*rows, *cols), (R, C), "{}: {kind}", self.name);
        SMatrix::from_column_slice(values)
    }
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut current: Option<Case> = None;
    for line in REFERENCE.lines().filter(|l| !l.starts_with('#')) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["case", name, op] => {
                current = Some(Case {
                    name: name.to_string(),
                    op: op.to_string(),
                    matrices: HashMap::new(),
                })
            }
            ["end"] => cases.push(current.take().expect("`end` without `case`")),
            [kind, rows, cols, values @ ..] => {
                let (rows, cols): (usize, usize) = (rows.parse().unwrap(), cols.parse().unwrap());
                let values: Vec<f64> = values.iter().map(|v| v.parse().unwrap()).collect();
                assert_eq!(values.len(), rows * cols, "{line}");
                let case = current.as_mut().expect("a matrix outside a case");
                case.matrices.insert(kind.to_string(), (rows, cols, values));
            }
            _ => panic!("unreadable line: {line}"),
        }
    }
    cases
}

/// max |got − want| / max(1, |want|) over the entries, and whether any entry is NaN.
fn error<const R: usize, const C: usize>(
    got: &SMatrix<f64, R, C>,
    want: &SMatrix<f64, R, C>,
) -> f64 {
    got.iter()
        .zip(want.iter())
        .map(|(a, b)| {
            if a.is_nan() {
                f64::INFINITY
            } else {
                (a - b).abs() / b.abs().max(1.0)
            }
        })
        .fold(0.0, f64::max)
}

/// The errors of one case: value and Jacobian in f64, then in f32.
struct Errors {
    value: f64,
    jacobian: f64,
    value_f32: f64,
    jacobian_f32: f64,
}

/// Runs `op` (f64) and `op32` (f32) on the case's input and compares value and Jacobian.
fn check<
    const RI: usize,
    const CI: usize,
    const RO: usize,
    const CO: usize,
    const NO: usize,
    const NI: usize,
>(
    case: &Case,
    op: fn(Var<'_, f64, RI, CI>) -> Var<'_, f64, RO, CO>,
    op32: fn(Var<'_, f32, RI, CI>) -> Var<'_, f32, RO, CO>,
) -> Errors {
    let input = case.get::<RI, CI>("input");
    let value = case.get::<RO, CO>("value");
    let jac = case.get::<NO, NI>("jacobian");

    let g = Graph::<f64>::new();
    let x = g.var(input);
    let y = op(x);
    let got: SMatrix<f64, NO, NI> = matrix_jacobian(y, x).flatten();
    let (value_error, jacobian_error) = (error(&y.value(), &value), error(&got, &jac));

    let g = Graph::<f32>::new();
    let x = g.var(input.cast::<f32>());
    let y = op32(x);
    let got32: SMatrix<f32, NO, NI> = matrix_jacobian(y, x).flatten();
    let value32 = y.value().cast::<f64>();
    let got32 = got32.cast::<f64>();
    Errors {
        value: value_error,
        jacobian: jacobian_error,
        value_f32: error(&value32, &value),
        jacobian_f32: error(&got32, &jac),
    }
}

/// d log(R·exp([δ]ₓ))/dδ at δ = 0 from the graph, against the case's `tangent`.
fn tangent_error(case: &Case) -> f64 {
    let r = case.get::<3, 3>("input");
    let g = Graph::<f64>::new();
    let delta = g.var(Vector3::zeros());
    let w = (g.constant(r) * delta.so3_exp()).so3_log();
    error(&jacobian(w, delta), &case.get::<3, 3>("tangent"))
}

#[test]
fn rotation_ops_at_the_singular_points_match_the_50_digit_references() {
    let cases = cases();
    assert_eq!(cases.len(), 16, "the reference file's cases");
    let mut failures = Vec::new();
    for case in &cases {
        let errors = match case.op.as_str() {
            "quat_to_rotation" => {
                check::<4, 1, 3, 3, 9, 4>(case, |q| q.quat_to_rotation(), |q| q.quat_to_rotation())
            }
            "so3_exp" => check::<3, 1, 3, 3, 9, 3>(case, |w| w.so3_exp(), |w| w.so3_exp()),
            "so3_log" => check::<3, 3, 3, 1, 3, 9>(case, |r| r.so3_log(), |r| r.so3_log()),
            "rotation_to_quat" => {
                check::<3, 3, 4, 1, 4, 9>(case, |r| r.rotation_to_quat(), |r| r.rotation_to_quat())
            }
            other => panic!("unknown op {other}"),
        };
        let tangent = (case.op == "so3_log").then(|| tangent_error(case));
        println!(
            "{:<22} f64: value {:.1e}, Jacobian {:.1e}{}; f32: value {:.1e}, Jacobian {:.1e}",
            case.name,
            errors.value,
            errors.jacobian,
            tangent.map_or(String::new(), |t| format!(", along rotations {t:.1e}")),
            errors.value_f32,
            errors.jacobian_f32,
        );
        // The worst errors seen: f64 1.7e-16 (values), 3.3e-16 (Jacobians), 3.6e-16 (along
        // rotations); f32 1.5e-7 and 2.4e-7 (its rounding of the input and of the arithmetic).
        // The tolerances leave a margin of 4 to 6.
        let bad = errors.value > 1e-15
            || errors.jacobian > 2e-15
            || tangent.is_some_and(|t| t > 2e-15)
            || errors.value_f32 > 1e-6
            || errors.jacobian_f32 > 1e-6;
        if bad {
            failures.push(case.name.clone());
        }
    }
    assert!(failures.is_empty(), "outside the tolerances: {failures:?}");
}
