//! The course notes' spiral network at full size (N = 300 samples, 2 → 100 ReLU → 3, softmax
//! cross-entropy + L2) builds, runs forward and backward, and replays on a default 2 MiB test
//! thread stack in a debug build: its 300×100 matrices (240 KB each in f64) live on the heap,
//! and no op copies one through the stack more than the thread can hold.

use crate::common;

use common::{SpiralNet, spiral_net};
use shapegrad::Graph;

fn spiral_step() {
    let g = Graph::<f64>::new();
    let SpiralNet {
        loss, w1, b2, w2, ..
    } = spiral_net(&g);
    let first = loss.value()[0];
    assert!(first.is_finite());
    {
        let grads = loss.backward();
        assert!(grads.wrt(w1).iter().all(|v| v.is_finite()));
        assert!(grads.wrt(b2).iter().all(|v| v.is_finite()));
    }
    // Replay with new parameters.
    w1.update_value(|w| *w *= 2.0);
    let grads = loss.backward();
    assert!(grads.wrt(w2).iter().all(|v| v.is_finite()));
}

#[test]
fn the_spiral_network_runs_on_a_two_mebibyte_stack() {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(spiral_step)
        .unwrap()
        .join()
        .unwrap();
}
