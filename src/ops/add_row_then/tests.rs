use nalgebra::{Matrix1x4, SMatrix};

use super::AddRowThen;
use crate::diff::testing::{away_from_zero, check_binary, random, rng};
use crate::graph::Graph;
use crate::ops::{Relu, Sigmoid, Tanh};

#[test]
fn gradcheck_each_activation() {
    let mut rng = rng(250);
    let (z, b) = (
        random::<5, 4>(&mut rng).scale(2.0),
        random::<1, 4>(&mut rng),
    );
    check_binary(AddRowThen(Tanh), AddRowThen(Tanh), z, b);
    check_binary(AddRowThen(Sigmoid), AddRowThen(Sigmoid), z, b);
    // Away from ReLU's kink: b = 0 and |z| ≥ 0.05.
    check_binary(
        AddRowThen(Relu),
        AddRowThen(Relu),
        away_from_zero(z, 0.05),
        Matrix1x4::zeros(),
    );
}

/// The fused op against `add_row` then the activation, on a graph: values and gradients of
/// `z` and `b` (the forward values are the same computation, so they are equal).
fn same_as_unfused<const R: usize, const C: usize>(seed: u64) {
    let mut rng = rng(seed);
    let g = Graph::<f64>::new();
    let z = g.var(random::<R, C>(&mut rng).scale(2.0));
    let b = g.var(random::<1, C>(&mut rng));
    let upstream = g.constant(random::<R, C>(&mut rng));
    let pairs = [
        (z.add_row_then(b, Tanh), z.add_row(b).tanh()),
        (z.add_row_then(b, Sigmoid), z.add_row(b).sigmoid()),
        (z.add_row_then(b, Relu), z.add_row(b).relu()),
    ];
    for (fused, plain) in pairs {
        assert_eq!(fused.value(), plain.value());
        let want = plain.component_mul(upstream).sum().backward();
        let (want_z, want_b) = (*want.wrt(z), *want.wrt(b));
        drop(want);
        let got = fused.component_mul(upstream).sum().backward();
        assert!((got.wrt(z) - want_z).amax() <= 1e-15, "dZ");
        assert!(
            (got.wrt(b) - want_b).amax() <= 1e-13 * want_b.amax().max(1.0),
            "dB"
        );
    }
}

#[test]
fn values_and_gradients_are_those_of_add_row_then_the_activation() {
    same_as_unfused::<3, 2>(251);
    same_as_unfused::<70, 9>(252); // long columns: the vectorised kernels and sums
}

#[test]
fn a_matrix_and_a_bias_used_twice_add_their_gradients() {
    // y = tanh(z + b) + relu(z + b): both uses add into dZ and dB.
    let mut rng = rng(253);
    let g = Graph::<f64>::new();
    let z = g.var(random::<6, 3>(&mut rng));
    let b = g.var(random::<1, 3>(&mut rng));
    let fused = (z.add_row_then(b, Tanh) + z.add_row_then(b, Relu))
        .sum()
        .backward();
    let (f_z, f_b) = (*fused.wrt(z), *fused.wrt(b));
    drop(fused);
    let plain = (z.add_row(b).tanh() + z.add_row(b).relu()).sum().backward();
    assert!((f_z - plain.wrt(z)).amax() <= 1e-15);
    assert!((f_b - plain.wrt(b)).amax() <= 1e-14);
}

#[test]
fn a_constant_matrix_gets_no_gradient_and_the_bias_still_does() {
    let g = Graph::<f32>::new();
    let z = g.constant(SMatrix::<f32, 2, 2>::new(1.0, -1.0, 0.0, 2.0));
    let b = g.var(nalgebra::Matrix1x2::new(0.0, -1.0));
    let grads = z.add_row_then(b, Relu).sum().backward();
    // Column 0: z + b = (1, 0) → one positive; column 1: (−2, 1) → one positive.
    assert_eq!(*grads.wrt(b), nalgebra::Matrix1x2::new(1.0, 1.0));
}
