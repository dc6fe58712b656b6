//! A pseudo-random generator whose algorithms are pinned here, so that a seed means the same
//! numbers on every platform and with every version of every dependency: the seeded weight
//! initialisation (`nn::Init`), the per-epoch shuffles of `data::Batches` and the noise of
//! `datasets::spiral` draw from it.
//!
//! The algorithms, each a few lines below and implemented again, independently, in
//! `scripts/rng_reference.py` (whose output the tests pin):
//!
//! * **Seeding: SplitMix64** (Steele, Lea & Flood 2014, in Vigna's `splitmix64.c`): the state
//!   advances by 0x9e3779b97f4a7c15 and each output is the state mixed by
//!   `z ^= z >> 30; z *= 0xbf58476d1ce4e5b9; z ^= z >> 27; z *= 0x94d049bb133111eb; z ^= z >> 31`
//!   (wrapping). [`Rng::new`]`(seed)` takes its first four outputs from state `seed` as the
//!   generator's four state words; they are never all zero (SplitMix64's mix is a bijection).
//! * **Generator: xoshiro256++** (Blackman & Vigna 2019, `xoshiro256plusplus.c`): 256 bits of
//!   state, period 2²⁵⁶ − 1, output `rotl(s₀ + s₃, 23) + s₀`.
//! * **Uniform f64 in [0, 1)**: the top 53 bits of an output times 2⁻⁵³ (exact).
//! * **Integers below n**: Lemire's multiply-and-reject method (Lemire 2019, "Fast random
//!   integer generation in an interval"): the high 64 bits of `output · n`, redrawn while the
//!   low 64 bits are below `2⁶⁴ mod n`; unbiased, in `u64` arithmetic on every platform.
//! * **Standard normals**: Marsaglia's polar method: `u, v = 2·uniform − 1` (exact) until
//!   `0 < s = u² + v² < 1`, then `u·f` and `v·f` with `f = √(−2·ln s / s)`; the second of each
//!   pair is kept for the next call. Every step is an IEEE-754 operation rounded to nearest
//!   (`sqrt` included), with no fused multiply-add, and `ln` is the crate's own branch-free one
//!   (`vmath`), not the platform's libm, whose last bit may differ between systems.
//! * **Shuffles: Fisher–Yates** (Durstenfeld's order): for `i` from `len − 1` down to 1, swap
//!   entry `i` with entry `below(i + 1)`.

use super::vmath::f64::ln;

/// SplitMix64's increment, 2⁶⁴/φ rounded to odd.
const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// SplitMix64, the seeder: a 64-bit counter whose outputs are mixed.
#[derive(Clone, Debug)]
pub(crate) struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// The sequence that starts from state `seed` (its first output mixes `seed + γ`).
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// The next output.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// xoshiro256++ seeded through SplitMix64, with uniform, integer and normal draws and
/// shuffles (the module docs give each algorithm).
#[derive(Clone, Debug)]
pub(crate) struct Rng {
    s: [u64; 4],
    /// The second normal of the last polar pair, returned by the next [`Rng::normal`].
    spare: Option<f64>,
}

impl Rng {
    /// The generator for `seed`: its state is the first four outputs of SplitMix64 from
    /// state `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        let mut seeder = SplitMix64::new(seed);
        Rng::from_state(std::array::from_fn(|_| seeder.next_u64()))
    }

    /// The generator with the state words `s` (not all zero).
    fn from_state(s: [u64; 4]) -> Self {
        debug_assert!(s != [0; 4], "xoshiro256++ has no all-zero state");
        Rng { s, spare: None }
    }

    /// The next 64 random bits (xoshiro256++).
    pub(crate) fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let out = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        out
    }

    /// A uniform `f64` in [0, 1): the top 53 bits of [`Rng::next_u64`] times 2⁻⁵³.
    pub(crate) fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform integer in `0..n` (Lemire's method, unbiased).
    ///
    /// # Panics
    /// If `n` is 0.
    #[track_caller]
    #[cfg_attr(not(feature = "data"), allow(dead_code))] // shuffles are for data sets
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "shapegrad: a random integer below 0 was asked for");
        let mut m = u128::from(self.next_u64()) * u128::from(n);
        if (m as u64) < n {
            // 2⁶⁴ mod n: the low words below it are the ones that would bias the result.
            let threshold = n.wrapping_neg() % n;
            while (m as u64) < threshold {
                m = u128::from(self.next_u64()) * u128::from(n);
            }
        }
        (m >> 64) as u64
    }

    /// A standard normal sample (Marsaglia's polar method, the pair's second value kept for
    /// the next call).
    pub(crate) fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        loop {
            let u = 2.0 * self.uniform() - 1.0;
            let v = 2.0 * self.uniform() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let f = (-2.0 * ln(s) / s).sqrt();
                self.spare = Some(v * f);
                return u * f;
            }
        }
    }

    /// Shuffles `items` in place (Fisher–Yates from the end: entry `i` swaps with entry
    /// `below(i + 1)`, for `i` from `len − 1` down to 1).
    #[cfg_attr(not(feature = "data"), allow(dead_code))]
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The pinned values below are printed by `python3 scripts/rng_reference.py`, an
    // independent implementation of the same algorithms in Python (its `ln` is a port of the
    // crate's, operation by operation).

    #[test]
    fn splitmix64_matches_the_reference_implementation() {
        // Outputs of Vigna's splitmix64.c for this seed (as published with rand_xoshiro's
        // tests), and reproduced by scripts/rng_reference.py.
        let mut seeder = SplitMix64::new(1_477_776_061_723_855_037);
        let want = [
            1_985_237_415_132_408_290,
            2_979_275_885_539_914_483,
            13_511_426_838_097_143_398,
            8_488_337_342_461_049_707,
        ];
        assert_eq!(want.map(|_| seeder.next_u64()), want);
    }

    #[test]
    fn xoshiro256plusplus_matches_the_reference_implementation() {
        // Outputs of Blackman & Vigna's xoshiro256plusplus.c from the state (1, 2, 3, 4).
        let mut rng = Rng::from_state([1, 2, 3, 4]);
        let want: [u64; 6] = [
            41_943_041,
            58_720_359,
            3_588_806_011_781_223,
            3_591_011_842_654_386,
            9_228_616_714_210_784_205,
            9_973_669_472_204_895_162,
        ];
        assert_eq!(want.map(|_| rng.next_u64()), want);
    }

    #[test]
    fn a_seed_gives_pinned_bits_uniforms_integers_and_normals() {
        let mut rng = Rng::new(42);
        assert_eq!(
            [0; 4].map(|_| rng.next_u64()),
            [
                15_021_278_609_987_233_951,
                5_881_210_131_331_364_753,
                18_149_643_915_985_481_100,
                12_933_668_939_759_105_464,
            ]
        );
        let mut rng = Rng::new(42);
        assert_eq!(
            [0; 3].map(|_| rng.uniform().to_bits()),
            [0x3fea0ec9a9e88ecd, 0x3fd467905d15dbcc, 0x3fef7c0f9f61849d]
        );
        let mut rng = Rng::new(42);
        assert_eq!([0; 8].map(|_| rng.below(10)), [8, 3, 9, 7, 7, 5, 1, 6]);
        // 0.9813983900724986, −0.565720104673956, 1.3403256427520227, 0.4023128702992608,
        // bit for bit.
        let mut rng = Rng::new(42);
        assert_eq!(
            [0; 4].map(|_| rng.normal().to_bits()),
            [
                0x3fef679d98b6ab7b,
                0xbfe21a610c887574,
                0x3ff571f94d19c30a,
                0x3fd9bf7e7b2c7e67
            ]
        );
    }

    #[test]
    fn a_seeded_shuffle_is_a_pinned_permutation() {
        let mut items: Vec<usize> = (0..10).collect();
        Rng::new(7).shuffle(&mut items);
        assert_eq!(items, [3, 8, 9, 4, 6, 7, 2, 5, 1, 0]);
    }

    #[test]
    fn uniforms_fill_the_unit_interval_evenly() {
        let mut rng = Rng::new(1);
        let mut counts = [0usize; 10];
        let n = 100_000;
        for _ in 0..n {
            let u = rng.uniform();
            assert!((0.0..1.0).contains(&u));
            counts[(u * 10.0) as usize] += 1;
        }
        // Each bin holds 10 000 ± 95 (1σ); 5σ bounds.
        for c in counts {
            assert!(c.abs_diff(10_000) < 475, "{counts:?}");
        }
    }

    #[test]
    fn integers_below_n_are_uniform_and_in_range_even_for_a_biased_n() {
        // n = 3·2⁶² leaves a remainder 2⁶⁴ mod n = 2⁶², the worst case for a plain modulo
        // (which would give the first third of the range twice the weight).
        let n = 3u64 << 62;
        let mut rng = Rng::new(2);
        let mut thirds = [0usize; 3];
        for _ in 0..30_000 {
            let k = rng.below(n);
            assert!(k < n);
            thirds[(k / (1u64 << 62)) as usize] += 1;
        }
        for c in thirds {
            assert!(c.abs_diff(10_000) < 410, "{thirds:?}"); // 5σ
        }
        assert_eq!(Rng::new(3).below(1), 0);
    }

    #[test]
    #[should_panic(expected = "below 0")]
    fn an_integer_below_zero_panics() {
        Rng::new(0).below(0);
    }

    #[test]
    fn normals_have_the_moments_of_a_standard_normal() {
        let mut rng = Rng::new(4);
        let n = 200_000;
        let zs: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let n = n as f64;
        let mean = zs.iter().sum::<f64>() / n;
        let var = zs.iter().map(|z| (z - mean).powi(2)).sum::<f64>() / n;
        let kurtosis = zs.iter().map(|z| (z - mean).powi(4)).sum::<f64>() / n / (var * var);
        let within_one = zs.iter().filter(|z| z.abs() < 1.0).count() as f64 / n;
        // Standard errors: mean 1/√n ≈ 0.0022, variance √(2/n) ≈ 0.0032, kurtosis √(24/n) ≈
        // 0.011, P(|z| < 1) = 0.6827 with 0.001; bounds at about 5σ.
        assert!(mean.abs() < 0.011, "mean {mean}");
        assert!((var - 1.0).abs() < 0.016, "variance {var}");
        assert!((kurtosis - 3.0).abs() < 0.06, "kurtosis {kurtosis}");
        assert!(
            (within_one - 0.6827).abs() < 0.0055,
            "P(|z| < 1) = {within_one}"
        );
    }

    #[test]
    fn a_shuffle_is_a_permutation_and_every_position_is_reached_evenly() {
        // 4 items, 24 000 shuffles: each item lands in each position 6000 ± 67 times (1σ).
        let mut counts = [[0usize; 4]; 4];
        let mut rng = Rng::new(5);
        for _ in 0..24_000 {
            let mut items = [0, 1, 2, 3];
            rng.shuffle(&mut items);
            let mut sorted = items;
            sorted.sort_unstable();
            assert_eq!(sorted, [0, 1, 2, 3]);
            for (position, &item) in items.iter().enumerate() {
                counts[item][position] += 1;
            }
        }
        for row in counts {
            for c in row {
                assert!(c.abs_diff(6000) < 340, "{counts:?}"); // 5σ
            }
        }
        // Empty and single-item slices are left alone.
        Rng::new(6).shuffle::<u8>(&mut []);
        let mut one = [9];
        Rng::new(6).shuffle(&mut one);
        assert_eq!(one, [9]);
    }

    #[test]
    fn different_seeds_give_different_streams() {
        let (mut a, mut b) = (Rng::new(0), Rng::new(1));
        assert_ne!(a.next_u64(), b.next_u64());
    }
}
