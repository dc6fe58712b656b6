//! `cargo bench -p shapegrad-benches --bench training`: mini-batch training throughput of the digits example's MLP
//! (64 → 128 ReLU → 10, batches of 32, weighted softmax cross-entropy, clipping, AdamW with a
//! cosine schedule), shapegrad against the same step written by hand with nalgebra, in the
//! same run; and saving and loading the spiral net's parameters (time and file size).
//!
//! Contenders, one training step each, cycling through shuffled epochs of the training half:
//! - `hand`: nalgebra's static kernels into preallocated buffers (`mul_to`, `tr_mul_to`);
//! - `hand_gemm`: the same, with the two large products through nalgebra's `gemm` on dynamic
//!   views (matrixmultiply's blocked kernel, which shapegrad also uses above 16 per side);
//! - `shapegrad`: the example's `Trainer::step` (load the batch into the graph's constants,
//!   backward, `Optimizer::step`).
//!
//! Before timing, 60 steps of each from the same weights must agree to 1e-9. The run ends
//! with steps/s, samples/s and the ratios of the medians (`ratio shapegrad/hand …`, above 1:
//! shapegrad is slower), then the save/load times and the file size.

#[path = "../support/medians.rs"]
mod medians;

#[path = "../../examples/digits.rs"]
#[allow(dead_code)]
mod digits;
mod hand;

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use digits::{B, STEPS_PER_EPOCH, Settings, Trainer};
use shapegrad::data::{Batch, Dataset};
use shapegrad::nn::{Dense, Init};
use shapegrad::optim::Schedule;
use shapegrad::{Graph, io};

/// Every batch of `epochs` shuffled epochs, drawn once (the contenders cycle through them).
fn batches(train: &Dataset<f64, 64, 10>, seed: u64, epochs: u64) -> Vec<Batch<f64, B, 64, 10>> {
    let mut batches = train.batches::<B>().shuffle(seed);
    (0..epochs)
        .flat_map(|e| batches.epoch(e).collect::<Vec<_>>())
        .collect()
}

fn schedule(settings: &Settings) -> Schedule {
    Schedule::CosineWithWarmup {
        warmup: settings.warmup_epochs * STEPS_PER_EPOCH,
        total: settings.epochs * STEPS_PER_EPOCH,
        floor: 0.0,
    }
}

/// 60 steps of each hand-written variant against shapegrad, from the same weights.
fn check_agreement(train: &Dataset<f64, 64, 10>, settings: Settings) {
    let steps = batches(train, settings.seed, 3);
    for gemm in [false, true] {
        let g = Graph::<f64>::new();
        let mut trainer = Trainer::new(&g, settings, 5);
        let mut by_hand = hand::Hand::new(
            hand::Params::of(&trainer),
            settings,
            schedule(&settings),
            gemm,
        );
        for batch in steps.iter().take(60) {
            let (loss, _) = trainer.step(batch);
            let hand_loss = by_hand.step(batch);
            assert!(
                (loss - hand_loss).abs() < 1e-9,
                "loss {loss} vs {hand_loss}"
            );
        }
        let ours = hand::Params::of(&trainer);
        let theirs = &by_hand.params;
        let diff = (*ours.w1 - *theirs.w1)
            .amax()
            .max((*ours.w2 - *theirs.w2).amax());
        assert!(
            diff < 1e-9,
            "weights differ by {diff} after 60 steps (gemm: {gemm})"
        );
    }
}

fn throughput(c: &mut Criterion) {
    let (train, _) = digits::split();
    let settings = Settings::default();
    check_agreement(&train, settings);
    let steps = batches(&train, settings.seed, settings.epochs);

    let mut group = c.benchmark_group("training_step");
    for gemm in [false, true] {
        let g = Graph::<f64>::new();
        let trainer = Trainer::new(&g, settings, 5);
        let mut by_hand = hand::Hand::new(
            hand::Params::of(&trainer),
            settings,
            schedule(&settings),
            gemm,
        );
        let mut k = 0;
        let name = if gemm { "hand_gemm" } else { "hand" };
        group.bench_function(name, |b| {
            b.iter(|| {
                k = (k + 1) % steps.len();
                black_box(by_hand.step(black_box(&steps[k])))
            })
        });
    }
    let g = Graph::<f64>::new();
    let mut trainer = Trainer::new(&g, settings, 5);
    let mut k = 0;
    group.bench_function("shapegrad", |b| {
        b.iter(|| {
            k = (k + 1) % steps.len();
            black_box(trainer.step(black_box(&steps[k])))
        })
    });
    group.finish();
}

/// The spiral net's four parameters (2 → 100 → 3), named as the spiral example names them.
fn spiral_net(g: &Graph<f64>, seed: u64) -> (Dense<'_, f64, 2, 100>, Dense<'_, f64, 100, 3>) {
    let init = Init::Gaussian { std: 0.01 };
    (
        Dense::with_init(g, "dense1", init, seed),
        Dense::with_init(g, "dense2", init, seed + 1),
    )
}

fn save_load(c: &mut Criterion) {
    let g = Graph::<f64>::new();
    let net = spiral_net(&g, 1);
    let fresh = Graph::<f64>::new();
    let into = spiral_net(&fresh, 7);
    let bytes = io::to_bytes(&net).unwrap();
    let path = medians::output_directory().with_file_name("bench-spiral.safetensors");
    io::save(&net, &path).unwrap();
    io::load(&into, &path).unwrap();
    assert_eq!(into.0.weight.value(), net.0.weight.value());
    let size = std::fs::metadata(&path).unwrap().len();
    println!(
        "\nspiral net parameters: {size} bytes on disk (603 f64 = 4824 bytes of data + header)"
    );
    let mut group = c.benchmark_group("spiral_params");
    group.bench_function("to_bytes", |b| {
        b.iter(|| black_box(io::to_bytes(black_box(&net)).unwrap()))
    });
    group.bench_function("from_bytes", |b| {
        b.iter(|| io::from_bytes(black_box(&into), black_box(&bytes)).unwrap())
    });
    group.bench_function("save_file", |b| {
        b.iter(|| io::save(black_box(&net), &path).unwrap())
    });
    group.bench_function("load_file", |b| {
        b.iter(|| io::load(black_box(&into), &path).unwrap())
    });
    group.finish();
    std::fs::remove_file(&path).unwrap();
}

fn report() {
    println!();
    let hand = medians::median_ns("training_step", "hand");
    for name in ["hand", "hand_gemm", "shapegrad"] {
        if let Some(ns) = medians::median_ns("training_step", name) {
            let steps = 1e9 / ns;
            println!(
                "{name:>10}: {:8.1} µs per step, {steps:8.0} steps/s, {:9.0} samples/s",
                ns / 1e3,
                steps * B as f64
            );
        }
    }
    if let (Some(ours), Some(hand), Some(gemm)) = (
        medians::median_ns("training_step", "shapegrad"),
        hand,
        medians::median_ns("training_step", "hand_gemm"),
    ) {
        println!("ratio shapegrad/hand {:.2} (target ≤ 1.0)", ours / hand);
        println!("ratio shapegrad/hand_gemm {:.2}", ours / gemm);
    }
    for name in ["to_bytes", "from_bytes", "save_file", "load_file"] {
        if let Some(ns) = medians::median_ns("spiral_params", name) {
            println!("spiral params {name}: {:.1} µs", ns / 1e3);
        }
    }
}

fn main() {
    let mut c = Criterion::default()
        .output_directory(&medians::output_directory())
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    throughput(&mut c);
    save_load(&mut c);
    Criterion::final_summary(&c);
    report();
}
