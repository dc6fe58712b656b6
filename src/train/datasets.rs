//! Small data sets for examples and tests: the course notes' synthetic spiral, and UCI's
//! optical digits, a real one. Feature `data` (on by default).

use nalgebra::SMatrix;

use crate::kernels::rng::Rng;
use crate::ops::Labels;
use crate::train::data::Dataset;

/// The 1797 rows of `data/digits/digits.csv`, compiled in.
const DIGITS_CSV: &str = include_str!("../../data/digits/digits.csv");

/// UCI's optical recognition of handwritten digits (test set, 1797 samples): 8×8 images of
/// digits written by 13 people, each pixel the count of "on" pixels in a 4×4 block of a
/// 32×32 bitmap, 0 to 16; the label is the digit. A real data set, not made here, compiled into
/// the library (265 KB of text, parsed on each call, about a millisecond in a release build).
///
/// Row `n` holds the image row by row (pixel `(r, c)` is input `8·r + c`), unscaled, in the
/// file's order; see `data/digits/SOURCE.md` for where the file comes from (scikit-learn's copy,
/// BSD-3), its licence and published accuracies.
///
/// ```
/// let digits = shapegrad::datasets::digits();
/// assert_eq!(digits.len(), 1797);
/// assert_eq!(digits.class(0), 0);
/// assert_eq!(digits.input(0)[2], 5.0); // the first image's third pixel
/// ```
pub fn digits() -> Dataset<f64, 64, 10> {
    Dataset::from_csv_classes(DIGITS_CSV, false)
        .expect("data/digits/digits.csv is a well-formed CSV of 64 pixels and a digit per line")
}

/// The course notes' spiral data set: `K` interleaved spiral arms in the plane, `N / K` points
/// per arm, one point per row of the N×2 matrix, with the arm's index as its label.
///
/// Point `i` of arm `j` (with `P = N / K` points per arm, `i` in `0..P`) is
///
/// ```text
/// r = i / (P − 1)                                   radius, 0 to 1 (linspace)
/// θ = 4j + 4·i / (P − 1) + 0.2·z,  z ~ N(0, 1)      angle, 4j to 4(j + 1) (linspace) plus noise
/// (x₀, x₁) = (r·sin θ, r·cos θ)
/// ```
///
/// Rows are grouped by arm: rows `j·P .. (j + 1)·P` are arm `j`. The noise `z` of row after
/// row comes from shapegrad's own generator seeded with `seed` (xoshiro256++ seeded by
/// SplitMix64, Marsaglia's polar method; see [`Init`](crate::nn::Init) for the details):
/// the same seed gives the same noise, bit for bit, on every platform and with every version
/// of every dependency. The points are `sin` and `cos` of it, computed by `std`, whose last bit
/// may differ between platforms' math libraries. `N` must be a
/// positive multiple of `K` with at least 2 points per arm (a const assertion when the
/// function is built). The classic set is `spiral::<300, 3>`, which no linear classifier
/// separates well and a small two-layer net separates almost perfectly.
///
/// ```
/// let (x, labels) = shapegrad::datasets::spiral::<300, 3>(0);
/// assert_eq!(labels.as_array()[99..101], [0, 1]);        // 100 points per arm
/// assert_eq!((x[(0, 0)], x[(0, 1)]), (0.0, 0.0));        // every arm starts at the centre
/// assert!(x.row_iter().all(|p| p.norm() <= 1.0 + 1e-12)); // and stays in the unit disc
/// ```
pub fn spiral<const N: usize, const K: usize>(seed: u64) -> (SMatrix<f64, N, 2>, Labels<N, K>) {
    const {
        assert!(
            K > 0 && N.is_multiple_of(K) && N / K >= 2,
            "shapegrad: spiral::<N, K> needs N a multiple of K with at least 2 points per arm"
        )
    };
    let per_arm = N / K;
    let last = (per_arm - 1) as f64;
    let mut rng = Rng::new(seed);
    let mut x = SMatrix::<f64, N, 2>::zeros();
    for row in 0..N {
        let (arm, i) = (row / per_arm, row % per_arm);
        let r = i as f64 / last;
        let noise = rng.normal();
        let theta = 4.0 * arm as f64 + 4.0 * i as f64 / last + 0.2 * noise;
        x[(row, 0)] = r * theta.sin();
        x[(row, 1)] = r * theta.cos();
    }
    let labels = Labels::new(std::array::from_fn(|row| row / per_arm))
        .expect("row / (N / K) is below K for every row below N");
    (x, labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_arm_has_its_points_at_linspace_radii_and_angles_near_the_arm() {
        let (x, labels) = spiral::<30, 3>(5);
        for row in 0..30 {
            let (arm, i) = (row / 10, row % 10);
            assert_eq!(labels.as_array()[row], arm);
            let r = x.row(row).norm();
            assert!((r - i as f64 / 9.0).abs() < 1e-12, "row {row}: radius {r}");
            if i > 0 {
                // The angle from the x₁ axis towards x₀, compared modulo 2π with the noiseless
                // θ: within 5 noise standard deviations.
                let theta = x[(row, 0)].atan2(x[(row, 1)]);
                let want = 4.0 * arm as f64 + 4.0 * i as f64 / 9.0;
                let diff = (theta - want).rem_euclid(std::f64::consts::TAU);
                let diff = diff.min(std::f64::consts::TAU - diff);
                assert!(diff < 5.0 * 0.2, "row {row}: angle off by {diff}");
            }
        }
    }

    #[test]
    fn the_digits_are_the_uci_test_set() {
        let digits = digits();
        assert_eq!(digits.len(), 1797);
        // UCI's class distribution of the test set.
        let mut counts = [0; 10];
        for n in 0..digits.len() {
            counts[digits.class(n)] += 1;
            assert!(
                digits
                    .input(n)
                    .iter()
                    .all(|&p| (0.0..=16.0).contains(&p) && p.fract() == 0.0)
            );
        }
        assert_eq!(counts, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
    }

    #[test]
    fn the_classic_set_is_pinned() {
        // From `python3 scripts/rng_reference.py` (the noise is reproduced bit for bit; sin
        // and cos are the platform's, hence the tolerance of a few ulp).
        let (x, _) = spiral::<300, 3>(0);
        let want = [
            (1, -0.0016741755043286001, 0.009961302196069256),
            (150, -0.09381931272863016, 0.4962599613215817),
            (299, -0.26214419910256676, 0.9650287140167767),
        ];
        for (row, x0, x1) in want {
            assert!(
                (x[(row, 0)] - x0).abs() <= 4.0 * f64::EPSILON * x0.abs(),
                "row {row}"
            );
            assert!(
                (x[(row, 1)] - x1).abs() <= 4.0 * f64::EPSILON * x1.abs(),
                "row {row}"
            );
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_data_and_another_seed_other_noise() {
        assert_eq!(spiral::<12, 2>(1), spiral::<12, 2>(1));
        assert_ne!(spiral::<12, 2>(1).0, spiral::<12, 2>(2).0);
        assert_eq!(spiral::<12, 2>(1).1, spiral::<12, 2>(2).1);
    }
}
