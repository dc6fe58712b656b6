//! Graph drawings: the DOT text shows every node's value, gradient and shape, edges follow the
//! data flow, and Graphviz `dot` accepts the text and renders it.

use std::io::Write;
use std::process::{Command, Stdio};

use nalgebra::{Matrix1, Matrix2x3, Vector2};
use shapegrad::Graph;
use shapegrad::viz::{DotOptions, to_dot_many};

/// The statement of node `id` (prefix `""` for a single graph, `"g1"` in a combined drawing).
fn node<'a>(dot: &'a str, prefix: &str, id: usize) -> &'a str {
    let start = format!("{prefix}n{id} [");
    dot.lines()
        .map(str::trim)
        .find(|line| line.starts_with(&start))
        .unwrap_or_else(|| panic!("no node {start} in\n{dot}"))
}

/// Every edge as (from, to) node ids of a single graph.
fn edges(dot: &str) -> Vec<(usize, usize)> {
    let id = |s: &str| s.trim().trim_start_matches('n').parse::<usize>().unwrap();
    dot.lines()
        .filter_map(|line| line.split_once(" -> "))
        .map(|(from, rest)| (id(from), id(rest.split([' ', ';']).next().unwrap())))
        .collect()
}

fn node_count(dot: &str) -> usize {
    dot.lines().filter(|l| l.contains(" [shape=")).count()
}

/// f = (x + y)·z at x = −2, y = 5, z = −4, after backward, as DOT text.
fn circuit() -> String {
    let g = Graph::<f64>::new();
    let x = g.var_named("x", Matrix1::new(-2.0));
    let y = g.var_named("y", Matrix1::new(5.0));
    let z = g.var_named("z", Matrix1::new(-4.0));
    let f = (x + y).component_mul(z);
    drop(f.backward());
    g.to_dot_with(&DotOptions::new().title("f = (x + y)·z"))
}

#[test]
fn the_circuit_shows_each_value_and_gradient() {
    let dot = circuit();
    // Node ids are creation order: x, y, z, q = x + y, f = q·z.
    let expected = [
        (0, "<b>x</b>", "var 1×1", "value = -2", "grad = -4"),
        (1, "<b>y</b>", "var 1×1", "value = 5", "grad = -4"),
        (2, "<b>z</b>", "var 1×1", "value = -4", "grad = 3"),
        (3, "<b>add</b>", "1×1", "value = 3", "grad = -4"),
        (4, "<b>component_mul</b>", "1×1", "value = -12", "grad = 1"),
    ];
    for (id, heading, shape, value, grad) in expected {
        let line = node(&dot, "", id);
        for part in [heading, shape, value, grad] {
            assert!(line.contains(part), "node {id} lacks `{part}`: {line}");
        }
    }
    assert!(
        node(&dot, "", 4).contains("peripheries=2"),
        "the output is marked"
    );
    assert!(!node(&dot, "", 3).contains("peripheries"));
    assert!(dot.contains("<b>f = (x + y)·z</b>"));
    assert_eq!(edges(&dot), [(0, 3), (1, 3), (3, 4), (2, 4)]);
}

#[test]
fn one_edge_per_op_input_and_a_fork_has_several_out_edges() {
    let g = Graph::<f32>::new();
    let w = g.var(Vector2::new(1.0_f32, -2.0));
    let c = g.constant(Vector2::new(3.0_f32, 3.0));
    let a = w + c; // w feeds a …
    let b = w.relu(); // … and b: a fork
    let sq = b.component_mul(b); // one node feeding both inputs
    let loss = (a + sq).sum();
    let dot = g.to_dot();

    assert_eq!(node_count(&dot), g.len());
    let edges = edges(&dot);
    // add 2, relu 1, component_mul 2, add 2, sum 1.
    assert_eq!(edges.len(), 8);
    let out_of = |id: usize| edges.iter().filter(|e| e.0 == id).count();
    let into = |id: usize| edges.iter().filter(|e| e.1 == id).count();
    assert_eq!(out_of(w.id()), 2, "the fork");
    assert_eq!(
        (out_of(b.id()), into(sq.id())),
        (2, 2),
        "b ∘ b reads b twice"
    );
    assert_eq!((into(a.id()), into(b.id()), into(loss.id())), (2, 1, 1));
    assert_eq!(out_of(loss.id()), 0);
    assert!(node(&dot, "", c.id()).contains("style=dashed"));
    for op in ["add", "relu", "component_mul", "sum"] {
        assert!(dot.contains(&format!("<b>{op}</b>")), "op name {op}");
    }
}

#[test]
fn gradients_appear_after_backward_and_only_where_there_is_one() {
    let g = Graph::<f64>::new();
    let w = g.var_named("w", Matrix1::new(3.0));
    let c = g.constant_named("c", Matrix1::new(2.0));
    let loss = w.component_mul(c);
    let before = g.to_dot();
    assert!(!before.contains("grad ="), "{before}");
    assert!(before.contains("no backward pass yet"));

    drop(loss.backward());
    let later = g.var_named("later", Matrix1::new(1.0));
    let after = g.to_dot();
    assert!(node(&after, "", w.id()).contains("grad = 2"));
    assert!(node(&after, "", loss.id()).contains("grad = 1"));
    assert!(!node(&after, "", c.id()).contains("grad ="), "a constant");
    assert!(
        !node(&after, "", later.id()).contains("grad ="),
        "created after"
    );
    assert!(node(&after, "", c.id()).contains("const 1×1"));
}

#[test]
fn values_are_current_after_a_leaf_changes() {
    let g = Graph::<f64>::new();
    let x = g.var(Matrix1::new(2.0));
    let y = x.component_mul(x);
    x.set_value(Matrix1::new(-5.0));
    let dot = g.to_dot();
    assert!(node(&dot, "", y.id()).contains("value = 25"), "{dot}");
    assert!(
        node(&dot, "", x.id()).contains("<b>var</b>"),
        "an unnamed leaf"
    );
}

#[test]
fn larger_matrices_show_shape_and_norm_or_every_entry_on_request() {
    let g = Graph::<f64>::new();
    let w = g.var_named("W", Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
    drop(w.sum().backward());
    let dot = g.to_dot();
    let line = node(&dot, "", w.id());
    // ‖W‖ = √(1 + 4 + … + 36) = √91 = 9.539…; ‖dW‖ = ‖ones(2×3)‖ = √6 = 2.449…
    for part in ["var 2×3", "‖value‖ = 9.539", "‖grad‖ = 2.449"] {
        assert!(line.contains(part), "{part}: {line}");
    }
    let full = g.to_dot_with(&DotOptions::new().max_entries(6));
    assert!(node(&full, "", w.id()).contains("value = [1, 2, 3; 4, 5, 6]"));
    assert!(node(&full, "", w.id()).contains("grad = [1, 1, 1; 1, 1, 1]"));
}

#[test]
fn names_with_quotes_and_markup_are_escaped() {
    let g = Graph::<f64>::new();
    let v = g.var_named("he said \"hi\" <&>", Matrix1::new(1.0));
    let dot = g.to_dot_with(&DotOptions::new().title("a <title>"));
    let line = node(&dot, "", v.id());
    assert!(
        line.contains("he said &quot;hi&quot; &lt;&amp;&gt;"),
        "{line}"
    );
    assert!(!line.contains("\"hi\""));
    assert!(dot.contains("a &lt;title&gt;"));
}

#[test]
fn several_graphs_share_a_drawing_without_clashing_ids() {
    let (g1, g2) = (Graph::<f64>::new(), Graph::<f64>::new());
    let a = g1.var_named("a", Matrix1::new(1.0));
    let b = g2.var_named("b", Matrix1::new(2.0));
    let _ = (a + a, -b);
    let dot = to_dot_many(&[(&g1, &DotOptions::new()), (&g2, &DotOptions::new())]);
    assert!(node(&dot, "g0", 0).contains("<b>a</b>"));
    assert!(node(&dot, "g1", 0).contains("<b>b</b>"));
    assert!(dot.contains("g0n0 -> g0n1") && dot.contains("g1n0 -> g1n1"));
    assert_eq!(dot.matches("subgraph cluster_").count(), 2);
}

/// Runs `dot -T<format>` on `text`; `None` when Graphviz is not installed and not required.
fn graphviz(text: &str, format: &str) -> Option<Vec<u8>> {
    let child = Command::new("dot")
        .arg(format!("-T{format}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let required = std::env::var("SHAPEGRAD_REQUIRE_DOT").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "SHAPEGRAD_REQUIRE_DOT=1 but Graphviz `dot` is not installed"
            );
            eprintln!("note: Graphviz `dot` not found, skipping the rendering check");
            return None;
        }
        Err(e) => panic!("could not run Graphviz `dot`: {e}"),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "dot failed: {stderr}\n{text}");
    assert!(stderr.trim().is_empty(), "dot warned: {stderr}\n{text}");
    Some(output.stdout)
}

#[test]
fn graphviz_renders_the_drawings_to_svg() {
    let Some(svg) = graphviz(&circuit(), "svg") else {
        return;
    };
    // Graphviz writes '-' in SVG text as &#45;.
    let svg = String::from_utf8(svg).unwrap().replace("&#45;", "-");
    assert!(svg.contains("<svg") && svg.trim_end().ends_with("</svg>"));
    for text in [
        "value = -12",
        "value = 3",
        "grad = -4",
        "grad = 3",
        ">x<",
        ">component_mul<",
    ] {
        assert!(svg.contains(text), "the SVG lacks `{text}`");
    }

    let g = Graph::<f64>::new();
    let v = g.var_named("he said \"hi\" <&>\nback\\slash", Matrix2x3::repeat(1.0));
    let c = g.constant_named("c", Matrix2x3::repeat(2.0));
    drop(v.component_mul(c).mean().backward());
    let svg = graphviz(&g.to_dot_with(&DotOptions::new().title("\"q\"")), "svg").unwrap();
    let svg = String::from_utf8(svg).unwrap();
    assert!(
        svg.contains("he said &quot;hi&quot; &lt;&amp;&gt;"),
        "{svg}"
    );
    assert!(svg.contains("back\\slash"));

    let h = Graph::<f64>::new();
    let _ = h.var(Matrix1::new(1.0)).relu();
    let both = to_dot_many(&[(&g, &DotOptions::new()), (&h, &DotOptions::new())]);
    assert!(!graphviz(&both, "svg").unwrap().is_empty());
}
