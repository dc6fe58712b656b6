//! Laying out generated statements the way rustfmt does (its default settings, edition 2024),
//! so that a generated file is already formatted: `cargo fmt --check` passes on it and
//! reformatting changes nothing.
//!
//! The generator writes few kinds of expression: calls, tuples (of values and of types),
//! arrays of literals and plain atoms (paths, `&v3`, literals). For them rustfmt's rules are:
//!
//! * a call or tuple stays on one line if it fits in 100 columns and its items, joined by
//!   `, `, are at most 60 wide (`fn_call_width`);
//! * otherwise its items go on the lines below, one more indent in: all on one line if they
//!   are all simple (paths, literals, references to them) and fit the same 60, else one per
//!   line, each with a trailing comma; a call whose only argument is a call or a tuple lets
//!   that argument break instead (`Some(GradSlot::new(` on one line);
//! * `let x = e;` breaks after `=` when `e` then fits on one line, and keeps `e` on the first
//!   line otherwise;
//! * an array stays on one line within 60, else packs its items on full lines if every item
//!   is at most 10 wide, else puts one per line;
//! * a function signature stays on one line if it fits, else puts one parameter per line and
//!   the return type after `) -> `, itself laid out as a tuple type.
//!
//! `tests/codegen_format.rs` (in the build-script crate) runs rustfmt over generated modules
//! and checks that it changes nothing.

/// The widest line.
const MAX_WIDTH: usize = 100;
/// The widest list of call arguments or tuple items kept on one line.
const CALL_WIDTH: usize = 60;
/// The widest array kept on one line.
const ARRAY_WIDTH: usize = 60;
/// The widest array item that may share a line with others in a broken array.
const SHORT_ITEM: usize = 10;

/// An expression (or a type) to lay out.
#[derive(Clone, Debug)]
pub(super) enum Doc {
    /// A simple expression written as is: a path, a literal, `&v3`, `&mut d4`, `grads.0`.
    Atom(String),
    /// Any other expression on one line, such as a method call: never broken.
    Code(String),
    /// `head(items…)`: a call (`head` is the callee) or, with an empty head, a tuple (of
    /// values or of types).
    List { head: String, items: Vec<Doc> },
}

impl Doc {
    pub(super) fn atom(text: impl Into<String>) -> Doc {
        Doc::Atom(text.into())
    }

    pub(super) fn code(text: impl Into<String>) -> Doc {
        Doc::Code(text.into())
    }

    pub(super) fn call(head: impl Into<String>, items: Vec<Doc>) -> Doc {
        Doc::List {
            head: head.into(),
            items,
        }
    }

    /// A tuple; one item is written `(x,)`.
    pub(super) fn tuple(items: Vec<Doc>) -> Doc {
        Doc::List {
            head: String::new(),
            items,
        }
    }

    /// A tuple of several items, or the one item itself.
    pub(super) fn tuple_or_one(mut items: Vec<Doc>) -> Doc {
        if items.len() == 1 {
            items.pop().expect("one item")
        } else {
            Doc::tuple(items)
        }
    }

    fn is_tuple(&self) -> bool {
        matches!(self, Doc::List { head, .. } if head.is_empty())
    }

    fn is_simple(&self) -> bool {
        matches!(self, Doc::Atom(_))
    }

    /// The expression on one line.
    pub(super) fn flat(&self) -> String {
        match self {
            Doc::Atom(text) | Doc::Code(text) => text.clone(),
            Doc::List { head, items } => {
                let mut out = format!("{head}({})", joined(items));
                if self.is_tuple() && items.len() == 1 {
                    out.insert(out.len() - 1, ',');
                }
                out
            }
        }
    }

    /// Lays the expression out starting at column `start` of a line indented by `indent`,
    /// with `trail` more characters after it on its last line (`;`, `,`, ` {`).
    pub(super) fn render(&self, indent: usize, start: usize, trail: usize) -> String {
        let Doc::List { head, items } = self else {
            return self.flat();
        };
        let flat = self.flat();
        let items_fit = items.iter().all(|item| !item.flat().contains('\n'))
            && joined(items).len() + usize::from(self.is_tuple() && items.len() == 1) <= CALL_WIDTH;
        if items_fit && start + flat.len() + trail <= MAX_WIDTH {
            return flat;
        }
        // One argument (or a one-item tuple's item) that is itself a call or a tuple breaks
        // in its place.
        if items.len() == 1 && matches!(items[0], Doc::List { .. }) {
            let open = head.len() + 1;
            return if self.is_tuple() {
                format!("({},)", items[0].render(indent, start + open, trail + 2))
            } else {
                format!(
                    "{head}({})",
                    items[0].render(indent, start + open, trail + 1)
                )
            };
        }
        let inner = indent + 4;
        let pad = " ".repeat(inner);
        let mut out = format!("{head}(\n");
        let all_simple = items.iter().all(Doc::is_simple);
        let one_line = joined(items);
        if all_simple && one_line.len() <= CALL_WIDTH && inner + one_line.len() < MAX_WIDTH {
            out.push_str(&format!("{pad}{one_line},\n"));
        } else {
            for item in items {
                out.push_str(&format!("{pad}{},\n", item.render(inner, inner, 1)));
            }
        }
        out.push_str(&" ".repeat(indent));
        out.push(')');
        out
    }
}

fn joined(items: &[Doc]) -> String {
    items.iter().map(Doc::flat).collect::<Vec<_>>().join(", ")
}

/// `let <pattern> = <rhs>;` at `indent` (`pattern` may hold `mut` and a type).
pub(super) fn let_statement(pattern: &str, rhs: &Doc, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let start = indent + "let ".len() + pattern.len() + " = ".len();
    let same_line = rhs.render(indent, start, 1);
    if !same_line.contains('\n') {
        return format!("{pad}let {pattern} = {same_line};\n");
    }
    let next_line = rhs.render(indent + 4, indent + 4, 1);
    if !next_line.contains('\n') || lines(&same_line) > lines(&next_line) + 1 {
        let next_pad = " ".repeat(indent + 4);
        return format!("{pad}let {pattern} =\n{next_pad}{next_line};\n");
    }
    format!("{pad}let {pattern} = {same_line};\n")
}

/// `<expression>;` at `indent`.
pub(super) fn statement(expression: &Doc, indent: usize) -> String {
    let pad = " ".repeat(indent);
    format!("{pad}{};\n", expression.render(indent, indent, 1))
}

fn lines(text: &str) -> usize {
    text.matches('\n').count()
}

/// `<prefix>[items];` at `indent`, where `prefix` is what precedes the array on its line
/// (`const C3: [f64; 4] = `): rustfmt's array layouts.
pub(super) fn array_statement(prefix: &str, items: &[String], indent: usize) -> String {
    let pad = " ".repeat(indent);
    let one_line = items.join(", ");
    if one_line.len() <= ARRAY_WIDTH && indent + prefix.len() + one_line.len() + 3 <= MAX_WIDTH {
        return format!("{pad}{prefix}[{one_line}];\n");
    }
    let inner = indent + 4;
    let inner_pad = " ".repeat(inner);
    let mut out = format!("{pad}{prefix}[\n");
    if items.iter().all(|item| item.len() <= SHORT_ITEM) {
        // Mixed: as many items on each line as fit, each line ending in a comma.
        let mut line = String::new();
        for item in items {
            let width = if line.is_empty() {
                inner + item.len() + 1
            } else {
                inner + line.len() + 2 + item.len() + 1
            };
            if !line.is_empty() && width > MAX_WIDTH {
                out.push_str(&format!("{inner_pad}{line},\n"));
                line.clear();
            }
            if !line.is_empty() {
                line.push_str(", ");
            }
            line.push_str(item);
        }
        if !line.is_empty() {
            out.push_str(&format!("{inner_pad}{line},\n"));
        }
    } else {
        for item in items {
            out.push_str(&format!("{inner_pad}{item},\n"));
        }
    }
    out.push_str(&format!("{pad}];\n"));
    out
}

/// A function signature and the opening brace of its body, at `indent`:
/// `<head>(<params>) -> <ret> {`, where `head` is `pub fn name<T: Real>`.
pub(super) fn signature(head: &str, params: &[String], ret: &Doc, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let ret_flat = ret.flat();
    let one_line = format!("{pad}{head}({}) -> {ret_flat} {{", params.join(", "));
    if one_line.len() <= MAX_WIDTH {
        return one_line + "\n";
    }
    let inner_pad = " ".repeat(indent + 4);
    let mut out = format!("{pad}{head}(\n");
    for param in params {
        out.push_str(&format!("{inner_pad}{param},\n"));
    }
    let start = indent + ") -> ".len();
    out.push_str(&format!("{pad}) -> {} {{\n", ret.render(indent, start, 2)));
    out
}

/// `<head> = <tuple type>;` at `indent`, where `head` is `type Name<T>` or
/// `pub type Name<T>`.
pub(super) fn type_alias(head: &str, ty: &Doc, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let start = indent + head.len() + " = ".len();
    format!("{pad}{head} = {};\n", ty.render(indent, start, 1))
}

#[cfg(test)]
mod tests {
    use super::{Doc, array_statement, let_statement, signature, statement, type_alias};

    fn atoms(items: &[&str]) -> Vec<Doc> {
        items.iter().map(|&item| Doc::atom(item)).collect()
    }

    // The expected layouts below are rustfmt 1.9's (edition 2024, default settings).

    #[test]
    fn a_call_breaks_when_its_arguments_pass_60_columns() {
        let at = |w: usize| {
            let a = "x".repeat(w - 3);
            statement(&Doc::call("foo", atoms(&[&a, "b"])), 4)
        };
        assert_eq!(at(60).lines().count(), 1);
        assert_eq!(
            at(61),
            format!(
                "    foo(\n        {},\n        b,\n    );\n",
                "x".repeat(58)
            )
        );
    }

    #[test]
    fn simple_arguments_of_a_long_callee_share_one_line() {
        let callee = "c".repeat(90);
        assert_eq!(
            statement(&Doc::call(&callee, atoms(&["a", "b"])), 4),
            format!("    {callee}(\n        a, b,\n    );\n")
        );
    }

    #[test]
    fn tuples_of_slots_and_one_item_tuples() {
        let slot = |d: &str| {
            Doc::call(
                "Some",
                vec![Doc::call(
                    "GradSlot::new",
                    atoms(&[&format!("&mut {d}"), &format!("&mut {d}_set")]),
                )],
            )
        };
        let two = Doc::tuple(vec![slot("d1"), slot("d2")]);
        assert_eq!(
            let_statement("slots", &two, 8),
            "        let slots = (\n            Some(GradSlot::new(&mut d1, &mut d1_set)),\n            \
             Some(GradSlot::new(&mut d2, &mut d2_set)),\n        );\n"
        );
        let one = Doc::tuple(vec![slot("d3")]);
        assert_eq!(
            let_statement("slots", &one, 8),
            "        let slots = (Some(GradSlot::new(&mut d3, &mut d3_set)),);\n"
        );
        let long = Doc::tuple(vec![slot(&"d".repeat(26))]);
        let d = "d".repeat(26);
        assert_eq!(
            let_statement("slots", &long, 8),
            format!(
                "        let slots = (Some(GradSlot::new(\n            &mut {d},\n            \
                 &mut {d}_set,\n        )),);\n"
            )
        );
    }

    #[test]
    fn a_let_breaks_after_the_equals_sign_when_that_keeps_one_line() {
        let clamp = Doc::call(
            "shapegrad::ops::Clamp::new",
            atoms(&["scalar(-0.5123456789012345)", "scalar(0.5123456789012345)"]),
        );
        assert_eq!(
            let_statement("op5", &clamp, 8),
            "        let op5 =\n            shapegrad::ops::Clamp::new(scalar(-0.5123456789012345), \
             scalar(0.5123456789012345));\n"
        );
    }

    #[test]
    fn arrays_are_flat_mixed_or_vertical() {
        let short: Vec<String> = (0..30).map(|k| format!("{}.0", k % 3 + 1)).collect();
        let mixed = array_statement("const B: [f64; 30] = ", &short, 0);
        assert_eq!(mixed.lines().count(), 4);
        assert!(mixed.lines().nth(1).unwrap().len() == 98, "{mixed}");
        let long = vec!["0.123456789".to_string(), "1.0".to_string()];
        assert_eq!(
            array_statement("const C: [f64; 2] = ", &long, 4),
            "    const C: [f64; 2] = [0.123456789, 1.0];\n"
        );
        let many: Vec<String> = (0..6).map(|_| "0.123456789".to_string()).collect();
        assert_eq!(
            array_statement("const C: [f64; 6] = ", &many, 4)
                .lines()
                .count(),
            8
        );
    }

    #[test]
    fn signatures_and_type_aliases() {
        let m = |r: usize, c: usize| Doc::atom(format!("SMatrix<T, {r}, {c}>"));
        let ret = Doc::tuple(vec![m(2, 1), m(2, 1), m(2, 1)]);
        assert_eq!(
            signature(
                "pub fn value<T: Real>",
                &["q: &SMatrix<T, 3, 1>".into()],
                &ret,
                0
            ),
            "pub fn value<T: Real>(\n    q: &SMatrix<T, 3, 1>,\n) -> (SMatrix<T, 2, 1>, \
             SMatrix<T, 2, 1>, SMatrix<T, 2, 1>) {\n"
        );
        let alias = Doc::tuple(vec![m(300, 100), m(300, 100), m(30, 1)]);
        assert_eq!(
            type_alias("type In300x100<T>", &alias, 0),
            "type In300x100<T> = (\n    SMatrix<T, 300, 100>,\n    SMatrix<T, 300, 100>,\n    \
             SMatrix<T, 30, 1>,\n);\n"
        );
    }
}
