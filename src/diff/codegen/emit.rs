//! Writing the module: a straight line of typed calls to the ops' own `forward_into` and
//! `backward_into` on stack locals, laid out as rustfmt would.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::contract::RustExpr;
use crate::diff::codegen::ir::{Ir, Node};
use crate::diff::codegen::layout::{Doc, array_statement, let_statement, statement, type_alias};
use crate::diff::codegen::literal::f64_expression;
use crate::diff::codegen::{FORMAT, VERSION};
use crate::graph::inspect::NodeKind;

/// The generated module's text.
pub(super) fn module(ir: &Ir, name: &str, hash: u64) -> String {
    Emitter::new(ir).module(name, hash)
}

/// What the module's functions share: the op constructors, the type aliases of the ops'
/// inputs, the constants.
struct Emitter<'a> {
    ir: &'a Ir,
    /// Per node: the op's constructor.
    ops: Vec<Option<Doc>>,
    /// Alias name → the tuple type of an op's inputs.
    aliases: BTreeMap<String, Doc>,
    /// The module's constants (arrays), rendered.
    constants: String,
    uses_scalar: bool,
    uses_matrix: bool,
}

/// `SMatrix<T, R, C>`.
fn matrix_type(node: &Node) -> String {
    format!("SMatrix<T, {}, {}>", node.rows, node.cols)
}

/// `In3x3And3x1`: the alias of a list of input shapes.
fn alias_name(shapes: &[(usize, usize)]) -> String {
    let parts: Vec<String> = shapes.iter().map(|(r, c)| format!("{r}x{c}")).collect();
    format!("In{}", parts.join("And"))
}

impl<'a> Emitter<'a> {
    fn new(ir: &'a Ir) -> Self {
        let mut emitter = Emitter {
            ir,
            ops: Vec::new(),
            aliases: BTreeMap::new(),
            constants: String::new(),
            uses_scalar: false,
            uses_matrix: false,
        };
        for id in 0..ir.nodes.len() {
            let op = emitter.prepare(id);
            emitter.ops.push(op);
        }
        emitter
    }

    /// Prepares node `id`: its constructor and alias for an op, its array for a constant.
    fn prepare(&mut self, id: usize) -> Option<Doc> {
        let ir = self.ir;
        let node = &ir.nodes[id];
        if !ir.needed[id] || ir.input_of[id].is_some() {
            return None;
        }
        if !matches!(node.kind, NodeKind::Op(_)) {
            if !self.is_zero(node) {
                self.uses_matrix = true;
                let items: Vec<String> = node
                    .value
                    .iter()
                    .map(|x| f64_expression(x.expect("checked when read")))
                    .collect();
                let prefix = format!(
                    "{} C{id}: [f64; {}] = ",
                    item_kind(items.len()),
                    items.len()
                );
                self.constants
                    .push_str(&array_statement(&prefix, &items, 4));
            }
            return None;
        }
        let shapes: Vec<(usize, usize)> = node
            .inputs
            .iter()
            .map(|&i| (ir.nodes[i].rows, ir.nodes[i].cols))
            .collect();
        let types = shapes
            .iter()
            .map(|(r, c)| Doc::atom(format!("SMatrix<T, {r}, {c}>")))
            .collect();
        self.aliases
            .insert(format!("{}<T>", alias_name(&shapes)), Doc::tuple(types));
        let expr = node.expr.as_ref().expect("checked when read");
        let mut arrays = 0;
        Some(self.constructor(expr, id, &mut arrays))
    }

    fn is_zero(&self, node: &Node) -> bool {
        node.value
            .iter()
            .all(|x| x.is_some_and(|x| x.to_bits() == 0))
    }

    /// An op's constructor as a layout; arrays become constants `INDICES<id>…`.
    fn constructor(&mut self, expr: &RustExpr, id: usize, arrays: &mut usize) -> Doc {
        match expr {
            RustExpr::Path(path) => Doc::atom(path.clone()),
            RustExpr::Call(callee, arguments) => {
                let arguments = arguments
                    .iter()
                    .map(|argument| self.constructor(argument, id, arrays))
                    .collect();
                Doc::call(callee.clone(), arguments)
            }
            RustExpr::Scalar(x) => {
                self.uses_scalar = true;
                let literal = f64_expression(*x);
                let argument = if literal.starts_with("f64::from_bits") {
                    Doc::code(literal)
                } else {
                    Doc::atom(literal)
                };
                Doc::call("scalar", vec![argument])
            }
            RustExpr::Int(i) => Doc::atom(i.to_string()),
            RustExpr::Usizes(values) => {
                let name = match *arrays {
                    0 => format!("INDICES{id}"),
                    k => format!("INDICES{id}_{k}"),
                };
                *arrays += 1;
                let items: Vec<String> = values.iter().map(ToString::to_string).collect();
                let kind = item_kind(values.len());
                let prefix = format!("{kind} {name}: [usize; {}] = ", values.len());
                self.constants
                    .push_str(&array_statement(&prefix, &items, 4));
                Doc::atom(name)
            }
        }
    }

    fn uses_grad_slot(&self) -> bool {
        let ir = self.ir;
        (0..ir.nodes.len()).any(|id| {
            ir.needed[id]
                && ir.input_of[id].is_none()
                && ir.needs_grad[id]
                && ir.outputs.iter().any(|o| ir.needs_grad[o.node])
        })
    }

    fn module(&self, name: &str, hash: u64) -> String {
        let ir = self.ir;
        let mut out = String::new();
        let written = ir.needed.iter().filter(|&&n| n).count();
        let _ = writeln!(
            out,
            "// @generated by shapegrad {VERSION} (code generator format {FORMAT}) from a graph \
             of {} nodes, {written} written.",
            ir.nodes.len()
        );
        let _ = writeln!(
            out,
            "// Graph hash {hash:#018x}. Do not edit: regenerate it from the graph \
             (`shapegrad::codegen`)."
        );
        out.push('\n');
        let _ = writeln!(out, "/// {}", self.summary(name));
        out.push_str(
            "///\n/// Generated by `shapegrad::codegen` from a graph: every function is generic \
             over the\n/// scalar `T` (`f32`, `f64`, dual numbers), calls the ops' own `forward_into` \
             and\n/// `backward_into` on stack values and makes no heap allocation.\n",
        );
        out.push_str("#[allow(dead_code)] // a program may call only some of the functions\n");
        let _ = writeln!(out, "pub mod {name} {{");
        out.push_str(&self.imports());
        out.push('\n');
        out.push_str(
            "    /// The generator that wrote this module: shapegrad's version and the format.\n",
        );
        let _ = writeln!(
            out,
            "    pub const GENERATOR: &str = \"shapegrad {VERSION} codegen {FORMAT}\";"
        );
        out.push_str(
            "    /// The hash of the graph this module was written from \
             (`shapegrad::codegen::Module::hash`).\n",
        );
        let _ = writeln!(out, "    pub const GRAPH_HASH: u64 = {hash:#018x};");
        out.push_str(&self.result_aliases());
        if !self.aliases.is_empty() {
            out.push_str("\n    // The ops' inputs, as their `Op` impls name them.\n");
            for (alias, ty) in &self.aliases {
                out.push_str(&type_alias(&format!("type {alias}"), ty, 4));
            }
        }
        if !self.constants.is_empty() {
            out.push_str(
                "\n    // The graph's constants (matrices column-major) and the ops' data.\n",
            );
            out.push_str(&self.constants);
        }
        out.push('\n');
        out.push_str(&self.value());
        if ir
            .inputs
            .iter()
            .enumerate()
            .any(|(k, _)| ir.differentiable(k))
        {
            out.push('\n');
            out.push_str(&self.vjp());
            if let [output] = &ir.outputs[..]
                && (ir.nodes[output.node].rows, ir.nodes[output.node].cols) == (1, 1)
            {
                out.push('\n');
                out.push_str(&self.gradient());
            }
            if let ([input], [output]) = (&ir.inputs[..], &ir.outputs[..])
                && ir.nodes[input.node].cols == 1
                && ir.nodes[output.node].cols == 1
            {
                out.push('\n');
                out.push_str(&self.jacobian());
            }
        }
        out.push_str("}\n");
        out
    }

    /// `arm: q (3×1) → p (2×1).`
    fn summary(&self, name: &str) -> String {
        let ir = self.ir;
        let list = |ports: &[crate::diff::codegen::ir::Named]| {
            let items: Vec<String> = ports
                .iter()
                .map(|p| {
                    let node = &ir.nodes[p.node];
                    format!("`{}` ({}×{})", p.name, node.rows, node.cols)
                })
                .collect();
            items.join(", ")
        };
        let side = |ports: &[crate::diff::codegen::ir::Named], what: &str| {
            if ports.len() <= 4 {
                list(ports)
            } else {
                let (first, last) = (&ports[0].name, &ports[ports.len() - 1].name);
                format!("{} {what} (`{first}` … `{last}`)", ports.len())
            }
        };
        format!(
            "`{name}`: {} → {}.",
            side(&ir.inputs, "inputs"),
            side(&ir.outputs, "outputs")
        )
    }

    fn imports(&self) -> String {
        let mut out = String::new();
        let mut codegen = Vec::new();
        if self.uses_matrix {
            codegen.push("matrix");
        }
        if self.uses_scalar {
            codegen.push("scalar");
        }
        match codegen[..] {
            [] => {}
            [one] => {
                let _ = writeln!(out, "    use shapegrad::codegen::{one};");
            }
            _ => {
                let _ = writeln!(
                    out,
                    "    use shapegrad::codegen::{{{}}};",
                    codegen.join(", ")
                );
            }
        }
        out.push_str("    use shapegrad::nalgebra::SMatrix;\n");
        let has_ops = self.ops.iter().any(Option::is_some);
        let mut root = Vec::new();
        if self.uses_grad_slot() {
            root.push("GradSlot");
        }
        if has_ops {
            root.push("Op");
        }
        root.push("Real");
        if let [one] = root[..] {
            let _ = writeln!(out, "    use shapegrad::{one};");
        } else {
            let _ = writeln!(out, "    use shapegrad::{{{}}};", root.join(", "));
        }
        out
    }

    /// The parameters: `q: &SMatrix<T, 3, 1>` (`_q` if no output depends on it).
    fn input_params(&self) -> Vec<String> {
        let ir = self.ir;
        ir.inputs
            .iter()
            .map(|input| {
                let unused = if ir.needed[input.node] { "" } else { "_" };
                let ty = matrix_type(&ir.nodes[input.node]);
                format!("{unused}{}: &{ty}", input.name)
            })
            .collect()
    }

    /// The outputs' types: one matrix, or a tuple of several.
    fn output_tuple(&self) -> Doc {
        let ir = self.ir;
        Doc::tuple_or_one(
            ir.outputs
                .iter()
                .map(|o| Doc::atom(matrix_type(&ir.nodes[o.node])))
                .collect(),
        )
    }

    /// The differentiable inputs' types: one matrix, or a tuple of several.
    fn gradient_tuple(&self) -> Doc {
        let ir = self.ir;
        Doc::tuple_or_one(
            ir.inputs
                .iter()
                .enumerate()
                .filter(|&(k, _)| ir.differentiable(k))
                .map(|(_, i)| Doc::atom(matrix_type(&ir.nodes[i.node])))
                .collect(),
        )
    }

    /// What the functions return for the outputs: the matrix, or `Outputs<T>`.
    fn output_types(&self) -> Doc {
        match self.output_tuple() {
            Doc::List { .. } => Doc::atom("Outputs<T>"),
            one => one,
        }
    }

    /// What the functions return for the gradients: the matrix, or `Gradients<T>`.
    fn gradient_types(&self) -> Doc {
        match self.gradient_tuple() {
            Doc::List { .. } => Doc::atom("Gradients<T>"),
            one => one,
        }
    }

    /// `Outputs<T>` and `Gradients<T>`, the tuples of several outputs and gradients.
    fn result_aliases(&self) -> String {
        let mut out = String::new();
        let ir = self.ir;
        let outputs = self.output_tuple();
        if matches!(outputs, Doc::List { .. }) {
            out.push_str("    /// The outputs, in the order they were given.\n");
            out.push_str(&type_alias("pub type Outputs<T>", &outputs, 4));
        }
        let has_gradients = ir
            .inputs
            .iter()
            .enumerate()
            .any(|(k, _)| ir.differentiable(k));
        let gradients = self.gradient_tuple();
        if has_gradients && matches!(gradients, Doc::List { .. }) {
            out.push_str(
                "    /// The gradients with respect to the differentiable inputs (the vars), in \
                 order.\n",
            );
            out.push_str(&type_alias("pub type Gradients<T>", &gradients, 4));
        }
        out
    }

    /// How node `id` is passed to an op: `q` (an input, already a reference), `&c3`, `&v5`.
    fn reference(&self, id: usize) -> String {
        let ir = self.ir;
        match ir.input_of[id] {
            Some(k) => ir.inputs[k].name.clone(),
            None if matches!(ir.nodes[id].kind, NodeKind::Op(_)) => format!("&v{id}"),
            None => format!("&c{id}"),
        }
    }

    /// Node `id`'s value by value: `*q`, `c3`, `v5`.
    fn owned(&self, id: usize) -> String {
        let reference = self.reference(id);
        match reference.strip_prefix('&') {
            Some(place) => place.to_string(),
            None => format!("*{reference}"),
        }
    }

    fn outputs_value(&self) -> Doc {
        let ir = self.ir;
        Doc::tuple_or_one(
            ir.outputs
                .iter()
                .map(|o| Doc::atom(self.owned(o.node)))
                .collect(),
        )
    }

    /// The forward pass at `indent`: every needed node in id order.
    fn forward(&self, indent: usize) -> String {
        let ir = self.ir;
        let pad = " ".repeat(indent);
        let mut out = String::new();
        for (id, node) in ir.nodes.iter().enumerate() {
            if !ir.needed[id] || ir.input_of[id].is_some() {
                continue;
            }
            let ty = matrix_type(node);
            let Some(op) = &self.ops[id] else {
                let (rows, cols) = (node.rows, node.cols);
                if self.is_zero(node) {
                    let _ = writeln!(
                        out,
                        "{pad}let c{id} = SMatrix::<T, {rows}, {cols}>::zeros();"
                    );
                } else {
                    let _ = writeln!(out, "{pad}let c{id}: {ty} = matrix(&C{id});");
                }
                continue;
            };
            out.push_str(&let_statement(&format!("op{id}"), op, indent));
            let _ = writeln!(
                out,
                "{pad}let mut v{id} = SMatrix::<T, {}, {}>::zeros();",
                node.rows, node.cols
            );
            let call = Doc::call(
                format!("Op::<T, {}>::forward_into", self.alias(id)),
                vec![
                    Doc::atom(format!("&op{id}")),
                    self.input_refs(id),
                    Doc::atom(format!("&mut v{id}")),
                ],
            );
            out.push_str(&statement(&call, indent));
        }
        out
    }

    /// `In3x3And3x1<T>`.
    fn alias(&self, id: usize) -> String {
        let ir = self.ir;
        let shapes: Vec<(usize, usize)> = ir.nodes[id]
            .inputs
            .iter()
            .map(|&i| (ir.nodes[i].rows, ir.nodes[i].cols))
            .collect();
        format!("{}<T>", alias_name(&shapes))
    }

    /// `(&c1, q)`: an op's inputs.
    fn input_refs(&self, id: usize) -> Doc {
        Doc::tuple(
            self.ir.nodes[id]
                .inputs
                .iter()
                .map(|&i| Doc::atom(self.reference(i)))
                .collect(),
        )
    }

    /// The gradient buffer of node `id`: `d_q` for an input, `d5` for an op.
    fn grad_name(&self, id: usize) -> String {
        match self.ir.input_of[id] {
            Some(k) => format!("d_{}", self.ir.inputs[k].name),
            None => format!("d{id}"),
        }
    }

    /// The backward pass at `indent`, from the seeds `seeds` (one reference per output, such
    /// as `d_p` or `&seed`): the statements, and per differentiable input the expression of
    /// its gradient (`d_q`, `*d_p`, or `None` when no output depends on it).
    fn backward(&self, indent: usize, seeds: &[String]) -> (String, Vec<Option<String>>) {
        let ir = self.ir;
        let n = ir.nodes.len();
        let pad = " ".repeat(indent);
        let mut seeds_of: Vec<Vec<&str>> = vec![Vec::new(); n];
        for (output, seed) in ir.outputs.iter().zip(seeds) {
            if ir.needs_grad[output.node] {
                seeds_of[output.node].push(seed);
            }
        }
        // Which nodes a gradient reaches, and how many contributions each receives.
        let mut reached: Vec<bool> = seeds_of.iter().map(|s| !s.is_empty()).collect();
        let mut contributions = vec![0_usize; n];
        for id in (0..n).rev() {
            if reached[id] && ir.input_of[id].is_none() {
                for &input in &ir.nodes[id].inputs {
                    if ir.needs_grad[input] {
                        reached[input] = true;
                        contributions[input] += 1;
                    }
                }
            }
        }
        // A node with one seed and no contribution reads the seed where it is.
        let direct = |id: usize| seeds_of[id].len() == 1 && contributions[id] == 0;
        let d_out = |id: usize| {
            if direct(id) {
                seeds_of[id][0].to_string()
            } else {
                format!("&{}", self.grad_name(id))
            }
        };
        let mut out = String::new();
        let mut declared = vec![false; n];
        for id in (0..n).rev() {
            if seeds_of[id].is_empty() || direct(id) {
                continue;
            }
            let name = self.grad_name(id);
            let first = owned_text(seeds_of[id][0]);
            let _ = writeln!(out, "{pad}let mut {name} = {first};");
            for seed in &seeds_of[id][1..] {
                let _ = writeln!(out, "{pad}{name} += {seed};");
            }
            if contributions[id] > 0 {
                let _ = writeln!(out, "{pad}let mut {name}_set = true;");
            }
            declared[id] = true;
        }
        for id in (0..n).rev() {
            if !reached[id] || ir.input_of[id].is_some() {
                continue;
            }
            let inputs = &ir.nodes[id].inputs;
            for &input in inputs {
                if ir.needs_grad[input] && !declared[input] {
                    let name = self.grad_name(input);
                    let node = &ir.nodes[input];
                    let _ = writeln!(
                        out,
                        "{pad}let mut {name} = SMatrix::<T, {}, {}>::zeros();",
                        node.rows, node.cols
                    );
                    let _ = writeln!(out, "{pad}let mut {name}_set = false;");
                    declared[input] = true;
                }
            }
            let repeats = (1..inputs.len()).any(|k| inputs[..k].contains(&inputs[k]));
            let alias = self.alias(id);
            let common = vec![
                Doc::atom(format!("&op{id}")),
                self.input_refs(id),
                Doc::atom(format!("&v{id}")),
                Doc::atom(d_out(id)),
            ];
            if repeats {
                // One node feeds two inputs: the gradients come back by value and are added
                // one after the other, as the graph does.
                let call = Doc::call(format!("Op::<T, {alias}>::backward"), common);
                out.push_str(&let_statement("grads", &call, indent));
                for (k, &input) in inputs.iter().enumerate() {
                    if ir.needs_grad[input] {
                        let name = self.grad_name(input);
                        let _ = writeln!(
                            out,
                            "{pad}let slot = GradSlot::new(&mut {name}, &mut {name}_set);"
                        );
                        let _ = writeln!(out, "{pad}slot.add(&grads.{k});");
                    }
                }
            } else {
                let slots = inputs
                    .iter()
                    .map(|&input| {
                        if ir.needs_grad[input] {
                            let name = self.grad_name(input);
                            Doc::call(
                                "Some",
                                vec![Doc::call(
                                    "GradSlot::new",
                                    vec![
                                        Doc::atom(format!("&mut {name}")),
                                        Doc::atom(format!("&mut {name}_set")),
                                    ],
                                )],
                            )
                        } else {
                            Doc::atom("None")
                        }
                    })
                    .collect();
                out.push_str(&let_statement("d_inputs", &Doc::tuple(slots), indent));
                let mut arguments = common;
                arguments.push(Doc::atom("d_inputs"));
                let call = Doc::call(format!("Op::<T, {alias}>::backward_into"), arguments);
                out.push_str(&statement(&call, indent));
            }
        }
        let gradients = ir
            .inputs
            .iter()
            .enumerate()
            .filter(|&(k, _)| ir.differentiable(k))
            .map(|(_, input)| {
                let id = input.node;
                if !reached[id] {
                    None
                } else if direct(id) {
                    Some(owned_text(seeds_of[id][0]))
                } else {
                    Some(self.grad_name(id))
                }
            })
            .collect();
        (out, gradients)
    }

    fn value(&self) -> String {
        let mut out = String::new();
        out.push_str("    /// The outputs at the inputs.\n");
        out.push_str(&signature(
            "pub fn value<T: Real>",
            &self.input_params(),
            &self.output_types(),
            4,
        ));
        out.push_str(&self.forward(8));
        let _ = writeln!(out, "        {}", self.outputs_value().render(8, 8, 0));
        out.push_str("    }\n");
        out
    }

    /// The seeds' parameters: `d_p: &SMatrix<T, 2, 1>` (`_d_p` if no gradient flows).
    fn seed_params(&self) -> (Vec<String>, Vec<String>) {
        let ir = self.ir;
        let mut params = Vec::new();
        let mut names = Vec::new();
        for output in &ir.outputs {
            let unused = if ir.needs_grad[output.node] { "" } else { "_" };
            let name = format!("{unused}d_{}", output.name);
            params.push(format!("{name}: &{}", matrix_type(&ir.nodes[output.node])));
            names.push(name);
        }
        (params, names)
    }

    fn vjp(&self) -> String {
        let ir = self.ir;
        let mut out = String::new();
        let outputs: Vec<&str> = ir.outputs.iter().map(|o| o.name.as_str()).collect();
        let inputs: Vec<&str> = ir
            .inputs
            .iter()
            .enumerate()
            .filter(|&(k, _)| ir.differentiable(k))
            .map(|(_, i)| i.name.as_str())
            .collect();
        let products: Vec<String> = outputs.iter().map(|o| format!("⟨d_{o}, {o}⟩")).collect();
        let wrt: Vec<String> = inputs.iter().map(|i| format!("`{i}`")).collect();
        let _ = writeln!(
            out,
            "    /// The outputs, and the gradient of {} with respect to {}\n    /// (the \
             vector-Jacobian product), each of its input's shape.",
            products.join(" + "),
            wrt.join(", ")
        );
        let (seed_params, seed_names) = self.seed_params();
        let mut params = self.input_params();
        params.extend(seed_params);
        let ret = Doc::tuple(vec![self.output_types(), self.gradient_types()]);
        out.push_str(&signature("pub fn vjp<T: Real>", &params, &ret, 4));
        out.push_str(&self.forward(8));
        let (backward, gradients) = self.backward(8, &seed_names);
        out.push_str(&backward);
        let result = Doc::tuple(vec![self.outputs_value(), self.gradients_value(&gradients)]);
        let _ = writeln!(out, "        {}", result.render(8, 8, 0));
        out.push_str("    }\n");
        out
    }

    fn gradients_value(&self, gradients: &[Option<String>]) -> Doc {
        Doc::tuple_or_one(
            gradients
                .iter()
                .map(|g| match g {
                    Some(g) => Doc::atom(g.clone()),
                    None => Doc::code("SMatrix::zeros()"),
                })
                .collect(),
        )
    }

    /// The arguments that pass this function's inputs on: `q, x`.
    fn forwarded_inputs(&self) -> Vec<Doc> {
        self.ir
            .inputs
            .iter()
            .map(|i| Doc::atom(i.name.clone()))
            .collect()
    }

    fn gradient(&self) -> String {
        let params: Vec<String> = self
            .input_params()
            .into_iter()
            .map(|p| p.trim_start_matches('_').to_string())
            .collect();
        let mut arguments = self.forwarded_inputs();
        arguments.push(Doc::code("&SMatrix::identity()"));
        let vjp = Doc::call("vjp", arguments);
        let mut out = String::new();
        out.push_str(
            "    /// The output, a scalar, and its gradient with respect to each differentiable \
             input.\n",
        );
        let ret = Doc::tuple(vec![Doc::atom("T"), self.gradient_types()]);
        out.push_str(&signature(
            "pub fn value_and_gradient<T: Real>",
            &params,
            &ret,
            4,
        ));
        out.push_str(&let_statement("(value, gradient)", &vjp, 8));
        out.push_str("        (value[0], gradient)\n    }\n\n");
        out.push_str(
            "    /// The gradient of the output, a scalar, with respect to each differentiable \
             input.\n",
        );
        out.push_str(&signature(
            "pub fn gradient<T: Real>",
            &params,
            &self.gradient_types(),
            4,
        ));
        out.push_str(&let_statement("(_, gradient)", &vjp, 8));
        out.push_str("        gradient\n    }\n");
        out
    }

    fn jacobian(&self) -> String {
        let ir = self.ir;
        let (input, output) = (&ir.inputs[0], &ir.outputs[0]);
        debug_assert_eq!(ir.nodes[input.node].cols, 1);
        let (m, n) = (ir.nodes[output.node].rows, ir.nodes[input.node].rows);
        let params = self.input_params();
        let parameter = params[0]
            .split(':')
            .next()
            .expect("a parameter")
            .to_string();
        let mut out = String::new();
        out.push_str(
            "    /// The output and its M×N Jacobian, one backward pass per output entry.\n",
        );
        let ret = Doc::tuple(vec![
            Doc::atom(format!("SMatrix<T, {m}, 1>")),
            Doc::atom(format!("SMatrix<T, {m}, {n}>")),
        ]);
        out.push_str(&signature(
            "pub fn value_and_jacobian<T: Real>",
            &params,
            &ret,
            4,
        ));
        out.push_str(&self.forward(8));
        let (backward, gradients) = self.backward(12, &["&seed".to_string()]);
        match &gradients[0] {
            Some(gradient) => {
                let _ = writeln!(
                    out,
                    "        let mut jacobian = SMatrix::<T, {m}, {n}>::zeros();"
                );
                let _ = writeln!(out, "        for row in 0..{m} {{");
                let _ = writeln!(
                    out,
                    "            let mut seed = SMatrix::<T, {m}, 1>::zeros();"
                );
                out.push_str("            seed[row] = T::one();\n");
                out.push_str(&backward);
                let place = gradient.trim_start_matches('*');
                let _ = writeln!(
                    out,
                    "            jacobian.set_row(row, &{place}.transpose());"
                );
                out.push_str("        }\n");
            }
            None => {
                let _ = writeln!(
                    out,
                    "        let jacobian = SMatrix::<T, {m}, {n}>::zeros();"
                );
            }
        }
        let _ = writeln!(out, "        ({}, jacobian)", self.owned(output.node));
        out.push_str("    }\n\n");
        out.push_str(
            "    /// The M×N Jacobian of the output, one backward pass per output entry.\n",
        );
        out.push_str(&signature(
            "pub fn jacobian<T: Real>",
            &params,
            &Doc::atom(format!("SMatrix<T, {m}, {n}>")),
            4,
        ));
        let _ = writeln!(out, "        value_and_jacobian({parameter}).1");
        out.push_str("    }\n");
        out
    }
}

/// A function's signature at indent 4, after its doc comment: with more than seven
/// parameters (clippy's limit) it allows `too_many_arguments`, since the parameters are the
/// graph's inputs.
fn signature(head: &str, params: &[String], ret: &Doc, indent: usize) -> String {
    let mut out = String::new();
    if params.len() > 7 {
        out.push_str(&" ".repeat(indent));
        out.push_str(
            "#[allow(clippy::too_many_arguments)] // one parameter per input and output\n",
        );
    }
    out.push_str(&crate::diff::codegen::layout::signature(
        head, params, ret, indent,
    ));
    out
}

/// A reference's value: `d_p` → `*d_p`, `&seed` → `seed`.
fn owned_text(reference: &str) -> String {
    match reference.strip_prefix('&') {
        Some(place) => place.to_string(),
        None => format!("*{reference}"),
    }
}

/// The item that holds an array of `len` entries: a `const`, or for more than 256 entries a
/// `static` (clippy's `large_const_arrays`: a large `const` array would be copied into every
/// place that uses it).
fn item_kind(len: usize) -> &'static str {
    if len > 256 { "static" } else { "const" }
}
