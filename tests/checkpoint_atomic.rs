//! (A test binary of its own, outside `tests/integration/`: it re-executes itself under a
//! file-size limit.)
//!
//! Checkpoints are written atomically and checked when read back.
//!
//! `io::save` and `Optimizer::save_state` write a temporary file in the target's directory,
//! flush and sync it, then rename it over the target: an overwrite that fails midway leaves
//! the last good checkpoint as it was, and removes the temporary. The failure is real here:
//! this binary runs itself again as a child process under a file-size limit of 4 KiB
//! (`ulimit -f 4`, with SIGXFSZ ignored so that the write fails with EFBIG instead of killing
//! the process), and the child's overwrite of a 100 KB checkpoint must fail that way.
//!
//! A file also carries a CRC-32 of its tensors in its metadata, which loading verifies: a
//! flipped data byte is a `LoadError`, and a file without a checksum still loads.
//!
//! Its own `main` (harness = false): the parent checks, or, with `SHAPEGRAD_ATOMIC_CHILD` set to
//! a directory, the child's overwrite.

use std::path::{Path, PathBuf};
use std::process::Command;

use shapegrad::Graph;
use shapegrad::io::{self, LoadError};
use shapegrad::nn::Dense;
use shapegrad::optim::{Adam, Optimizer};

/// The child's directory, when this process is the child.
const CHILD: &str = "SHAPEGRAD_ATOMIC_CHILD";

/// The model: 2 × (80×80 + 1×80) f64, about 104 KB in a file.
type Model<'g> = (Dense<'g, f64, 80, 80>, Dense<'g, f64, 80, 80>);

fn model(g: &Graph<f64>, seed: u64) -> Model<'_> {
    (
        Dense::new(g, "first", seed),
        Dense::new(g, "second", seed + 1),
    )
}

/// A model and an Adam optimizer stepped three times on it (so its state is not zeros).
fn trained(g: &Graph<f64>, seed: u64) -> (Model<'_>, Optimizer<f64, Adam<f64>>) {
    let m = model(g, seed);
    let x = g.constant(nalgebra::SMatrix::<f64, 4, 80>::from_fn(|r, c| {
        ((r * 7 + c) % 11) as f64 / 11.0 - 0.5
    }));
    let loss = m.1.forward(m.0.forward(x).tanh()).square().sum();
    let mut optimizer = Optimizer::new(Adam::default());
    for _ in 0..3 {
        optimizer.step(&m, &loss.backward());
    }
    (m, optimizer)
}

fn paths(dir: &Path) -> (PathBuf, PathBuf) {
    (
        dir.join("model.safetensors"),
        dir.join("optimizer.safetensors"),
    )
}

/// The names of the files in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The child: overwrites both checkpoints with another model's, under the file-size limit;
/// prints what each save returned and exits 0 if both failed with an I/O error.
fn child(dir: &Path) -> ! {
    let g = Graph::<f64>::new();
    let (m, optimizer) = trained(&g, 100);
    let (model_path, state_path) = paths(dir);
    let saved = io::save(&m, &model_path);
    let state = optimizer.save_state(&m, &state_path);
    println!("io::save: {saved:?}");
    println!("save_state: {state:?}");
    let io_error = |r: &Result<(), io::SaveError>| matches!(r, Err(io::SaveError::Io(_)));
    std::process::exit(if io_error(&saved) && io_error(&state) {
        0
    } else {
        1
    });
}

fn an_overwrite_cut_short_leaves_the_old_checkpoint_and_no_temporary(dir: &Path) {
    let g = Graph::<f64>::new();
    let (m, optimizer) = trained(&g, 1);
    let (model_path, state_path) = paths(dir);
    io::save(&m, &model_path).unwrap();
    optimizer.save_state(&m, &state_path).unwrap();
    let (model_before, state_before) = (
        std::fs::read(&model_path).unwrap(),
        std::fs::read(&state_path).unwrap(),
    );
    assert!(model_before.len() > 100_000, "{} bytes", model_before.len());
    assert!(state_before.len() > 200_000, "{} bytes", state_before.len());
    let files = listing(dir);

    let exe = std::env::current_exe().unwrap();
    let output = Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -f 4 && trap '' XFSZ && exec "$0""#)
        .arg(&exe)
        .env(CHILD, dir)
        .output()
        .expect("sh runs");
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the child's saves did not both fail with an I/O error ({}):\n{said}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(said.contains("File too large"), "{said}");

    assert_eq!(listing(dir), files, "a temporary file was left behind");
    let model_after = std::fs::read(&model_path).unwrap();
    assert!(
        model_after == model_before,
        "the old model checkpoint was changed: {} bytes now, {} before",
        model_after.len(),
        model_before.len()
    );
    let state_after = std::fs::read(&state_path).unwrap();
    assert!(
        state_after == state_before,
        "the old optimizer checkpoint was changed: {} bytes now, {} before",
        state_after.len(),
        state_before.len()
    );
    // And it still loads.
    let fresh = Graph::<f64>::new();
    let again = model(&fresh, 7);
    io::load(&again, &model_path).unwrap();
    assert_eq!(again.1.weight.value(), m.1.weight.value());
}

fn a_successful_overwrite_replaces_the_file_and_leaves_nothing_else(dir: &Path) {
    let (model_path, state_path) = paths(dir);
    let files = listing(dir);
    let g = Graph::<f64>::new();
    let (m, optimizer) = trained(&g, 50);
    io::save(&m, &model_path).unwrap();
    optimizer.save_state(&m, &state_path).unwrap();
    assert_eq!(listing(dir), files);
    assert_same_file(
        &std::fs::read(&model_path).unwrap(),
        &io::to_bytes(&m).unwrap(),
    );
    assert_same_file(
        &std::fs::read(&state_path).unwrap(),
        &optimizer.state_to_bytes(&m).unwrap(),
    );
}

/// Two safetensors files hold the same header (as JSON: safetensors writes the metadata map
/// in hash order, which differs between two writes) and the same data bytes.
fn assert_same_file(a: &[u8], b: &[u8]) {
    let header = |bytes: &[u8]| -> serde_json::Value {
        serde_json::from_slice(&bytes[8..data_start(bytes)]).unwrap()
    };
    assert_eq!(header(a), header(b));
    assert!(a[data_start(a)..] == b[data_start(b)..], "the data differ");
}

/// The offset of the data (after the 8-byte length and the JSON header).
fn data_start(bytes: &[u8]) -> usize {
    8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize
}

fn a_flipped_data_byte_is_a_load_error(dir: &Path) {
    let (model_path, state_path) = paths(dir);
    let g = Graph::<f64>::new();
    let (m, optimizer) = trained(&g, 3);
    let bytes = io::to_bytes(&m).unwrap();
    let header = std::str::from_utf8(&bytes[8..data_start(&bytes)]).unwrap();
    assert!(header.contains("\"shapegrad.crc32\""), "{header}");
    let fresh = Graph::<f64>::new();
    let again = model(&fresh, 9);
    let before = again.0.weight.value();
    for at in [data_start(&bytes), bytes.len() / 2, bytes.len() - 1] {
        let mut corrupt = bytes.clone();
        corrupt[at] ^= 0x10;
        let err = io::from_bytes(&again, &corrupt).unwrap_err();
        assert!(matches!(err, LoadError::Checksum { .. }), "{err:?}");
        let message = err.to_string();
        assert!(
            message.starts_with("the tensors do not match the file's checksum"),
            "{message}"
        );
        assert_eq!(
            again.0.weight.value(),
            before,
            "loaded despite the checksum"
        );
    }
    // On disk, and an optimizer's state too.
    std::fs::write(&model_path, {
        let mut b = bytes.clone();
        b[bytes.len() - 3] ^= 1;
        b
    })
    .unwrap();
    assert!(matches!(
        io::load(&again, &model_path),
        Err(LoadError::Checksum { .. })
    ));
    let mut state = optimizer.state_to_bytes(&m).unwrap();
    let last = state.len() - 1;
    state[last] ^= 0x80;
    std::fs::write(&state_path, &state).unwrap();
    let mut resumed = Optimizer::new(Adam::<f64>::default());
    assert!(matches!(
        resumed.load_state(&again, &state_path),
        Err(LoadError::Checksum { .. })
    ));
}

fn a_file_without_a_checksum_still_loads() {
    // A safetensors file as other tools write it: no metadata at all.
    let header = r#"{"w":{"dtype":"F64","shape":[1,2],"data_offsets":[0,16]}}"#;
    let mut header = header.as_bytes().to_vec();
    while !(8 + header.len()).is_multiple_of(8) {
        header.push(b' ');
    }
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(&header);
    bytes.extend_from_slice(&1.5f64.to_le_bytes());
    bytes.extend_from_slice(&(-2.0f64).to_le_bytes());
    let g = Graph::<f64>::new();
    let w = g.var_named("w", nalgebra::Matrix1x2::zeros());
    io::from_bytes(&w, &bytes).unwrap();
    assert_eq!(w.value(), nalgebra::Matrix1x2::new(1.5, -2.0));
}

fn main() {
    if let Some(dir) = std::env::var_os(CHILD) {
        child(Path::new(&dir));
    }
    let dir = std::env::temp_dir().join(format!("shapegrad-atomic-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    an_overwrite_cut_short_leaves_the_old_checkpoint_and_no_temporary(&dir);
    println!("ok: an overwrite cut short leaves the old checkpoint and no temporary");
    a_successful_overwrite_replaces_the_file_and_leaves_nothing_else(&dir);
    println!("ok: a successful overwrite replaces the file and leaves nothing else");
    a_flipped_data_byte_is_a_load_error(&dir);
    println!("ok: a flipped data byte is a load error");
    a_file_without_a_checksum_still_loads();
    println!("ok: a file without a checksum still loads");
    std::fs::remove_dir_all(&dir).unwrap();
}
