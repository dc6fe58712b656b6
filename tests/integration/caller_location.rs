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
        file.ends_with("tests/integration/caller_location.rs") && at == line,
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

#[test]
#[allow(deprecated)] // the old names `jvp` and `hessian` are checked too
fn jacobians_with_their_arguments_swapped_are_named_at_the_callers_line() {
    use shapegrad::jacobian::{
        hessian, jacobian, jvp, jvp_reverse_mode, matrix_jacobian, numerical_hessian,
        numerical_jacobian, vjp,
    };
    let g = Graph::<f64>::new();
    let q = g.var_named("q", Vector2::new(0.1, 0.2));
    let tip = g.constant(Matrix2::identity()) * q;
    let swapped = |what: &str| {
        format!(
            "{what}(y, x) was given the output y = `q` (node 0, 2×1) recorded before the input \
             x = node 2 (`matmul`, 2×1), so y cannot depend on x: are the arguments swapped?"
        )
    };
    assert_panics_here(&swapped("jacobian"), || {
        next_line_panics(line!());
        _ = jacobian(q, tip);
    });
    assert_panics_here(&swapped("matrix_jacobian"), || {
        next_line_panics(line!());
        _ = matrix_jacobian(q, tip);
    });
    assert_panics_here(&swapped("vjp"), || {
        next_line_panics(line!());
        _ = vjp(q, tip, Vector2::new(1.0, 0.0));
    });
    assert_panics_here(&swapped("jvp_reverse_mode"), || {
        next_line_panics(line!());
        _ = jvp_reverse_mode(q, tip, Vector2::new(1.0, 0.0));
    });
    assert_panics_here(&swapped("jvp"), || {
        next_line_panics(line!());
        _ = jvp(q, tip, Vector2::new(1.0, 0.0));
    });
    assert_panics_here(&swapped("numerical_jacobian"), || {
        next_line_panics(line!());
        _ = numerical_jacobian(q, tip, 1e-6);
    });
    let early = q.sum();
    let late = g.var_named("late", Vector2::new(1.0, 2.0));
    assert_panics_here(
        "numerical_hessian(y, x) was given the output y = node 3 (`sum`, 1×1)",
        || {
            next_line_panics(line!());
            _ = numerical_hessian(early, late, 6e-6);
        },
    );
    assert_panics_here(
        "shapegrad: hessian(y, x) was given the output y = node 3 (`sum`, 1×1)",
        || {
            next_line_panics(line!());
            _ = hessian(early, late, 6e-6);
        },
    );
    assert_panics_here(&swapped("jacobian_check"), || {
        next_line_panics(line!());
        _ = shapegrad::jacobian::jacobian_check(q, tip, &Default::default());
    });
    let loss = tip.sum();
    let alive = loss.backward();
    assert_panics_here("still alive", || {
        next_line_panics(line!());
        _ = shapegrad::check::gradcheck(loss, &Default::default());
    });
    drop(alive);
    // The right order works, and the same var as output and input is the identity.
    assert_eq!(jacobian(tip, q), Matrix2::identity());
    assert_eq!(jacobian(q, q), Matrix2::identity());
}

#[test]
fn jacobians_of_two_graphs_or_a_constant_are_named_at_the_callers_line() {
    use shapegrad::jacobian::jacobian;
    let (g1, g2) = (Graph::<f64>::new(), Graph::<f64>::new());
    let x = g1.var_named("x", Vector2::new(1.0, 2.0));
    let y = g2.var_named("y", Vector2::new(1.0, 2.0)).sin();
    assert_panics_here(
        "jacobian(y, x) was given vars of two different graphs",
        || {
            next_line_panics(line!());
            _ = jacobian(y, x);
        },
    );
    let c = g1.constant_named("c", Vector2::new(1.0, 2.0));
    let from_c = c.sin();
    assert_panics_here(
        "with respect to `c` (node 1, 2×1), which has no gradient",
        || {
            next_line_panics(line!());
            _ = jacobian(from_c, c);
        },
    );
}

#[test]
fn optimizer_mistakes_name_the_parameter_at_the_callers_line() {
    use shapegrad::optim::{Optimizer, Sgd};
    let g = Graph::<f64>::new();
    let w = g.var_named("w", Matrix1::new(1.0));
    let unnamed = g.var(Matrix1::new(2.0));
    let c = g.constant_named("c", Matrix1::new(3.0));
    let loss = w.component_mul(unnamed) + c;
    let grads = loss.backward();
    let mut optimizer = Optimizer::new(Sgd { lr: 0.1 });
    assert_panics_here("was given the parameter `w` (node 0, 1×1) twice", || {
        next_line_panics(line!());
        optimizer.step(&(w, w), &grads);
    });
    assert_panics_here("was given the parameter node 1 (var, 1×1) twice", || {
        next_line_panics(line!());
        optimizer.step(&[unnamed, unnamed], &grads);
    });
    assert_panics_here("Optimizer::step: `c` (node 2, 1×1) is a constant", || {
        next_line_panics(line!());
        optimizer.step(&(w, c), &grads);
    });
    let other = Graph::<f64>::new();
    let stranger = other.var_named("stranger", Matrix1::new(0.0));
    assert_panics_here("`stranger` (node 0, 1×1) belongs to another graph", || {
        next_line_panics(line!());
        optimizer.step(&stranger, &grads);
    });
    let clipped = Optimizer::new(Sgd { lr: 0.1 }).with_clip_norm(1.0);
    let mut clipped = clipped;
    assert_panics_here("`c` (node 2, 1×1) is a constant", || {
        next_line_panics(line!());
        clipped.step(&c, &grads);
    });
}

#[test]
fn schedules_report_the_callers_line() {
    use shapegrad::optim::{Optimizer, Schedule, Sgd};
    assert_panics_here("StepDecay needs every ≥ 1", || {
        next_line_panics(line!());
        _ = Optimizer::new(Sgd { lr: 0.1_f64 }).with_schedule(Schedule::StepDecay {
            every: 0,
            gamma: 0.5,
        });
    });
}

#[cfg(feature = "data")]
#[test]
fn data_sets_report_the_callers_line() {
    use shapegrad::data::Dataset;
    let mut data = Dataset::<f64, 1, 3>::new();
    data.push_class(&Matrix1::new(0.5), 2);
    assert_panics_here(
        "class 3 is out of range for a data set of 3 classes",
        || {
            next_line_panics(line!());
            data.push_class(&Matrix1::new(0.5), 3);
        },
    );
    assert_panics_here("row 1 of a data set of 1 rows", || {
        next_line_panics(line!());
        _ = data.input(1);
    });
    assert_panics_here("split_at(2) of a data set of 1 rows", || {
        next_line_panics(line!());
        _ = data.split_at(2);
    });
}

#[test]
fn a_matrix_jacobian_entry_out_of_range_is_reported_at_the_callers_line() {
    let g = Graph::<f64>::new();
    let x = g.var(Matrix2::identity());
    let jac = shapegrad::jacobian::matrix_jacobian(x.transpose(), x);
    assert_panics_here(
        "output entry (2, 0) is out of range for a 2×2 output",
        || {
            next_line_panics(line!());
            _ = jac.get(2, 0, 0, 0);
        },
    );
    assert_panics_here(
        "input entry (0, 3) is out of range for a 2×2 input",
        || {
            next_line_panics(line!());
            _ = jac.get(0, 0, 0, 3);
        },
    );
}

#[test]
fn a_learning_rate_that_is_not_finite_or_is_negative_is_rejected_at_the_callers_line() {
    use shapegrad::optim::{Adam, Momentum, Optimizer, Schedule, Sgd};
    let g = Graph::<f64>::new();
    let w = g.var_named("w", Vector2::new(1.0, 2.0));
    let loss = w.norm_squared();
    for lr in [f64::NAN, f64::INFINITY, -0.1] {
        let grads = loss.backward();
        let needle = format!("the learning rate is {lr}");
        let mut sgd = Optimizer::new(Sgd { lr });
        assert_panics_here(&needle, || {
            next_line_panics(line!());
            sgd.step(&w, &grads);
        });
        let mut adam = Optimizer::new(Adam {
            lr,
            ..Adam::default()
        });
        assert_panics_here(&needle, || {
            next_line_panics(line!());
            adam.step(&w, &grads);
        });
        let mut momentum = Optimizer::new(Momentum { lr, momentum: 0.9 });
        assert_panics_here(&needle, || {
            next_line_panics(line!());
            momentum.step_param(w, &Vector2::new(1.0, 1.0));
        });
        drop(grads);
        assert_eq!(w.value(), Vector2::new(1.0, 2.0), "stepped with lr = {lr}");
    }
    // A schedule whose output goes bad at step 3.
    let schedule = Schedule::Custom(|t| if t < 3 { 1.0 } else { f64::NAN });
    let mut optimizer = Optimizer::new(Sgd { lr: 0.01 }).with_schedule(schedule);
    for _ in 0..3 {
        optimizer.step(&w, &loss.backward());
    }
    let before = w.value();
    let grads = loss.backward();
    assert_panics_here("the schedule gives step 3 the learning rate NaN", || {
        next_line_panics(line!());
        optimizer.step(&w, &grads);
    });
    drop(grads);
    assert_eq!(w.value(), before);
}

#[test]
fn a_block_that_does_not_fit_and_stacking_across_graphs_are_reported_at_the_callers_line() {
    let (g1, g2) = (Graph::<f64>::new(), Graph::<f64>::new());
    let a = g1.var(nalgebra::Matrix3::zeros());
    let b = g1.var(Matrix2::zeros());
    assert_panics_here(
        "a 2×2 block at (2, 1) does not fit in a 3×3 matrix",
        || {
            next_line_panics(line!());
            _ = a.with_block(2, 1, b);
        },
    );
    let (x, y) = (
        g1.var(Vector2::zeros()),
        g2.var_named("y", Vector2::zeros()),
    );
    assert_panics_here("`with_block` was given `y`", || {
        next_line_panics(line!());
        let _: shapegrad::Var<'_, f64, 4, 1> = shapegrad::Var::vstack_array([x, y]);
    });
}

#[test]
fn a_jacobian_over_several_vars_with_a_late_input_is_reported_at_the_callers_line() {
    let g = Graph::<f64>::new();
    let x = g.var(Vector2::new(1.0, 2.0));
    let y = x.component_mul(x);
    let late = g.var_named("late", Vector2::zeros());
    assert_panics_here("recorded before the input x = `late`", || {
        next_line_panics(line!());
        _ = shapegrad::jacobian::jacobian(y, (x, late));
    });
}
