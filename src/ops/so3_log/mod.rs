use nalgebra::{Matrix3, Vector3, convert};

use crate::contract::Op;
use crate::graph::Var;
use crate::kernels::Real;
use crate::ops::so3_coefficients::{LogFactor, log_factor};

/// The logarithm map of SO(3): a rotation matrix to its axis-angle vector `w = θ·n` (angle
/// θ ∈ [0, π] about the unit axis n, right-handed), the inverse of
/// [`so3_exp`](crate::Var::so3_exp).
///
/// ```text
/// c = (tr R − 1)/2 = cos θ,   v = vee(R) = ½·(r₃₂ − r₂₃, r₁₃ − r₃₁, r₂₁ − r₁₂) = sin θ·n
///
/// c ≥ 0 (θ ≤ π/2):  w = g·v,  g = atan2(‖v‖, c)/‖v‖            (θ/sin θ on rotations)
/// c < 0 (θ > π/2):  n = column k of S = (R + Rᵀ)/2 − c·I, normalised, k = argmax rₖₖ,
///                   t = n·v,  w = φ·n,  φ = sign(t)·atan2(|t|, c)   (sign(0) = +1)
///
/// Shape:    (3×3) → (3×1)
/// Gradient: c ≥ 0:  dv = g·dOut + 2·g_q·(v·dOut)·v,  dc = g_c·(v·dOut)   (q = ‖v‖²)
///           c < 0:  dφ = n·dOut,  dt = c·dφ/(t² + c²),  dn = φ·dOut + dt·v,  dv = dt·n,
///                   du = (dn − (n·dn)·n)/‖u‖,  dc = −t·dφ/(t² + c²) − duₖ,
///                   dS = du in column k (u = that column of S)
///           dR = ½·[dv]ₓ + ½·dc·I + (dS + dSᵀ)/2   (3×3; dS = 0 for c ≥ 0)
/// ```
///
/// Only 3×3 vars have `so3_log` (typed). The result is the principal logarithm, ‖w‖ ≤ π.
///
/// **Finite and correct at the singular points, in f64 and f32:**
/// * θ = 0 (R = I) and near it: g = θ/sin θ is taken as atan(√y)/(√y·c) with y = ‖v‖²/c² =
///   tan²θ, from its Taylor series in y below y = 0.0059 (f64) or 0.10 (f32) — never 0/0, and
///   never a square root at 0, so dual numbers (exact Hessians) work at the identity too. The
///   gradient at I is ½·\[dOut\]ₓ, the derivative of vee, as it should be.
/// * θ near π: the axis comes from the symmetric part of R, which does not vanish there
///   (where sin θ does, and with it the usual formula's direction: the gradient of
///   θ/sin θ·vee(R) grows like 1/sin θ, and autodiff through an `acos` gives infinities or,
///   with a clamp, zero). The angle is `atan2`, accurate at both ends where `acos` is not.
/// * θ = π exactly (t = 0: R symmetric, such as `diag(1, −1, −1)`): both π·n and −π·n are
///   logarithms, and the map jumps from one to the other there. The result is π·n with the
///   **component of n of largest magnitude positive** (the first of equal ones), and its
///   gradient is the derivative of that branch, w = φ·n with t ≥ 0 (the limit from the side
///   whose value is returned), finite.
///
/// **The gradient with respect to the nine entries** also describes how the formula behaves
/// off SO(3) (a perturbed entry leaves the rotations), and the two branches extend the log
/// differently there. Along rotations, `R ↦ R·exp([δ]ₓ)`, both give the same derivative,
/// `J_r⁻¹(w)·δ` (tested at both sides of the switch c = 0, and against this closed form at
/// θ = π − 1e-6 and π): an R built in the graph from rotations (`so3_exp`,
/// `quat_to_rotation`, products of rotations) sees one smooth gradient, whichever branch is
/// taken. Only at the switches — c = 0, and for c < 0 two equal largest diagonal entries
/// (the choice of k) — and at θ = π where the log itself jumps, does a central difference of
/// raw entries straddle two formulas.
///
/// The input is not checked for being a rotation: for a matrix that has drifted from SO(3)
/// (accumulated products), the result is the formulas' value above, off by the size of the
/// drift; re-orthogonalise first if that matters. Infinite or NaN entries give NaN.
/// Sugar: `r.so3_log()`. For attitude errors `(R_aᵀ·R_b).so3_log()`, see the
/// [ops module](crate::ops#rotations-and-rigid-bodies).
///
/// ```
/// use nalgebra::{Matrix3, Vector3};
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let w = Vector3::new(0.3, -0.2, 0.1);
/// let r = g.var(w).so3_exp();
/// let back: Var<'_, f64, 3, 1> = r.so3_log();
/// assert!((back.value() - w).norm() < 1e-15);
///
/// let identity = g.var(Matrix3::identity()); // θ = 0: value 0, gradient finite
/// let grads = identity.so3_log().backward_with(Vector3::new(1.0, 0.0, 0.0));
/// assert_eq!(*grads.wrt(identity), Vector3::new(0.5, 0.0, 0.0).cross_matrix());
/// drop(grads);
///
/// let half_turn = g.var(Matrix3::from_diagonal(&Vector3::new(-1.0, 1.0, -1.0))); // θ = π
/// let w = half_turn.so3_log();
/// assert_eq!(w.value(), Vector3::new(0.0, std::f64::consts::PI, 0.0));
/// assert!(w.sum().backward().wrt(half_turn).iter().all(|d| d.is_finite()));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct So3Log;

/// What the forward and backward passes share: the branch and its intermediate values.
enum Parts<T> {
    /// c ≥ 0: w = g·v.
    Near { v: Vector3<T>, factor: LogFactor<T> },
    /// c < 0: w = φ·n, n = u/‖u‖ with u column k of S, t = n·v.
    Antipodal {
        v: Vector3<T>,
        c: T,
        k: usize,
        n: Vector3<T>,
        norm_u: T,
        t: T,
        phi: T,
    },
}

/// ½·(r₃₂ − r₂₃, r₁₃ − r₃₁, r₂₁ − r₁₂).
fn vee<T: Real>(r: &Matrix3<T>) -> Vector3<T> {
    let half: T = convert(0.5);
    Vector3::new(
        r[(2, 1)] - r[(1, 2)],
        r[(0, 2)] - r[(2, 0)],
        r[(1, 0)] - r[(0, 1)],
    ) * half
}

/// The branch `R` falls in and its intermediate values.
fn parts<T: Real>(r: &Matrix3<T>) -> Parts<T> {
    let half: T = convert(0.5);
    let c = (r.trace() - T::one()) * half;
    if c >= T::zero() {
        near(r)
    } else {
        antipodal(r)
    }
}

fn near<T: Real>(r: &Matrix3<T>) -> Parts<T> {
    let half: T = convert(0.5);
    let c = (r.trace() - T::one()) * half;
    let v = vee(r);
    Parts::Near {
        v,
        factor: log_factor(v.dot(&v), c),
    }
}

fn antipodal<T: Real>(r: &Matrix3<T>) -> Parts<T> {
    let half: T = convert(0.5);
    let c = (r.trace() - T::one()) * half;
    let v = vee(r);
    // S = (R + Rᵀ)/2 − c·I = (1 − c)·n·nᵀ on rotations; its largest diagonal entry is that of
    // R, and its column there is (1 − c)·nₖ·n with |nₖ| ≥ 1/√3: well away from 0.
    let mut k = 0;
    for i in 1..3 {
        if r[(i, i)] > r[(k, k)] {
            k = i;
        }
    }
    let u = Vector3::from_fn(|i, _| (r[(i, k)] + r[(k, i)]) * half) - Vector3::ith(k, c);
    let norm_u = u.dot(&u).sqrt();
    let n = u / norm_u;
    let t = n.dot(&v);
    let phi = if t >= T::zero() {
        t.atan2(c)
    } else {
        -(-t).atan2(c)
    };
    Parts::Antipodal {
        v,
        c,
        k,
        n,
        norm_u,
        t,
        phi,
    }
}

fn value<T: Real>(parts: &Parts<T>) -> Vector3<T> {
    match parts {
        Parts::Near { v, factor } => v * factor.g,
        Parts::Antipodal { n, phi, .. } => n * *phi,
    }
}

fn pullback<T: Real>(parts: &Parts<T>, d_w: &Vector3<T>) -> Matrix3<T> {
    let half: T = convert(0.5);
    let (d_v, d_c, mut d_r) = match parts {
        Parts::Near { v, factor } => {
            let v_dw = v.dot(d_w);
            let d_v = d_w * factor.g + v * ((factor.g_q + factor.g_q) * v_dw);
            (d_v, factor.g_c * v_dw, Matrix3::zeros())
        }
        Parts::Antipodal {
            v,
            c,
            k,
            n,
            norm_u,
            t,
            phi,
        } => {
            let d_phi = n.dot(d_w);
            let r2 = *t * *t + *c * *c;
            let d_t = *c / r2 * d_phi;
            let d_n = d_w * *phi + v * d_t;
            let d_u = (d_n - n * n.dot(&d_n)) / *norm_u;
            // u = column k of S = (R + Rᵀ)/2 − c·I.
            let mut d_s = Matrix3::zeros();
            d_s.set_column(*k, &d_u);
            let d_c = -(*t / r2) * d_phi - d_u[*k];
            (n * d_t, d_c, (d_s + d_s.transpose()) * half)
        }
    };
    d_r += (d_v * half).cross_matrix();
    let diagonal = d_c * half;
    for i in 0..3 {
        d_r[(i, i)] += diagonal;
    }
    d_r
}

impl<T: Real> Op<T, (Matrix3<T>,)> for So3Log {
    type Output = Vector3<T>;

    fn name(&self) -> &'static str {
        "so3_log"
    }

    fn forward(&self, (r,): (&Matrix3<T>,)) -> Vector3<T> {
        value(&parts(r))
    }

    fn backward(
        &self,
        (r,): (&Matrix3<T>,),
        _out: &Vector3<T>,
        d_out: &Vector3<T>,
    ) -> (Matrix3<T>,) {
        (pullback(&parts(r), d_out),)
    }
}

impl<'g, T: Real> Var<'g, T, 3, 3> {
    /// The axis-angle vector (3×1, angle ≤ π) of the rotation matrix `self`, see
    /// [`So3Log`](crate::ops::So3Log).
    ///
    /// ```
    /// use nalgebra::{Rotation3, Vector3};
    /// let g = shapegrad::Graph::<f64>::new();
    /// let w = Vector3::new(0.0, 0.0, 3.0); // 3 rad about z
    /// let r = g.var(*Rotation3::new(w).matrix());
    /// assert!((r.so3_log().value() - w).norm() < 1e-14);
    /// ```
    #[track_caller]
    pub fn so3_log(self) -> Var<'g, T, 3, 1> {
        self.graph().apply(So3Log, (self,))
    }
}

#[cfg(test)]
mod tests;
