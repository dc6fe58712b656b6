//! Panics caused by a caller's mistake name what went wrong and point at the caller's line,
//! through the operator sugar (`#[track_caller]` all the way down).

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};

use nalgebra::{Matrix1, Matrix2, Vector2};
use shapegrad::Graph;
use shapegrad::nn::Dense;

thread_local! {
    /// The location of the last expected panic on this thread.
    static LOCATION: RefCell<Option<(String, u32)>> = const { RefCell::new(None) };
    /// The line the next expected panic must point at.
    static EXPECTED_LINE: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    /// Whether this thread expects a panic (others are reported as usual).
    static EXPECTING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, which must panic; returns its message and the file and line the panic reports.
fn panic_of(f: impl FnOnce()) -> (String, String, u32) {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let report = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if EXPECTING.with(|e| e.get()) {
                let location = info.location().map(|l| (l.file().to_owned(), l.line()));
                LOCATION.with(|cell| *cell.borrow_mut() = location);
            } else {
                report(info);
            }
        }))
    });
    EXPECTING.with(|e| e.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    EXPECTING.with(|e| e.set(false));
    let payload = result.expect_err("did not panic");
    let message = match payload.downcast_ref::<String>() {
        Some(message) => message.clone(),
        None => payload.downcast_ref::<&str>().unwrap().to_string(),
    };
    let (file, line) = LOCATION.with(|cell| cell.borrow_mut().take()).unwrap();
    (message, file, line)
}

/// Declares that the statement on the next line must panic there.
fn next_line_panics(line: u32) {
    EXPECTED_LINE.with(|l| l.set(line + 1));
}

/// Asserts that `f` panics with a message containing `needle`, at the line `f` declared with
/// [`next_line_panics`].
fn assert_panics_here(needle: &str, f: impl FnOnce()) {
    let (message, file, at) = panic_of(f);
    let line = EXPECTED_LINE.with(|l| l.get());
    assert!(
        message.contains(needle),
        "message {message:?} lacks {needle:?}"
    );
    assert!(
        file.ends_with("tests/caller_location.rs") && at == line,
        "the panic points at {file}:{at}, not at the caller's line {line}: {message}"
    );
}

#[test]
fn vars_of_two_graphs_are_named_at_the_line_that_mixes_them() {
    let (g1, g2) = (Graph::<f64>::new(), Graph::<f64>::new());
    let a = g1.var_named("a", Matrix2::identity());
    let b = g2.var_named("b", Matrix2::identity());
    let needle = "was given `b` (node 0, 2×2), which belongs to another graph";
    assert_panics_here(needle, || {
        next_line_panics(line!());
        _ = a + b;
    });
    assert_panics_here(needle, || {
        next_line_panics(line!());
        _ = a * b;
    });
    assert_panics_here(needle, || {
        next_line_panics(line!());
        _ = a.component_mul(b);
    });
    assert_panics_here("`hstack` was given `b`", || {
        next_line_panics(line!());
        _ = a.hstack(b);
    });
    let c = g2.constant(Vector2::new(1.0, 2.0));
    assert_panics_here("node 1 (constant, 2×1)", || {
        next_line_panics(line!());
        _ = a * c;
    });
}

#[test]
fn a_layer_of_another_graph_is_named_at_the_callers_line() {
    let (g1, g2) = (Graph::<f64>::new(), Graph::<f64>::new());
    let layer = Dense::<f64, 2, 3>::new(&g1, "dense", 0);
    let x = g2.constant_named("x", nalgebra::Matrix4x2::zeros());
    assert_panics_here("`matmul` was given `dense.weight`", || {
        next_line_panics(line!());
        _ = layer.forward(x);
    });
}

#[test]
fn gradients_handles_and_leaf_writes_report_the_callers_line() {
    let (g1, g2) = (Graph::<f64>::new(), Graph::<f64>::new());
    let a = g1.var(Matrix1::new(1.0));
    let b = g2.var_named("b", Matrix1::new(1.0));
    let grads = (a + a).backward();
    assert_panics_here("Gradients::wrt was given `b`", || {
        next_line_panics(line!());
        _ = grads.wrt(b);
    });
    drop(grads);
    let c = g1.constant_named("c", Matrix1::new(1.0));
    let grads = (a + c).backward();
    assert_panics_here("`c` (node 2, 1×1) is a constant", || {
        next_line_panics(line!());
        _ = grads.wrt(c);
    });
    drop(grads);
    assert_panics_here("of graph #", || {
        next_line_panics(line!());
        _ = g2.at(a.handle());
    });
    let sum = a + a;
    assert_panics_here("set_value needs a leaf", || {
        next_line_panics(line!());
        sum.set_value(Matrix1::new(2.0));
    });
    assert_panics_here("update_value needs a leaf", || {
        next_line_panics(line!());
        sum.update_value(|_| ());
    });
    let _alive = sum.backward();
    assert_panics_here("still alive", || {
        next_line_panics(line!());
        drop(sum.backward());
    });
}

#[test]
fn a_row_or_column_index_out_of_range_is_reported_at_the_callers_line() {
    let g = Graph::<f64>::new();
    let m = g.var(Matrix2::identity());
    assert_panics_here("index 2 is out of range for a 2×2 matrix", || {
        next_line_panics(line!());
        _ = m.row(2);
    });
    assert_panics_here("index 5 is out of range for a 2×2 matrix", || {
        next_line_panics(line!());
        _ = m.column(5);
    });
}

#[test]
fn reversed_clamp_bounds_are_reported_at_the_callers_line() {
    let g = Graph::<f64>::new();
    let x = g.var(Vector2::new(0.5, 2.0));
    assert_panics_here(
        "clamp needs bounds lo ≤ hi (neither NaN), but lo = 1.0 and hi = 0.0",
        || {
            next_line_panics(line!());
            _ = x.clamp(1.0, 0.0);
        },
    );
}
