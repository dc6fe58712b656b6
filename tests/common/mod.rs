//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test binary uses its own subset

use nalgebra::SMatrix;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// A matrix with entries uniform in [-1, 1), drawn from `rng`.
pub fn random_from<const R: usize, const C: usize>(rng: &mut StdRng) -> SMatrix<f64, R, C> {
    SMatrix::from_fn(|_, _| rng.random_range(-1.0..1.0))
}

/// A matrix with entries uniform in [-1, 1), from a generator seeded with `seed`.
pub fn random<const R: usize, const C: usize>(seed: u64) -> SMatrix<f64, R, C> {
    random_from(&mut StdRng::seed_from_u64(seed))
}

/// |a − b| ≤ tol entry by entry (column-major index in the message).
pub fn assert_close<const R: usize, const C: usize>(
    a: &SMatrix<f64, R, C>,
    b: &SMatrix<f64, R, C>,
    tol: f64,
) {
    for (k, (x, y)) in a.iter().zip(b.iter()).enumerate() {
        assert!(
            (x - y).abs() <= tol,
            "entry {k}: {x} vs {y} (tolerance {tol})"
        );
    }
}
