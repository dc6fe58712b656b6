//! Seeded initialisation of weight matrices.

use nalgebra::SMatrix;

use crate::kernels::Real;
use crate::kernels::rng::Rng;

/// How a layer's weight matrix is initialised: independent Gaussian entries with mean 0 and a
/// standard deviation set by the scheme. Biases always start at 0.
///
/// For an `I×O` weight (`I` inputs, `O` outputs):
///
/// | scheme | standard deviation | for |
/// |---|---|---|
/// | [`Init::Xavier`] (default) | √(2 / (I + O)) | tanh, sigmoid, linear layers (Glorot & Bengio, 2010) |
/// | [`Init::He`] | √(2 / I) | ReLU layers (He et al., 2015) |
/// | [`Init::Gaussian`] | `std` | e.g. the course notes' `0.01·randn` for the spiral net |
///
/// The entries are standard normal samples times the standard deviation, drawn in nalgebra's
/// column-major order from shapegrad's own generator, whose algorithms are fixed and written
/// down: xoshiro256++ (Blackman & Vigna) with its state seeded by SplitMix64 from the seed,
/// uniforms from the top 53 bits of each output, and normals by Marsaglia's polar method
/// (`u, v` uniform in [−1, 1) until `0 < s = u² + v² < 1`, then `u·√(−2 ln s / s)` and, for the
/// next entry, `v·√(−2 ln s / s)`), with shapegrad's own `ln` (no platform libm) and IEEE
/// `sqrt`. So **the same seed gives the same weights, bit for bit, on every platform and with
/// every version of every dependency** (`f32` weights are the `f64` ones rounded);
/// `scripts/rng_reference.py` computes them independently, and the tests pin them.
///
/// ```
/// use nalgebra::SMatrix;
/// use shapegrad::nn::Init;
///
/// let w: SMatrix<f64, 200, 300> = Init::He.sample(7);
/// let again: SMatrix<f64, 200, 300> = Init::He.sample(7);
/// assert_eq!(w, again); // deterministic
/// let std = (w.norm_squared() / (200.0 * 300.0)).sqrt();
/// assert!((std - (2.0_f64 / 200.0).sqrt()).abs() < 0.002);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Init {
    /// Xavier (Glorot) normal: standard deviation √(2 / (I + O)).
    #[default]
    Xavier,
    /// He (Kaiming) normal: standard deviation √(2 / I).
    He,
    /// A fixed standard deviation.
    Gaussian {
        /// The standard deviation of every entry.
        std: f64,
    },
}

impl Init {
    /// The standard deviation of the entries of an `I×O` weight.
    ///
    /// ```
    /// use shapegrad::nn::Init;
    /// assert_eq!(Init::Xavier.std(2, 98), (2.0_f64 / 100.0).sqrt());
    /// assert_eq!(Init::He.std(8, 100), 0.5);
    /// assert_eq!(Init::Gaussian { std: 0.01 }.std(2, 100), 0.01);
    /// ```
    pub fn std(&self, inputs: usize, outputs: usize) -> f64 {
        match *self {
            Init::Xavier => (2.0 / (inputs + outputs) as f64).sqrt(),
            Init::He => (2.0 / inputs as f64).sqrt(),
            Init::Gaussian { std } => std,
        }
    }

    /// An `I×O` weight matrix drawn with this scheme from `seed`.
    ///
    /// ```
    /// use nalgebra::Matrix2x3;
    /// use shapegrad::nn::Init;
    /// let a: Matrix2x3<f32> = Init::Xavier.sample(1);
    /// let b: Matrix2x3<f32> = Init::Xavier.sample(2);
    /// assert_ne!(a, b);
    /// ```
    pub fn sample<T: Real, const I: usize, const O: usize>(&self, seed: u64) -> SMatrix<T, I, O> {
        let std = self.std(I, O);
        let mut rng = Rng::new(seed);
        // from_fn visits the entries in column-major order.
        SMatrix::from_fn(|_, _| nalgebra::convert(std * rng.normal()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_samples_have_mean_zero_and_the_schemes_standard_deviation() {
        for init in [Init::Xavier, Init::He, Init::Gaussian { std: 0.01 }] {
            let w: SMatrix<f64, 100, 50> = init.sample(3);
            let n = (100 * 50) as f64;
            let mean = w.sum() / n;
            let std = (w.map(|x| (x - mean).powi(2)).sum() / n).sqrt();
            let want = init.std(100, 50);
            // 5000 samples: the mean is within 4σ/√n, the std within 5%.
            assert!(mean.abs() < 4.0 * want / n.sqrt(), "{init:?}: mean {mean}");
            assert!(
                (std / want - 1.0).abs() < 0.05,
                "{init:?}: std {std} vs {want}"
            );
        }
    }

    #[test]
    fn the_standard_deviations_follow_the_formulas() {
        assert_eq!(Init::Xavier.std(3, 5), 0.5);
        assert_eq!(Init::He.std(50, 1), 0.2);
        assert_eq!(Init::default(), Init::Xavier);
    }

    #[test]
    fn a_seeded_sample_is_pinned_bit_for_bit() {
        // From `python3 scripts/rng_reference.py`: √(2/3)·z for the first six normals of
        // seed 7, column by column: 1.3668450340510334, −0.4572785524755553, …
        let w: SMatrix<f64, 3, 2> = Init::He.sample(7);
        let want: [u64; 6] = [
            0x3ff5de98e5ff2fe7,
            0xbfdd440d4302dcdb,
            0x3fdc1bb8d382ab7e,
            0xbfa0a211641d7638,
            0x3fef8f849ceae559,
            0xbfe7fc1d885cc41e,
        ];
        let got: Vec<u64> = w.iter().map(|x| x.to_bits()).collect();
        assert_eq!(got, want);
        assert_eq!(w[(0, 1)], -0.032486480208472945);
    }

    #[test]
    fn f32_samples_are_the_f64_samples_rounded() {
        let a: SMatrix<f64, 4, 3> = Init::He.sample(11);
        let b: SMatrix<f32, 4, 3> = Init::He.sample(11);
        assert_eq!(a.map(|x| x as f32), b);
    }
}
