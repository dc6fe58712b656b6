//! Anomaly detection: with it on ([`Graph::detect_anomalies`](crate::Graph::detect_anomalies)),
//! the first op whose output, or whose contribution to an input's gradient, is not finite
//! stops the walk, and the call that ran it panics with the op, the node, the vars involved,
//! the offending entries (in short form: `1e300`, `1.5e-7`) and the line of the user's code
//! that recorded the op.

use std::any::Any;
use std::fmt::Write;

use super::Tape;
use super::node::Kind;
use crate::kernels::Real;

/// At most this many entries of a matrix are quoted in a report.
const QUOTED: usize = 4;

/// What went wrong, formatted once found.
#[derive(Debug)]
pub(crate) struct Anomaly(pub(crate) String);

fn is_finite<T: Real>(x: T) -> bool {
    x.is_finite()
}

/// `x` as a report quotes it: an `f64` or `f32` between 1e-4 and 1e6 (or 0, ±∞, NaN) as
/// `Display` writes it (`0.25`, `-3`, `inf`), others in exponent form (`1e300`, `1.5e-7`),
/// both with the fewest digits that give `x` back; other scalars as their `Display` does.
pub(crate) fn short<T: Real>(x: T) -> String {
    fn float<F: std::fmt::Display + std::fmt::LowerExp>(x: F, magnitude: f64) -> String {
        if magnitude == 0.0 || !magnitude.is_finite() || (1e-4..1e6).contains(&magnitude) {
            format!("{x}")
        } else {
            format!("{x:e}")
        }
    }
    let any: &dyn Any = &x;
    if let Some(&x) = any.downcast_ref::<f64>() {
        float(x, x.abs())
    } else if let Some(&x) = any.downcast_ref::<f32>() {
        float(x, f64::from(x.abs()))
    } else {
        format!("{x}")
    }
}

/// `(1, 0) = -inf, (2, 1) = NaN` for the first non-finite entries of a column-major matrix.
fn non_finite_entries<T: Real>(entries: &[T], rows: usize) -> String {
    let mut out = String::new();
    let bad = entries.iter().enumerate().filter(|(_, x)| !is_finite(**x));
    for (k, (i, x)) in bad.enumerate() {
        if k == QUOTED {
            out.push_str(", …");
            break;
        }
        if k > 0 {
            out.push_str(", ");
        }
        let (r, c) = (i % rows.max(1), i / rows.max(1));
        write!(out, "({r}, {c}) = {}", short(*x)).unwrap();
    }
    out
}

/// The entries of a small matrix, or its count of non-finite entries if it is large.
fn summary<T: Real>(entries: &[T], rows: usize) -> String {
    let bad = entries.iter().filter(|x| !is_finite(**x)).count();
    if bad > 0 {
        return format!("not finite at {}", non_finite_entries(entries, rows));
    }
    if entries.len() <= QUOTED {
        let quoted: Vec<String> = entries.iter().map(|&x| short(x)).collect();
        return format!("finite, [{}]", quoted.join(", "));
    }
    "finite".to_string()
}

impl<T: Real> Tape<T> {
    /// `` `W` (node 3, 5×10)`` or `node 3 (var, 5×10)`.
    pub(crate) fn label(&self, id: usize) -> String {
        let node = &self.nodes[id];
        let (rows, cols) = (node.rows, node.cols);
        match (&node.name, node.kind) {
            (Some(name), _) => format!("`{name}` (node {id}, {rows}×{cols})"),
            (None, Kind::Var) => format!("node {id} (var, {rows}×{cols})"),
            (None, Kind::Constant) => format!("node {id} (constant, {rows}×{cols})"),
            (None, Kind::Op(_)) => {
                let op = self.op_name(id).unwrap_or_default();
                format!("node {id} (`{op}`, {rows}×{cols})")
            }
        }
    }

    /// ` Node 3 was recorded at src/main.rs:12:9.`, or nothing if the node has no location.
    fn recorded_at(&self, id: usize) -> String {
        match self.nodes[id].recorded_at {
            Some(at) => format!(" Node {id} was recorded at {at}."),
            None => String::new(),
        }
    }

    /// Why op node `id`'s freshly computed value is an anomaly, if it is not finite.
    pub(crate) fn check_forward(&self, id: usize) -> Option<Anomaly> {
        let value = self.value(id);
        if value.iter().all(|&x| is_finite(x)) {
            return None;
        }
        let node = &self.nodes[id];
        let mut message = format!(
            "shapegrad anomaly: the value of {} is not finite at {}",
            self.label(id),
            non_finite_entries(value, node.rows)
        );
        message.push_str(". Its inputs:");
        for (k, &input) in node.inputs().iter().enumerate() {
            if node.inputs()[..k].contains(&input) {
                continue; // an input used twice (`x ∘ x`) is quoted once
            }
            let input = input as usize;
            let rows = self.nodes[input].rows;
            write!(
                message,
                " {} is {};",
                self.label(input),
                summary(self.value(input), rows)
            )
            .unwrap();
        }
        message.pop();
        message.push('.');
        message.push_str(&self.recorded_at(id));
        Some(Anomaly(message))
    }

    /// Why op node `id`'s backward is an anomaly, if it gave one of its inputs a gradient that
    /// is not finite (`d_out` being the gradient the pass sent it). `grad(k)` is input `k`'s
    /// gradient after the contribution, if the input has one.
    pub(crate) fn check_backward<'a>(
        &self,
        id: usize,
        root: usize,
        d_out: &[T],
        grad: impl Fn(usize) -> Option<&'a [T]>,
    ) -> Option<Anomaly>
    where
        T: 'a,
    {
        let node = &self.nodes[id];
        for (k, &input) in node.inputs().iter().enumerate() {
            let Some(g) = grad(k) else { continue };
            if g.iter().all(|&x| is_finite(x)) {
                continue;
            }
            let input = input as usize;
            let message = format!(
                "shapegrad anomaly: in the backward pass from {}, {} gave its input {} a \
                 gradient that is not finite at {}; its own gradient (dOut) is {}.{}",
                self.label(root),
                self.label(id),
                self.label(input),
                non_finite_entries(g, self.nodes[input].rows),
                summary(d_out, node.rows),
                self.recorded_at(id)
            );
            return Some(Anomaly(message));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::short;

    #[test]
    fn values_are_short_in_both_directions() {
        let cases = [
            (1e300, "1e300"),
            (-1.5e-7, "-1.5e-7"),
            (0.25, "0.25"),
            (-3.0, "-3"),
            (123456.5, "123456.5"),
            (1e6, "1e6"),
            (1e-4, "0.0001"),
            (0.0, "0"),
            (f64::INFINITY, "inf"),
            (f64::NAN, "NaN"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
        ];
        for (x, want) in cases {
            assert_eq!(short(x), want);
        }
        assert_eq!(short(3e38_f32), "3e38");
        assert_eq!(short(0.1_f32), "0.1");
    }
}
