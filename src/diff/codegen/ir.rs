//! What the generator needs to know of a graph, read once through `Graph::inspect`: every
//! node it writes (kind, shape, inputs, op constructor, constant value), which nodes carry a
//! gradient, and the names the generated code gives to inputs and outputs.

use std::collections::BTreeSet;
use std::panic::Location;

use crate::contract::RustExpr;
use crate::diff::codegen::{Error, Port};
use crate::graph::Graph;
use crate::graph::inspect::NodeKind;
use crate::kernels::Real;

/// One node of the graph, shape-erased.
pub(super) struct Node {
    pub(super) kind: NodeKind,
    pub(super) rows: usize,
    pub(super) cols: usize,
    pub(super) inputs: Vec<usize>,
    /// An op's constructor (`None`: a leaf, or an op that cannot be generated).
    pub(super) expr: Option<RustExpr>,
    pub(super) location: Option<&'static Location<'static>>,
    /// A leaf's entries (column-major) as `f64`, `None` where an entry has no `f64` value.
    pub(super) value: Vec<Option<f64>>,
}

/// An input or an output of the generated functions.
pub(super) struct Named {
    pub(super) node: usize,
    /// The parameter (an input) or the seed's parameter without its `d_` (an output).
    pub(super) name: String,
}

/// The graph as the generator sees it.
pub(super) struct Ir {
    pub(super) nodes: Vec<Node>,
    /// Whether the outputs depend on a node (the outputs included): all of the nodes kept,
    /// but an input may not be.
    pub(super) needed: Vec<bool>,
    pub(super) inputs: Vec<Named>,
    pub(super) outputs: Vec<Named>,
    /// Per node: the input whose parameter it is.
    pub(super) input_of: Vec<Option<usize>>,
    /// Per node: it depends on a differentiable input (a var given as an input), or is one.
    pub(super) needs_grad: Vec<bool>,
}

impl Ir {
    /// Reads `graph` and checks the inputs and outputs.
    pub(super) fn read<T: Real>(
        graph: &Graph<T>,
        inputs: &[Port],
        outputs: &[Port],
    ) -> Result<Ir, Error> {
        let mut nodes = Vec::new();
        graph.inspect(|view| {
            let value = if matches!(view.kind, NodeKind::Op(_)) {
                Vec::new()
            } else {
                view.value.iter().map(|x| x.to_subset()).collect()
            };
            nodes.push(Node {
                kind: view.kind,
                rows: view.rows,
                cols: view.cols,
                inputs: view.inputs.iter().map(|&i| i as usize).collect(),
                expr: view.to_rust(),
                location: view.location,
                value,
            });
        });
        let mut input_of = vec![None; nodes.len()];
        for (position, port) in inputs.iter().enumerate() {
            let node = &nodes[port.node];
            if let NodeKind::Op(op) = node.kind {
                return Err(Error::InputNotALeaf {
                    position,
                    node: port.node,
                    op,
                    location: location_text(node.location),
                });
            }
            if let Some(first) = input_of[port.node] {
                return Err(Error::RepeatedInput {
                    first,
                    second: position,
                    node: port.node,
                });
            }
            input_of[port.node] = Some(position);
        }
        let mut needed = vec![false; nodes.len()];
        let mut stack: Vec<usize> = outputs.iter().map(|port| port.node).collect();
        while let Some(id) = stack.pop() {
            if !needed[id] {
                needed[id] = true;
                if input_of[id].is_none() {
                    stack.extend(&nodes[id].inputs);
                }
            }
        }
        for (id, node) in nodes.iter().enumerate() {
            if !needed[id] || input_of[id].is_some() {
                continue;
            }
            if let NodeKind::Op(op) = node.kind
                && node.expr.is_none()
            {
                return Err(Error::Unsupported {
                    node: id,
                    op,
                    location: location_text(node.location),
                });
            }
            if let Some(entry) = node.value.iter().position(Option::is_none) {
                return Err(Error::Constant {
                    node: id,
                    row: entry % node.rows.max(1),
                    col: entry / node.rows.max(1),
                });
            }
        }
        // Only the nodes the outputs depend on are written, numbered in order: unrelated
        // nodes of the graph change neither the text nor the hash.
        // Inputs are kept even when no output depends on them: they are still parameters.
        let mut new_id = vec![usize::MAX; nodes.len()];
        let mut kept = Vec::new();
        let mut kept_needed = Vec::new();
        for (id, node) in nodes.into_iter().enumerate() {
            if needed[id] || input_of[id].is_some() {
                new_id[id] = kept.len();
                kept_needed.push(needed[id]);
                kept.push(Node {
                    inputs: node.inputs.iter().map(|&i| new_id[i]).collect(),
                    ..node
                });
            }
        }
        let port = |port: &Port| Port {
            node: new_id[port.node],
            name: port.name.clone(),
        };
        let inputs: Vec<Port> = inputs.iter().map(port).collect();
        let outputs: Vec<Port> = outputs.iter().map(port).collect();
        let mut input_of = vec![None; kept.len()];
        for (position, port) in inputs.iter().enumerate() {
            input_of[port.node] = Some(position);
        }
        let mut needs_grad = vec![false; kept.len()];
        for (id, node) in kept.iter().enumerate() {
            needs_grad[id] = match input_of[id] {
                Some(_) => node.kind == NodeKind::Var,
                None => node.inputs.iter().any(|&i| needs_grad[i]),
            };
        }
        let inputs = names(&inputs, "input", &[]);
        let taken: Vec<String> = inputs.iter().map(|i| i.name.clone()).collect();
        Ok(Ir {
            outputs: names(&outputs, "out", &taken),
            inputs,
            needed: kept_needed,
            nodes: kept,
            input_of,
            needs_grad,
        })
    }

    /// Whether input `position` gets a gradient (it is a var).
    pub(super) fn differentiable(&self, position: usize) -> bool {
        self.needs_grad[self.inputs[position].node]
    }
}

/// `src/main.rs:12:9`, or `an unknown place`.
pub(super) fn location_text(location: Option<&'static Location<'static>>) -> String {
    location.map_or_else(|| "an unknown place".into(), ToString::to_string)
}

/// Names for ports: each one's own in lower case (if that is a valid, free identifier), else `<fallback><position>`
/// (`<fallback>` alone for a single unnamed port).
fn names(ports: &[Port], fallback: &str, taken: &[String]) -> Vec<Named> {
    let mut used: BTreeSet<String> = taken.iter().cloned().collect();
    let mut out = Vec::new();
    for (position, port) in ports.iter().enumerate() {
        let own = port.name.as_deref().map(str::to_lowercase);
        let name = match own.filter(|name| usable(name)) {
            Some(name) if !used.contains(&name) => name,
            _ if ports.len() == 1 && !used.contains(fallback) => fallback.to_string(),
            _ => {
                let mut k = position;
                while used.contains(&format!("{fallback}{k}")) {
                    k += ports.len();
                }
                format!("{fallback}{k}")
            }
        };
        used.insert(name.clone());
        out.push(Named {
            node: port.node,
            name,
        });
    }
    out
}

/// Whether `name` can name a parameter without clashing with the generated code's own names
/// (`v3`, `c3`, `d3`, `op3`, `d_inputs`, …) or with a keyword.
fn usable(name: &str) -> bool {
    const RESERVED: [&str; 17] = [
        "d_inputs",
        "grads",
        "slot",
        "seed",
        "row",
        "jacobian",
        "value",
        "gradient",
        "scalar",
        "matrix",
        "self",
        "super",
        "crate",
        "_",
        "shapegrad",
        "nalgebra",
        "std",
    ];
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let rest_ok = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    let generated = ["v", "c", "d", "op"].iter().any(|prefix| {
        name.strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()))
    });
    first_ok
        && rest_ok
        && !generated
        && !name.starts_with("d_")
        && !RESERVED.contains(&name)
        && !is_keyword(name)
}

fn is_keyword(name: &str) -> bool {
    const KEYWORDS: [&str; 51] = [
        "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn",
        "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
        "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
        "where", "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final",
        "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
    ];
    KEYWORDS.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::usable;

    #[test]
    fn names_that_clash_with_generated_ones_are_not_used() {
        for name in ["q", "joint_angles", "x0", "u_7", "_hidden"] {
            assert!(usable(name), "{name}");
        }
        for name in [
            "v3", "c12", "d0", "op4", "d_q", "W", "fn", "type", "a-b", "", "seed",
        ] {
            assert!(!usable(name), "{name}");
        }
    }
}
