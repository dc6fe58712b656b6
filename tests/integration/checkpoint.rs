//! Saving and loading: parameters by name, the errors that refuse a file that does not fit
//! (and leave the model untouched), and an exact resume of training from a checkpoint.

#[path = "../../examples/digits.rs"]
#[allow(dead_code)]
mod digits;

use digits::{Settings, Trainer};
use nalgebra::{Matrix1x3, Matrix2, Matrix2x3, Matrix3x2};
use shapegrad::Graph;
use shapegrad::io::{self, LoadError, SaveError};
use shapegrad::nn::Dense;
use shapegrad::optim::{Adam, Momentum, Optimizer};

#[test]
fn a_saved_model_loads_into_a_fresh_one_on_another_graph() {
    let g = Graph::<f64>::new();
    let model = (
        Dense::<f64, 3, 2>::new(&g, "a", 1),
        Dense::<f64, 2, 1>::new(&g, "b", 2),
    );
    model.0.bias.set_value(nalgebra::Matrix1x2::new(0.5, -0.25));
    let bytes = io::to_bytes(&model).unwrap();
    let fresh = Graph::<f64>::new();
    let again = (
        Dense::<f64, 3, 2>::new(&fresh, "a", 9),
        Dense::<f64, 2, 1>::new(&fresh, "b", 9),
    );
    assert_ne!(again.0.weight.value(), model.0.weight.value());
    io::from_bytes(&again, &bytes).unwrap();
    assert_eq!(again.0.weight.value(), model.0.weight.value());
    assert_eq!(again.0.bias.value(), model.0.bias.value());
    assert_eq!(again.1.weight.value(), model.1.weight.value());
    // A file on disk too.
    let path =
        std::env::temp_dir().join(format!("shapegrad-ckpt-{}.safetensors", std::process::id()));
    io::save(&model, &path).unwrap();
    let third = Graph::<f64>::new();
    let loaded = (
        Dense::<f64, 3, 2>::new(&third, "a", 5),
        Dense::<f64, 2, 1>::new(&third, "b", 5),
    );
    io::load(&loaded, &path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(loaded.1.bias.value(), model.1.bias.value());
}

#[test]
fn matrices_are_stored_row_by_row_with_their_shape() {
    let g = Graph::<f64>::new();
    let w = g.var_named("w", Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
    let bytes = io::to_bytes(&w).unwrap();
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + header_len]).unwrap();
    assert!(
        header.contains(r#""w":{"dtype":"F64","shape":[2,3],"data_offsets":[0,48]}"#),
        "{header}"
    );
    let data: Vec<f64> = bytes[8 + header_len..]
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
        .collect();
    assert_eq!(data, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]); // numpy's and PyTorch's order
}

/// A file holding `w` (2×2, f64) and `b` (1×3, f64).
fn file() -> Vec<u8> {
    let g = Graph::<f64>::new();
    let w = g.var_named("w", Matrix2::new(1.0, 2.0, 3.0, 4.0));
    let b = g.var_named("b", Matrix1x3::new(5.0, 6.0, 7.0));
    io::to_bytes(&(w, b)).unwrap()
}

#[test]
fn a_missing_name_is_refused_and_nothing_is_loaded() {
    let g = Graph::<f64>::new();
    let w = g.var_named("w", Matrix2::zeros());
    let b = g.var_named("b", Matrix1x3::zeros());
    let extra = g.var_named("extra", Matrix2::zeros());
    let err = io::from_bytes(&(w, b, extra), &file()).unwrap_err();
    assert!(
        matches!(&err, LoadError::Missing { name, expected } if name == "extra" && expected == &[2, 2])
    );
    assert_eq!(
        err.to_string(),
        "the file has no tensor `extra` (the model expects one of shape [2, 2])"
    );
    assert_eq!(w.value(), Matrix2::zeros()); // read before `extra`, but not written
}

#[test]
fn a_wrong_shape_is_refused_and_nothing_is_loaded() {
    let g = Graph::<f64>::new();
    let w = g.var_named("w", Matrix2::zeros());
    let b = g.var_named("b", Matrix3x2::zeros()); // the file's b is 1×3
    let err = io::from_bytes(&(w, b), &file()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "tensor `b` has shape [1, 3] in the file, but the parameter is 3×2"
    );
    assert_eq!(w.value(), Matrix2::zeros());
}

#[test]
fn a_wrong_dtype_is_refused() {
    let g = Graph::<f32>::new();
    let w = g.var_named("w", Matrix2::<f32>::zeros());
    let b = g.var_named("b", Matrix1x3::<f32>::zeros());
    let err = io::from_bytes(&(w, b), &file()).unwrap_err();
    assert!(matches!(&err, LoadError::WrongDtype { expected: "F32", found, .. } if found == "F64"));
    assert_eq!(
        err.to_string(),
        "tensor `w` holds F64 in the file, but the graph needs F32"
    );
    assert_eq!(w.value(), Matrix2::zeros());
}

#[test]
fn tensors_the_model_lacks_are_refused() {
    let g = Graph::<f64>::new();
    let w = g.var_named("w", Matrix2::zeros());
    let err = io::from_bytes(&w, &file()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the file has 1 tensor(s) the model does not: b"
    );
    assert_eq!(w.value(), Matrix2::zeros());
    let err = io::from_bytes(&w, b"not a safetensors file").unwrap_err();
    assert!(matches!(err, LoadError::Format(_)), "{err}");
}

#[test]
fn unnamed_and_repeated_names_cannot_be_saved() {
    let g = Graph::<f64>::new();
    let unnamed = g.var(Matrix2::<f64>::zeros());
    let err = io::to_bytes(&unnamed).unwrap_err();
    assert!(matches!(
        err,
        SaveError::Unnamed {
            node: 0,
            shape: (2, 2)
        }
    ));
    assert!(err.to_string().contains("has no name to save it under"));
    let (a, b) = (
        Dense::<f64, 2, 2>::new(&g, "same", 0),
        Dense::<f64, 2, 2>::new(&g, "same", 1),
    );
    let err = io::to_bytes(&(a, b)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "two parameters are named `same.weight`; give each layer its own name"
    );
}

#[test]
fn an_optimizer_state_of_another_rule_is_refused() {
    let g = Graph::<f64>::new();
    let w = g.var_named("w", Matrix2::<f64>::repeat(1.0));
    let mut adam = Optimizer::new(Adam::<f64>::default());
    adam.step(&w, &w.norm_squared().backward());
    let saved = adam.state_to_bytes(&w).unwrap();
    let mut momentum = Optimizer::new(Momentum::<f64>::default());
    let err = momentum.state_from_bytes(&w, &saved).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the file holds the state of a Adam optimizer, but this optimizer's rule is Momentum"
    );
    // A parameter file is not an optimizer state.
    let err = adam
        .state_from_bytes(&w, &io::to_bytes(&w).unwrap())
        .unwrap_err();
    assert!(matches!(err, LoadError::WrongRule { .. }));
    assert_eq!(adam.steps(), 1); // untouched
}

/// The digits model's weights after `steps` training steps, resumed from a checkpoint after
/// `resume_at` of them if given (`load_optimizer`: whether the optimizer state is restored).
fn train(steps: u64, resume_at: Option<(u64, bool)>) -> Vec<f64> {
    let (data, _) = digits::split();
    let settings = Settings {
        epochs: 10,
        ..Settings::default()
    };
    let g = Graph::<f64>::new();
    let mut trainer = Trainer::new(&g, settings, 1);
    let Some((at, load_optimizer)) = resume_at else {
        trainer.run(&data, 0..steps, |_, _, _, _| {});
        return weights(&trainer);
    };
    trainer.run(&data, 0..at, |_, _, _, _| {});
    let model = io::to_bytes(&trainer.mlp).unwrap();
    let state = trainer.optimizer.state_to_bytes(&trainer.mlp).unwrap();
    drop(trainer);
    drop(g);

    // A new graph, a model with other initial weights, a new optimizer.
    let g = Graph::<f64>::new();
    let mut resumed = Trainer::new(&g, settings, 77);
    io::from_bytes(&resumed.mlp, &model).unwrap();
    if load_optimizer {
        resumed
            .optimizer
            .state_from_bytes(&resumed.mlp, &state)
            .unwrap();
        assert_eq!(resumed.optimizer.steps(), at);
    }
    resumed.run(&data, at..steps, |_, _, _, _| {});
    weights(&resumed)
}

fn weights(trainer: &Trainer<'_>) -> Vec<f64> {
    let mlp = &trainer.mlp;
    let mut all = mlp.hidden.weight.value().as_slice().to_vec();
    all.extend_from_slice(mlp.hidden.bias.value().as_slice());
    all.extend_from_slice(mlp.out.weight.value().as_slice());
    all.extend_from_slice(mlp.out.bias.value().as_slice());
    all
}

/// The steps in all and the step the run resumes at. In a release build (CI's
/// `cargo test --release --test integration -- … checkpoint::`) 100 steps (3 epochs and 13
/// batches of the 4th: the resume falls inside an epoch), then 100 more. A debug build, where
/// the three runs of 200 steps took over 20 s, resumes after 45 steps (1 epoch and 16 batches:
/// inside an epoch and inside the 58 steps of warmup) and runs to 80 (past an epoch's end and
/// the warmup's).
const STEPS: (u64, u64) = if cfg!(debug_assertions) {
    (80, 45)
} else {
    (200, 100)
};

#[test]
fn training_resumed_from_a_checkpoint_is_bit_identical_to_training_straight() {
    // With AdamW, a cosine schedule with warmup, clipping and shuffled batches.
    let (steps, at) = STEPS;
    let straight = train(steps, None);
    let resumed = train(steps, Some((at, true)));
    assert_eq!(straight, resumed);
    // The test can fail: without the optimizer's state (moments, step counts, the schedule's
    // step) the weights differ.
    let without_state = train(steps, Some((at, false)));
    assert_ne!(straight, without_state);
}
