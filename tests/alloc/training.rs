//! A mini-batch training step allocates nothing once the first two steps have run — drawing the
//! batch, loading it, the backward pass with its blocked products (whose packing buffers
//! belong to the thread), AdamW with a schedule and clipping.

#[path = "../../examples/digits.rs"]
#[allow(dead_code)]
mod digits;

use crate::counting::allocations;
use digits::{B, STEPS_PER_EPOCH, Settings, Trainer};
use shapegrad::Graph;

#[test]
fn digits_training_allocates_nothing_after_the_first_two_steps() {
    let (train, _) = digits::split();
    let settings = Settings {
        clip_norm: 1e-3, // every step is clipped: the clipping path is counted too
        ..Settings::default()
    };
    let g = Graph::<f64>::new();
    let mut trainer = Trainer::new(&g, settings, 0);
    let mut batches = train.batches::<B>().shuffle(3);
    // The first step creates the gradient buffers, the optimizer states and the scratch
    // matrices of the clipped update; the second caches the loss's backward plan.
    let first = batches.epoch(0).next().unwrap();
    assert!(allocations(|| _ = trainer.step(&first)) > 0);
    _ = trainer.step(&first);
    let mut clipped = 0;
    let n = allocations(|| {
        for epoch in 0..2 {
            for batch in batches.epoch(epoch) {
                let (_, info) = trainer.step(&batch);
                clipped += usize::from(info.clipped());
            }
        }
    });
    // X·W1 (32×64·64×128) forward and Xᵀ·dH (64×32·32×128) backward take the blocked GEMM;
    // with matrixmultiply they allocated a packing buffer each, 2 per step.
    let steps = 2 * STEPS_PER_EPOCH as usize;
    assert_eq!(n, 0, "{n} allocations in {steps} steps");
    assert_eq!(clipped, steps);
}

#[test]
fn a_model_of_small_products_trains_without_allocating() {
    use shapegrad::data::{BatchVars, Dataset};
    use shapegrad::nn::Dense;
    use shapegrad::optim::{AdamW, Optimizer, Schedule};

    let (x, labels) = shapegrad::datasets::spiral::<60, 3>(0);
    let data = Dataset::from_labels(&x, &labels);
    let g = Graph::<f64>::new();
    let model = (
        Dense::<f64, 2, 12>::new(&g, "a", 1),
        Dense::<f64, 12, 3>::new(&g, "b", 2),
    );
    let batch = BatchVars::<f64, 8, 2, 3>::new(&g);
    let loss = model
        .1
        .forward(model.0.forward(batch.inputs).relu())
        .softmax_cross_entropy_weighted(batch.targets, batch.weights);
    let mut optimizer = Optimizer::new(AdamW::<f64>::default())
        .with_schedule(Schedule::CosineWithWarmup {
            warmup: 5,
            total: 100,
            floor: 0.0,
        })
        .with_clip_norm(1e-3);
    let mut batches = data.batches::<8>().shuffle(1); // 60 rows: the 8th batch is padded
    let mut epoch = |e: u64| {
        for b in batches.epoch(e) {
            batch.load(&b);
            let grads = loss.backward();
            assert!(optimizer.step(&model, &grads).clipped());
        }
    };
    epoch(0);
    let n = allocations(|| (1..4).for_each(&mut epoch));
    assert_eq!(n, 0, "{n} allocations in 24 steps");
}
