//! Graph drawings: a [`Graph`] as Graphviz DOT text, a circuit diagram with each node's
//! value, gradient and shape ([`Graph::to_dot`], [`Graph::to_dot_with`], [`to_dot_many`]).
//!
//! The text needs no Graphviz to produce; render it with `dot -Tsvg circuit.dot -o circuit.svg`.

use std::fmt::Write;

use crate::graph::Graph;
use crate::graph::inspect::{NodeKind, NodeView};
use crate::kernels::Real;

/// Options for [`Graph::to_dot_with`]: a title, and how large a matrix may be to be printed in
/// full.
///
/// ```
/// use shapegrad::viz::DotOptions;
///
/// let g = shapegrad::Graph::<f64>::new();
/// let _w = g.var_named("w", nalgebra::Vector2::new(3.0, 4.0));
/// let dot = g.to_dot_with(&DotOptions::new().title("one leaf").max_entries(4));
/// assert!(dot.contains("one leaf") && dot.contains("value = [3; 4]"));
/// ```
#[derive(Clone, Debug)]
#[must_use = "options do nothing until passed to `Graph::to_dot_with`"]
pub struct DotOptions {
    title: Option<String>,
    max_entries: usize,
}

impl Default for DotOptions {
    fn default() -> Self {
        DotOptions {
            title: None,
            max_entries: 1,
        }
    }
}

impl DotOptions {
    /// No title; only 1×1 values and gradients are printed in full.
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let _x = g.var(nalgebra::Matrix1::new(1.0));
    /// assert_eq!(g.to_dot_with(&shapegrad::viz::DotOptions::new()), g.to_dot());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// A title drawn above the graph.
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let dot = g.to_dot_with(&shapegrad::viz::DotOptions::new().title("my net"));
    /// assert!(dot.contains("my net"));
    /// ```
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Values and gradients with at most `n` entries are printed in full (as `[1, 2; 3, 4]`,
    /// row by row); larger ones as their Frobenius norm. The default is 1.
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let _v = g.var(nalgebra::Vector2::new(3.0, 4.0));
    /// assert!(g.to_dot().contains("‖value‖ = 5"));
    /// assert!(g.to_dot_with(&shapegrad::viz::DotOptions::new().max_entries(2)).contains("[3; 4]"));
    /// ```
    pub fn max_entries(mut self, n: usize) -> Self {
        self.max_entries = n;
        self
    }
}

impl<T: Real> Graph<T> {
    /// The graph as Graphviz DOT text, a circuit diagram: render it with
    /// `dot -Tsvg graph.dot -o graph.svg`.
    ///
    /// Every node is drawn with its name (leaves created with [`Graph::var_named`] or
    /// [`Graph::constant_named`]) or its op's [`Op::name`](crate::Op::name), its shape R×C, its
    /// current value (green) and, once a backward pass has run, its gradient (red). An edge
    /// goes from each input to the op that reads it (labelled `a`, `b`, … when the op has
    /// several inputs), so a fork is a node with several out-edges. Variables are ellipses,
    /// constants dashed ellipses, ops rounded boxes; the node the last backward pass started
    /// from has a double border.
    ///
    /// Values are current: values that depend on a leaf given a new value are recomputed
    /// first. Gradients are those of the **last** backward pass (∂output/∂node for the output
    /// it started from), even if leaf values changed since; nodes without a gradient in it
    /// (constants, nodes computed from constants only, nodes created after it) show none.
    /// 1×1 matrices are printed in full, larger ones as their Frobenius norm (see
    /// [`Graph::to_dot_with`] to change that). No Graphviz is needed to produce the text.
    ///
    /// ```
    /// use nalgebra::Matrix1;
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var_named("x", Matrix1::new(-2.0));
    /// let y = g.var_named("y", Matrix1::new(5.0));
    /// let z = g.var_named("z", Matrix1::new(-4.0));
    /// let f = (x + y).component_mul(z);
    /// drop(f.backward());
    /// let dot = g.to_dot();
    /// assert!(dot.starts_with("digraph"));
    /// assert!(dot.contains("value = -12")); // f
    /// assert!(dot.contains("grad = 3")); // ∂f/∂z = x + y
    /// // std::fs::write("circuit.dot", dot)?; then: dot -Tsvg circuit.dot -o circuit.svg
    /// ```
    pub fn to_dot(&self) -> String {
        self.to_dot_with(&DotOptions::default())
    }

    /// [`Graph::to_dot`] with options: a title, and the size up to which matrices are printed
    /// in full.
    ///
    /// ```
    /// use nalgebra::Matrix2;
    /// use shapegrad::viz::DotOptions;
    ///
    /// let g = shapegrad::Graph::<f64>::new();
    /// let w = g.var_named("W", Matrix2::new(1.0, 2.0, 3.0, 4.0));
    /// let dot = g.to_dot_with(&DotOptions::new().title("a 2×2 leaf").max_entries(4));
    /// assert!(dot.contains("[1, 2; 3, 4]"));
    /// # let _ = w;
    /// ```
    pub fn to_dot_with(&self, options: &DotOptions) -> String {
        let mut out = header();
        let (label, body) = self.dot_parts(options, "", "  ");
        writeln!(out, "  label=<{label}>;").unwrap();
        out.push_str(&body);
        out.push_str("}\n");
        out
    }

    /// The graph's label (title and legend) and its node and edge statements, with node ids
    /// `{prefix}n{id}` and every line starting with `indent`.
    fn dot_parts(&self, options: &DotOptions, prefix: &str, indent: &str) -> (String, String) {
        let mut nodes = String::new();
        let mut edges = String::new();
        let root = self.inspect(|node| {
            node_statement(&mut nodes, &node, options, prefix, indent);
            for (k, input) in node.inputs.iter().enumerate() {
                write!(edges, "{indent}{prefix}n{input} -> {prefix}n{}", node.id).unwrap();
                if node.inputs.len() > 1 {
                    write!(edges, " [label=\"{}\"]", input_letter(k)).unwrap();
                }
                edges.push_str(";\n");
            }
        });
        let legend = match root {
            Some(_) => {
                "values in green; gradients of the double-bordered output (last backward \
                        pass) in red"
            }
            None => "values in green; no backward pass yet",
        };
        let label = match &options.title {
            Some(title) => format!(
                "<b>{}</b><br/><font point-size=\"10\">{legend}</font>",
                escape(title)
            ),
            None => format!("<font point-size=\"10\">{legend}</font>"),
        };
        nodes.push_str(&edges);
        (label, nodes)
    }
}

/// The statement that draws one node: its heading, shape, value and gradient.
fn node_statement<T: Real>(
    out: &mut String,
    node: &NodeView<'_, T>,
    options: &DotOptions,
    prefix: &str,
    indent: &str,
) {
    let (kind, attrs) = match node.kind {
        NodeKind::Var => ("var", LEAF),
        NodeKind::Constant => ("const", CONSTANT),
        NodeKind::Op(_) => ("", "shape=box, style=rounded"),
    };
    let heading = match (node.name, node.kind) {
        (Some(name), _) => name,
        (None, NodeKind::Op(op)) => op,
        (None, _) => kind,
    };
    let (rows, cols) = (node.rows, node.cols);
    let sub = match (node.name, node.kind) {
        (Some(_), NodeKind::Var | NodeKind::Constant) => format!("{kind} {rows}×{cols}"),
        _ => format!("{rows}×{cols}"),
    };
    let mut text = format!(
        "<b>{}</b><br/><font point-size=\"10\">{sub}</font><br/>\
         <font color=\"#1a7f37\">{}</font>",
        escape(heading),
        matrix_text("value", node.value, rows, options.max_entries),
    );
    if let Some(grad) = node.gradient {
        let grad = matrix_text("grad", grad, rows, options.max_entries);
        write!(text, "<br/><font color=\"#cf222e\">{grad}</font>").unwrap();
    }
    let border = if node.is_root { ", peripheries=2" } else { "" };
    writeln!(
        out,
        "{indent}{prefix}n{} [{attrs}{border}, label=<{text}>];",
        node.id
    )
    .unwrap();
}

/// Several graphs in one drawing, each in its own box titled with its options' title: for
/// small circuits side by side (Graphviz draws one graph per file).
///
/// Each graph is drawn as by [`Graph::to_dot_with`] with its own options.
///
/// ```
/// use nalgebra::Matrix1;
/// use shapegrad::{Graph, viz::{DotOptions, to_dot_many}};
///
/// let (g1, g2) = (Graph::<f64>::new(), Graph::<f64>::new());
/// let a = g1.var_named("a", Matrix1::new(2.0));
/// let b = g2.var_named("b", Matrix1::new(3.0));
/// drop(a.component_mul(a).backward());
/// let dot = to_dot_many(&[
///     (&g1, &DotOptions::new().title("a²")),
///     (&g2, &DotOptions::new().title("just b")),
/// ]);
/// assert!(dot.contains("subgraph cluster_1") && dot.contains("value = 4"));
/// # let _ = b;
/// ```
pub fn to_dot_many<T: Real>(graphs: &[(&Graph<T>, &DotOptions)]) -> String {
    let mut out = header();
    for (k, (graph, options)) in graphs.iter().enumerate() {
        let (label, body) = graph.dot_parts(options, &format!("g{k}"), "    ");
        writeln!(out, "  subgraph cluster_{k} {{\n    label=<{label}>;").unwrap();
        out.push_str(&body);
        out.push_str("  }\n");
    }
    out.push_str("}\n");
    out
}

/// Node attributes of variables and constants (ops are rounded boxes).
const LEAF: &str = "shape=ellipse, margin=\"0.04,0.02\"";
const CONSTANT: &str = "shape=ellipse, margin=\"0.04,0.02\", style=dashed";

/// The opening line and the attributes every drawing shares.
fn header() -> String {
    let mut out = String::from("digraph shapegrad {\n");
    out.push_str("  rankdir=LR;\n  labelloc=t;\n  fontname=\"Helvetica\";\n");
    out.push_str("  node [fontname=\"Helvetica\", fontsize=12];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=9, fontcolor=\"#777777\"];\n");
    out
}

/// `a`, `b`, …, `z`, then `in26`, … for the k-th input of an op.
fn input_letter(k: usize) -> String {
    match u8::try_from(k) {
        Ok(k) if k < 26 => char::from(b'a' + k).to_string(),
        _ => format!("in{k}"),
    }
}

/// `value = -2`, `value = [1, 2; 3, 4]` (row by row) or `‖value‖ = 5.477` for a column-major
/// R×C matrix.
fn matrix_text<T: Real>(what: &str, entries: &[T], rows: usize, max_entries: usize) -> String {
    let f = |x: &T| nalgebra::try_convert::<T, f64>(*x).unwrap_or(f64::NAN);
    if entries.len() == 1 && max_entries >= 1 {
        return format!("{what} = {}", number(f(&entries[0])));
    }
    if entries.len() <= max_entries {
        let cols = entries.len() / rows.max(1);
        let row_text = |r: usize| {
            let row: Vec<String> = (0..cols)
                .map(|c| number(f(&entries[r + c * rows])))
                .collect();
            row.join(", ")
        };
        let all: Vec<String> = (0..rows).map(row_text).collect();
        return format!("{what} = [{}]", all.join("; "));
    }
    let norm = entries.iter().map(|x| f(x) * f(x)).sum::<f64>().sqrt();
    format!("‖{what}‖ = {}", number(norm))
}

/// A number with at most 4 significant digits, without trailing zeros: `-12`, `0.7311`,
/// `12350`, `1.5e-7`, `NaN`, `inf`.
fn number(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    if x == 0.0 {
        return "0".to_string();
    }
    let exponent = x.abs().log10().floor() as i32;
    if !(-4..6).contains(&exponent) {
        let text = format!("{x:.3e}");
        let (mantissa, power) = text.split_once('e').unwrap_or((&text, "0"));
        return format!("{}e{power}", trim_zeros(mantissa));
    }
    let decimals = usize::try_from(3 - exponent).unwrap_or(0);
    if decimals == 0 {
        // 4 significant digits of a number ≥ 1000: round through scientific notation.
        let rounded: f64 = format!("{x:.3e}").parse().unwrap_or(x);
        return format!("{rounded}");
    }
    trim_zeros(&format!("{x:.decimals$}")).to_string()
}

/// `"3.500"` → `"3.5"`, `"-2.000"` → `"-2"`, `"-0.0000"` → `"0"`.
fn trim_zeros(text: &str) -> &str {
    if !text.contains('.') {
        return text;
    }
    let trimmed = text.trim_end_matches('0').trim_end_matches('.');
    if trimmed == "-0" { "0" } else { trimmed }
}

/// Text for a Graphviz HTML-like label: markup characters become entities, a newline becomes a
/// line break and other control characters are shown as escapes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("<br/>"),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{escape, input_letter, matrix_text, number};

    #[test]
    fn numbers_are_short() {
        let sigmoid_of_one = 1.0 / (1.0 + (-1.0_f64).exp()); // 0.731058…
        let cases = [
            (-12.0, "-12"),
            (3.0, "3"),
            (3.0 + 1e-12, "3"),
            (sigmoid_of_one, "0.7311"),
            (-0.19661193324148185, "-0.1966"),
            (30.0_f64.sqrt(), "5.477"),
            (1234.5678, "1235"),
            (98765.4, "98770"),
            (0.000123456, "0.0001235"),
            (1.5e-7, "1.5e-7"),
            (-2.5e9, "-2.5e9"),
            (0.0, "0"),
            (-0.0, "0"),
            (-1e-20, "-1e-20"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (x, text) in cases {
            assert_eq!(number(x), text, "formatting {x:e}");
        }
    }

    #[test]
    fn matrices_print_in_full_row_by_row_or_as_a_norm() {
        // Column-major entries of [1 2 3; 4 5 6].
        let m = [1.0, 4.0, 2.0, 5.0, 3.0, 6.0];
        assert_eq!(matrix_text("value", &m, 2, 6), "value = [1, 2, 3; 4, 5, 6]");
        assert_eq!(matrix_text("grad", &m, 2, 5), "‖grad‖ = 9.539"); // √91
        assert_eq!(matrix_text("value", &[-2.0_f32], 1, 1), "value = -2");
        assert_eq!(matrix_text("value", &[-2.0], 1, 0), "‖value‖ = 2");
    }

    #[test]
    fn labels_escape_markup_quotes_and_control_characters() {
        assert_eq!(
            escape("say \"hi\" <b>&</b>"),
            "say &quot;hi&quot; &lt;b&gt;&amp;&lt;/b&gt;"
        );
        assert_eq!(escape("two\nlines"), "two<br/>lines");
        assert_eq!(escape("tab\there"), "tab\\there");
        assert_eq!(escape("back\\slash ∂f/∂x"), "back\\slash ∂f/∂x");
    }

    #[test]
    fn inputs_are_lettered() {
        assert_eq!(input_letter(0), "a");
        assert_eq!(input_letter(25), "z");
        assert_eq!(input_letter(26), "in26");
    }
}
