use nalgebra::{Matrix3, Vector4};

use crate::contract::Op;
use crate::graph::Var;
use crate::kernels::Real;

/// The unit quaternion `(w, x, y, z)` of a rotation matrix, by Shepperd's method, with
/// **w ≥ 0**.
///
/// **Order: (w, x, y, z), scalar first**, as [`quat_to_rotation`](crate::Var::quat_to_rotation)
/// (nalgebra's `Quaternion::new(w, i, j, k)`, not its storage order `coords` = (i, j, k, w)).
///
/// ```text
/// 4·w² = 1 + r₁₁ + r₂₂ + r₃₃      4·wx = r₃₂ − r₂₃     4·xy = r₁₂ + r₂₁
/// 4·x² = 1 + r₁₁ − r₂₂ − r₃₃      4·wy = r₁₃ − r₃₁     4·xz = r₁₃ + r₃₁
/// 4·y² = 1 − r₁₁ + r₂₂ − r₃₃      4·wz = r₂₁ − r₁₂     4·yz = r₂₃ + r₃₂
/// 4·z² = 1 − r₁₁ − r₂₂ + r₃₃
///
/// pivot p = the largest of the four squares (the first on ties, in the order w, x, y, z):
///   q_p = ρ/2, ρ = √(4·q_p²);  q_j = (4·q_p·q_j)/(2ρ) for the three others;
///   then q ↦ −q if w < 0
///
/// Shape:    (3×3) → (4×1)
/// Gradient: through that branch: dρ = dq_p/2 − Σⱼ dq_j·q_j/ρ, d(4q_p²) = dρ/(2ρ) on the
///           diagonal with its signs, d(4q_p·q_j) = dq_j/(2ρ) on its two off-diagonal
///           entries; dq = −dOut where q was negated   (3×3)
/// ```
///
/// Only 3×3 vars have `rotation_to_quat` (typed). **Stable everywhere:** the pivot is the
/// largest of four squares that sum to 4, so 4·q_p² ≥ 1 and ρ ≥ 1: no division by a small
/// number, at the identity (pivot w), at θ = π (pivot x, y or z; w = 0) or anywhere between,
/// in f64 and f32.
///
/// **Sign convention and jumps.** q and −q are the same rotation; the result has w ≥ 0, the
/// rotation angle 2·acos w in [0, π]. At θ = π exactly (w = 0, a symmetric R such as
/// diag(1, −1, −1)) the pivot component is positive. Near θ = π a tiny change of R can flip
/// the sign of w and so the whole quaternion (q ↦ −q): that jump is the double cover itself,
/// not a numerical problem, and the gradient on each side is finite. Where two candidate
/// pivots tie, the branches' formulas agree on rotations and their derivatives agree along
/// rotations (`R ↦ R·exp([δ]ₓ)`, tested); only off SO(3), which the raw entries' gradient
/// also measures, do they differ.
///
/// The result is not renormalised: for an exact rotation it is a unit quaternion to rounding;
/// for a matrix that has drifted from SO(3) it is the formulas' value, of norm ≈ 1 up to the
/// drift ([`quat_to_rotation`](crate::Var::quat_to_rotation) normalises, so the round trip
/// returns a rotation). NaN entries give NaN. Sugar: `r.rotation_to_quat()`.
///
/// ```
/// use nalgebra::{Matrix3, UnitQuaternion, Vector3, Vector4};
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let unit = UnitQuaternion::from_euler_angles(0.2, -0.1, 2.5);
/// let r = g.var(*unit.to_rotation_matrix().matrix());
/// let q: Var<'_, f64, 4, 1> = r.rotation_to_quat();
/// let want = Vector4::new(unit.w, unit.i, unit.j, unit.k) * unit.w.signum(); // w ≥ 0
/// assert!((q.value() - want).norm() < 1e-15);
///
/// let half_turn = g.var(Matrix3::from_diagonal(&Vector3::new(1.0, -1.0, -1.0))); // π about x
/// assert_eq!(half_turn.rotation_to_quat().value(), Vector4::new(0.0, 1.0, 0.0, 0.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct RotationToQuat;

/// For quaternion components a < b, the entries whose sum (sign +1) or difference (sign −1)
/// is 4·q_a·q_b: `((i₁, j₁), (i₂, j₂), sign)` for r[i₁, j₁] + sign·r[i₂, j₂]. Index 0 is w.
fn products(a: usize, b: usize) -> ((usize, usize), (usize, usize), i8) {
    match (a, b) {
        (0, 1) => ((2, 1), (1, 2), -1),
        (0, 2) => ((0, 2), (2, 0), -1),
        (0, 3) => ((1, 0), (0, 1), -1),
        (1, 2) => ((0, 1), (1, 0), 1),
        (1, 3) => ((0, 2), (2, 0), 1),
        (2, 3) => ((1, 2), (2, 1), 1),
        _ => unreachable!("components are ordered and distinct"),
    }
}

/// The signs of r₁₁, r₂₂, r₃₃ in 4·q_p² = 1 ± r₁₁ ± r₂₂ ± r₃₃.
const DIAGONAL_SIGNS: [[i8; 3]; 4] = [[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]];

fn signed<T: Real>(sign: i8, v: T) -> T {
    if sign > 0 { v } else { -v }
}

/// 4·q_p·q_j (j ≠ p) from the entries of r.
fn four_product<T: Real>(r: &Matrix3<T>, p: usize, j: usize) -> T {
    let (first, second, sign) = products(p.min(j), p.max(j));
    r[first] + signed(sign, r[second])
}

/// The branch: pivot p, ρ = √(4·q_p²), the quaternion before the sign, and the sign.
struct Branch<T> {
    p: usize,
    rho: T,
    q: Vector4<T>,
    negated: bool,
}

fn pivot_square<T: Real>(r: &Matrix3<T>, p: usize) -> T {
    (0..3).fold(T::one(), |acc, i| {
        acc + signed(DIAGONAL_SIGNS[p][i], r[(i, i)])
    })
}

fn branch<T: Real>(r: &Matrix3<T>) -> Branch<T> {
    let mut p = 0;
    for candidate in 1..4 {
        if pivot_square(r, candidate) > pivot_square(r, p) {
            p = candidate;
        }
    }
    branch_at(r, p)
}

fn branch_at<T: Real>(r: &Matrix3<T>, p: usize) -> Branch<T> {
    let half: T = nalgebra::convert(0.5);
    let rho = pivot_square(r, p).sqrt();
    let q = Vector4::from_fn(|j, _| {
        if j == p {
            rho * half
        } else {
            four_product(r, p, j) / (rho + rho)
        }
    });
    Branch {
        p,
        rho,
        q,
        negated: q[0] < T::zero(),
    }
}

fn quaternion<T: Real>(b: &Branch<T>) -> Vector4<T> {
    if b.negated { -b.q } else { b.q }
}

fn pullback<T: Real>(b: &Branch<T>, d_out: &Vector4<T>) -> Matrix3<T> {
    let half: T = nalgebra::convert(0.5);
    let d_q = if b.negated { -d_out } else { *d_out };
    let (p, rho) = (b.p, b.rho);
    let mut d_r = Matrix3::zeros();
    let mut d_rho = d_q[p] * half;
    for j in (0..4).filter(|&j| j != p) {
        d_rho -= d_q[j] * b.q[j] / rho;
        let d_product = d_q[j] / (rho + rho);
        let (first, second, sign) = products(p.min(j), p.max(j));
        d_r[first] += d_product;
        d_r[second] += signed(sign, d_product);
    }
    let d_square = d_rho / (rho + rho);
    for i in 0..3 {
        d_r[(i, i)] += signed(DIAGONAL_SIGNS[p][i], d_square);
    }
    d_r
}

impl<T: Real> Op<T, (Matrix3<T>,)> for RotationToQuat {
    type Output = Vector4<T>;

    fn name(&self) -> &'static str {
        "rotation_to_quat"
    }

    fn forward(&self, (r,): (&Matrix3<T>,)) -> Vector4<T> {
        quaternion(&branch(r))
    }

    fn backward(
        &self,
        (r,): (&Matrix3<T>,),
        _out: &Vector4<T>,
        d_out: &Vector4<T>,
    ) -> (Matrix3<T>,) {
        (pullback(&branch(r), d_out),)
    }
}

impl<'g, T: Real> Var<'g, T, 3, 3> {
    /// The unit quaternion `(w, x, y, z)` (4×1, w ≥ 0) of the rotation matrix `self`, see
    /// [`RotationToQuat`](crate::ops::RotationToQuat).
    ///
    /// ```
    /// use nalgebra::{Matrix3, Vector4};
    /// let g = shapegrad::Graph::<f64>::new();
    /// let r = g.var(Matrix3::identity());
    /// assert_eq!(r.rotation_to_quat().value(), Vector4::new(1.0, 0.0, 0.0, 0.0));
    /// ```
    #[track_caller]
    pub fn rotation_to_quat(self) -> Var<'g, T, 4, 1> {
        self.graph().apply(RotationToQuat, (self,))
    }
}

#[cfg(test)]
mod tests {
    use std::f64::consts::PI;

    use nalgebra::{Matrix3, Quaternion, Rotation3, UnitQuaternion, Vector3, Vector4};

    use super::{RotationToQuat, branch, branch_at, pullback, quaternion};
    use crate::diff::check::GradcheckOptions;
    use crate::diff::testing::{check_unary, check_unary_with, random, rng, tight};
    use crate::graph::Graph;

    fn wxyz_positive_w(q: &UnitQuaternion<f64>) -> Vector4<f64> {
        let v = Vector4::new(q.w, q.i, q.j, q.k);
        if q.w < 0.0 { -v } else { v }
    }

    fn to_quat(r: Matrix3<f64>) -> Vector4<f64> {
        Graph::<f64>::new().var(r).rotation_to_quat().value()
    }

    #[test]
    fn equals_nalgebras_quaternion_with_w_positive() {
        let mut rng = rng(1100);
        for scale in [1e-8, 0.1, 1.0, 2.0, 3.0, PI - 1e-6] {
            for _ in 0..10 {
                let w = random::<3, 1>(&mut rng).normalize() * scale;
                let unit = UnitQuaternion::from_scaled_axis(w);
                let q = to_quat(*unit.to_rotation_matrix().matrix());
                let want = wxyz_positive_w(&unit);
                assert!((q - want).abs().max() < 1e-15, "θ = {scale}: {q} vs {want}");
                assert!(q[0] >= 0.0);
            }
        }
    }

    #[test]
    fn half_turns_have_their_pivot_positive() {
        for (n, q) in [
            (Vector3::x(), Vector4::new(0.0, 1.0, 0.0, 0.0)),
            (-Vector3::y(), Vector4::new(0.0, 0.0, 1.0, 0.0)),
            (
                Vector3::new(0.6, 0.0, -0.8),
                Vector4::new(0.0, -0.6, 0.0, 0.8),
            ),
        ] {
            let r = n * n.transpose() * 2.0 - Matrix3::identity();
            assert!((to_quat(r) - q).abs().max() < 1e-15, "{n}: {}", to_quat(r));
        }
    }

    #[test]
    fn gradcheck_on_every_branch() {
        let mut rng = rng(1101);
        // The pivot is w near the identity, and x, y or z near half turns about those axes.
        let axes = [
            Vector3::new(0.1, 0.2, -0.1),
            Vector3::x(),
            Vector3::y(),
            Vector3::z(),
        ];
        for (p, axis) in axes.iter().enumerate() {
            for angle in [0.0, 1e-8, 0.5, PI - 0.3] {
                let tilt = random::<3, 1>(&mut rng) * 0.05;
                let w = if p == 0 {
                    axis + tilt
                } else {
                    (axis + tilt).normalize() * angle
                };
                let r = *Rotation3::new(w).matrix();
                check_unary(RotationToQuat, RotationToQuat, r);
            }
        }
        check_unary(RotationToQuat, RotationToQuat, Matrix3::identity());
    }

    #[test]
    fn gradcheck_a_micro_radian_from_a_half_turn() {
        // w = cos(θ/2) = 5e-7: a step of 6e-6 would flip the sign of w (q ↦ −q), so 1e-8.
        let options = GradcheckOptions { h: 1e-8, ..tight() };
        for axis in [
            Vector3::x(),
            -Vector3::y(),
            Vector3::new(2.0, -3.0, 6.0) / 7.0,
        ] {
            let r = *Rotation3::new(axis * (PI - 1e-6)).matrix();
            check_unary_with(RotationToQuat, RotationToQuat, r, Some(&options), 1e-5);
        }
    }

    #[test]
    fn at_a_half_turn_the_gradient_is_the_returned_sides_one_sided_derivative() {
        // At w = 0 every central difference of an antisymmetric pair straddles the flip, so
        // each entry is stepped towards w ≥ 0, with a one-sided difference of order 2.
        let upstream = Vector4::new(0.3, -0.7, 0.5, 0.2);
        for n in [
            Vector3::new(2.0, -3.0, 6.0) / 7.0,
            Vector3::new(0.6, 0.0, 0.8),
            Vector3::x(),
        ] {
            let r = n * n.transpose() * 2.0 - Matrix3::identity();
            check_unary_with(RotationToQuat, RotationToQuat, r, None, 1e-5);
            let analytic = pullback(&branch(&r), &upstream);
            let f = |r: Matrix3<f64>| upstream.dot(&quaternion(&branch(&r)));
            for (i, j) in (0..3).flat_map(|i| (0..3).map(move |j| (i, j))) {
                let nudged = |d: f64| {
                    let mut m = r;
                    m[(i, j)] += d;
                    m
                };
                let h = 1e-5;
                // The unsigned branch's w at +h: step to the side where it stays ≥ 0.
                let delta = if branch(&nudged(h)).q[0] >= 0.0 {
                    h
                } else {
                    -h
                };
                let numeric =
                    (-3.0 * f(r) + 4.0 * f(nudged(delta)) - f(nudged(2.0 * delta))) / (2.0 * delta);
                assert!(
                    (analytic[(i, j)] - numeric).abs() < 1e-9,
                    "n = {n}, entry ({i}, {j}): {} vs {numeric}",
                    analytic[(i, j)]
                );
            }
        }
    }

    #[test]
    fn round_trip_through_quat_to_rotation() {
        let mut rng = rng(1102);
        let g = Graph::<f64>::new();
        for _ in 0..10 {
            let v = random::<4, 1>(&mut rng);
            let unit = UnitQuaternion::from_quaternion(Quaternion::new(v[0], v[1], v[2], v[3]));
            let q = g.var(Vector4::new(unit.w, unit.i, unit.j, unit.k));
            let back = q.quat_to_rotation().rotation_to_quat().value();
            assert!((back - wxyz_positive_w(&unit)).abs().max() < 1e-15);
        }
    }

    #[test]
    fn tied_pivots_agree_along_rotations() {
        // 90° about z: 4w² = 1 + tr = 2 = 4z² = 1 − r₁₁ − r₂₂ + r₃₃, a tie of pivots w and z.
        let r = *Rotation3::new(Vector3::new(0.0, 0.0, PI / 2.0)).matrix();
        let (by_w, by_z) = (branch_at(&r, 0), branch_at(&r, 3));
        assert!((quaternion(&by_w) - quaternion(&by_z)).abs().max() < 1e-15);
        let mut rng = rng(1103);
        let upstream = random::<4, 1>(&mut rng);
        let (d_w, d_z) = (pullback(&by_w, &upstream), pullback(&by_z, &upstream));
        assert!(
            (d_w - d_z).abs().max() > 1e-3,
            "the extensions differ off SO(3)"
        );
        for k in 0..3 {
            let tangent = r * Vector3::ith(k, 1.0).cross_matrix();
            assert!((d_w.dot(&tangent) - d_z.dot(&tangent)).abs() < 1e-15);
        }
    }

    #[test]
    fn f32_at_the_identity_and_a_half_turn() {
        let g = Graph::<f32>::new();
        for r in [
            Matrix3::identity(),
            Matrix3::from_diagonal(&Vector3::new(-1.0, 1.0, -1.0)),
        ] {
            let rv = g.var(r);
            let q = rv.rotation_to_quat();
            let d = *q.backward_with(Vector4::repeat(1.0)).wrt(rv);
            assert!(q.value().iter().chain(d.iter()).all(|v| v.is_finite()));
            assert!((q.value().norm() - 1.0).abs() < 1e-7);
        }
    }
}
