//! Anomaly detection: the first op whose value or gradient contribution is not finite is
//! reported by op, node, vars and entries, where the user's call ran it.

use std::panic::{self, AssertUnwindSafe};

use nalgebra::{Matrix1, Vector2, Vector3};
use shapegrad::Graph;

/// The panic message of `f`, which must panic.
fn message_of(f: impl FnOnce()) -> String {
    let payload = panic::catch_unwind(AssertUnwindSafe(f)).expect_err("did not panic");
    match payload.downcast_ref::<String>() {
        Some(message) => message.clone(),
        None => payload.downcast_ref::<&str>().unwrap().to_string(),
    }
}

#[test]
fn a_planted_nan_is_reported_at_the_first_op_that_reads_it_not_downstream() {
    let g = Graph::<f64>::new();
    g.detect_anomalies(true);
    let w = g.var_named("w", Vector3::new(1.0, 2.0, 3.0));
    let x = g.constant_named("x", Vector3::new(0.5, 0.5, 0.5));
    let loss = w.component_mul(x).tanh().sum();
    assert!(loss.value()[0].is_finite());
    x.set_value(Vector3::new(0.5, f64::NAN, 0.5)); // a corrupt sample
    let message = message_of(|| drop(loss.backward()));
    assert!(
        message.starts_with(
            "shapegrad anomaly: the value of node 2 (`component_mul`, 3×1) is not finite at \
             (1, 0) = NaN"
        ),
        "{message}"
    );
    assert!(
        message.contains("`w` (node 0, 3×1) is finite, [1, 2, 3]"),
        "{message}"
    );
    assert!(
        message.contains("`x` (node 1, 3×1) is not finite at (1, 0) = NaN"),
        "{message}"
    );
    assert!(
        !message.contains("tanh"),
        "a later op was blamed: {message}"
    );
}

#[test]
fn an_op_that_turns_finite_inputs_into_infinity_is_named_when_it_is_recorded() {
    let g = Graph::<f64>::new();
    g.detect_anomalies(true);
    let x = g.var_named("x", Vector2::new(2.0, 0.0));
    let message = message_of(|| _ = x.reciprocal());
    assert!(
        message.contains("the value of node 1 (`reciprocal`, 2×1) is not finite at (1, 0) = inf"),
        "{message}"
    );
    assert!(
        message.contains("`x` (node 0, 2×1) is finite, [2, 0]"),
        "{message}"
    );
}

#[test]
fn a_gradient_that_is_not_finite_is_blamed_on_the_op_whose_backward_made_it() {
    // √x at x = 0 is 0, but its derivative 1/(2√x) is +∞.
    let g = Graph::<f64>::new();
    g.detect_anomalies(true);
    let x = g.var_named("x", Vector2::new(4.0, 0.0));
    let loss = x.sqrt().scale(3.0).sum();
    assert_eq!(loss.value()[0], 6.0);
    let message = message_of(|| drop(loss.backward()));
    assert!(
        message.contains(
            "in the backward pass from node 3 (`sum`, 1×1), node 1 (`sqrt`, 2×1) gave its \
             input `x` (node 0, 2×1) a gradient that is not finite at (1, 0) = inf"
        ),
        "{message}"
    );
    assert!(
        message.contains("its own gradient (dOut) is finite, [3, 3]"),
        "{message}"
    );
}

#[test]
fn the_report_points_at_the_line_that_asked_for_the_value() {
    let g = Graph::<f64>::new();
    g.detect_anomalies(true);
    let x = g.var(Matrix1::new(1.0));
    let y = x.ln();
    x.set_value(Matrix1::new(-1.0));
    thread_local! {
        // The hook runs on the panicking thread: other tests' panics do not touch this one.
        static LINE: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    }
    let hook = panic::take_hook();
    panic::set_hook(Box::new(|info| {
        LINE.with(|l| l.set(info.location().map_or(0, |l| l.line())));
    }));
    let reading = line!() + 1;
    let result = panic::catch_unwind(AssertUnwindSafe(|| y.value()));
    panic::set_hook(hook);
    assert!(result.is_err());
    assert_eq!(LINE.with(|l| l.get()), reading);
}

#[test]
fn without_detection_non_finite_values_flow_through_and_the_graph_stays_usable() {
    let g = Graph::<f64>::new();
    let x = g.var(Vector2::new(1.0, 0.0));
    let y = x.ln().sum();
    assert_eq!(y.value()[0], f64::NEG_INFINITY);
    assert!(y.backward().wrt(x)[1].is_infinite());
    // Turned on later: the next read reports; turned off: values flow again.
    g.detect_anomalies(true);
    x.set_value(Vector2::new(1.0, 0.0));
    assert!(message_of(|| _ = y.value()).contains("`ln`"));
    g.detect_anomalies(false);
    assert_eq!(y.value()[0], f64::NEG_INFINITY);
    x.set_value(Vector2::new(1.0, 1.0));
    assert_eq!(y.value()[0], 0.0);
}

#[test]
fn values_are_quoted_in_short_exponent_form() {
    let g = Graph::<f64>::new();
    g.detect_anomalies(true);
    let x = g.var_named("x", Vector3::new(1e300, 1.5e-7, 0.25));
    let message = message_of(|| _ = x.component_mul(x));
    assert!(
        message.contains("is not finite at (0, 0) = inf"),
        "{message}"
    );
    assert!(
        message.contains("`x` (node 0, 3×1) is finite, [1e300, 1.5e-7, 0.25]"),
        "{message}"
    );
    assert!(message.len() < 400, "{} bytes: {message}", message.len());
}

#[test]
fn the_report_names_the_line_where_the_op_that_went_bad_was_recorded() {
    let g = Graph::<f64>::new();
    g.detect_anomalies(true);
    let x = g.var_named("x", Vector2::new(4.0, 1.0));
    let recorded = line!() + 1;
    let y = x.ln();
    let loss = y.sum();
    x.set_value(Vector2::new(4.0, 0.0)); // ln 0 = −∞, found when the value is next read
    let message = message_of(|| _ = loss.value());
    let here = format!("recorded at {}:{recorded}:", file!());
    assert!(message.contains("node 1 (`ln`, 2×1)"), "{message}");
    assert!(message.contains(&here), "{here:?} is not in {message}");

    // In a backward pass too: √x at 0 has an infinite derivative.
    let x = g.var_named("x2", Vector2::new(4.0, 0.0));
    let recorded = line!() + 1;
    let root = x.sqrt();
    let loss = root.sum();
    let message = message_of(|| drop(loss.backward()));
    assert!(
        message.contains("(`sqrt`, 2×1) gave its input `x2`"),
        "{message}"
    );
    let here = format!("recorded at {}:{recorded}:", file!());
    assert!(message.contains(&here), "{here:?} is not in {message}");
}
