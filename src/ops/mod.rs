//! The built-in ops, one per file, each with its shape rule and gradient rule.
//!
//! Every op is a struct implementing [`Op`](crate::Op), with sugar on
//! [`Var`](crate::Var). The letters: `R` rows, `C` columns, `K` a contracted dimension,
//! `dOut` the gradient of the output, `∘` the element-wise product.
//!
//! | op | sugar | shape | gradient |
//! |---|---|---|---|
//! | [`MatMul`] | `a * b` | (R×K)·(K×C) → R×C | dA = dOut·Bᵀ, dB = Aᵀ·dOut |
//! | [`Transpose`] | `a.transpose()` | R×C → C×R | dA = dOutᵀ |
//! | [`Add`] | `a + b` | R×C + R×C → R×C | dA = dOut, dB = dOut |
//! | [`Sub`] | `a - b` | R×C − R×C → R×C | dA = dOut, dB = −dOut |
//! | [`Neg`] | `-a` | R×C → R×C | dA = −dOut |
//! | [`ComponentMul`] | `a.component_mul(b)` | R×C ∘ R×C → R×C | dA = dOut∘B, dB = dOut∘A |
//! | [`Scale`] | `a.scale(s)` | R×C → R×C | dA = s·dOut |
//! | [`ScaleBy`] | `a.scale_by(s)` | (R×C)·(1×1) → R×C, s a var | dA = s·dOut, dS = ⟨A, dOut⟩ |
//! | [`Sum`] | `a.sum()` | R×C → 1×1 | dA = dOut·1 |
//! | [`Mean`] | `a.mean()` | R×C → 1×1 | dA = dOut/(R·C) |
//! | [`Relu`] | `a.relu()` | R×C → R×C | dA = dOut∘\[a > 0\] |
//! | [`Maximum`] | `a.maximum(b)` | max(R×C, R×C) → R×C | dA = dOut∘\[a ≥ b\], dB = dOut∘\[a < b\] |
//! | [`Minimum`] | `a.minimum(b)` | min(R×C, R×C) → R×C | dA = dOut∘\[a ≤ b\], dB = dOut∘\[a > b\] |
//! | [`Clamp`] | `a.clamp(lo, hi)` | R×C → R×C | dA = dOut∘\[lo ≤ a ≤ hi\] (1 on the bounds) |
//! | [`Detach`] | `a.detach()` | R×C → R×C | dA = 0 |
//! | [`Exp`] | `a.exp()` | R×C → R×C | dA = dOut∘y, y = eᵃ |
//! | [`Ln`] | `a.ln()` | R×C → R×C | dA = dOut∘(1/a) |
//! | [`Tanh`] | `a.tanh()` | R×C → R×C | dA = dOut∘(1 − y²), y = tanh a |
//! | [`Sin`] | `a.sin()` | R×C → R×C | dA = dOut∘cos a |
//! | [`Cos`] | `a.cos()` | R×C → R×C | dA = −dOut∘sin a |
//! | [`Atan2`] | `y.atan2(x)` | atan2(R×C, R×C) → R×C | dY = dOut∘x/(x² + y²), dX = −dOut∘y/(x² + y²); 0 at (0, 0) |
//! | [`Asin`] | `a.asin()` | R×C → R×C | dA = dOut∘1/√(1 − a²); ±∞ at a = ±1, NaN outside [−1, 1] |
//! | [`Acos`] | `a.acos()` | R×C → R×C | dA = −dOut∘1/√(1 − a²); ∓∞ at a = ±1, NaN outside [−1, 1] |
//! | [`Atan`] | `a.atan()` | R×C → R×C | dA = dOut∘1/(1 + a²) |
//! | [`Tan`] | `a.tan()` | R×C → R×C | dA = dOut∘(1 + y²), y = tan a |
//! | [`Sinh`] | `a.sinh()` | R×C → R×C | dA = dOut∘cosh a |
//! | [`Cosh`] | `a.cosh()` | R×C → R×C | dA = dOut∘sinh a |
//! | [`Sigmoid`] | `a.sigmoid()` | R×C → R×C | dA = dOut∘y∘(1 − y), y = σ(a) |
//! | [`Softplus`] | `a.softplus()` | R×C → R×C | dA = dOut∘σ(a) |
//! | [`Sqrt`] | `a.sqrt()` | R×C → R×C | dA = dOut∘1/(2y), y = √a |
//! | [`Abs`] | `a.abs()` | R×C → R×C | dA = dOut∘sign(a), sign(0) = 0 |
//! | [`Powi`] | `a.powi(n)` | R×C → R×C | dA = dOut∘n·aⁿ⁻¹ (0 for n = 0) |
//! | [`Powf`] | `a.powf(p)` | R×C → R×C | dA = dOut∘p·aᵖ⁻¹ (0 for p = 0) |
//! | [`Square`] | `a.square()` | R×C → R×C | dA = dOut∘2a |
//! | [`Reciprocal`] | `a.reciprocal()` | R×C → R×C | dA = −dOut∘y², y = 1/a |
//! | [`ComponentDiv`] | `a.component_div(b)` | R×C ⊘ R×C → R×C | dA = dOut⊘B, dB = −dOut∘A⊘B² |
//! | [`AddScalar`] | `a.add_scalar(s)` | R×C + s → R×C | dA = dOut |
//! | [`AddRow`] | `a.add_row(b)` | R×C + 1×C → R×C | dA = dOut, dB = row_sum(dOut) |
//! | [`AddRowThen`] | `a.add_row_then(b, Tanh)` | act(R×C + 1×C) → R×C | dA = dOut∘act′(y), dB = row_sum(dA), act′ from the output y |
//! | [`AddColumn`] | `a.add_column(b)` | R×C + R×1 → R×C | dA = dOut, dB = column_sum(dOut) |
//! | [`RowSum`] | `a.row_sum()` | R×C → 1×C | dA[r, c] = dOut[0, c] |
//! | [`ColumnSum`] | `a.column_sum()` | R×C → R×1 | dA[r, c] = dOut[r, 0] |
//! | [`RowwiseMax`] | `a.rowwise_max()` | R×C → R×1 | dA[r, c] = dOut[r, 0]·[c = first argmax of row r] |
//! | [`Dot`] | `a.dot(b)` | (R×C)·(R×C) → 1×1 | dA = dOut·B, dB = dOut·A |
//! | [`NormSquared`] | `a.norm_squared()` | R×C → 1×1 | dA = 2·dOut·A |
//! | [`Norm`] | `a.norm()` | R×C → 1×1 | dA = dOut·A/‖A‖, 0 at A = 0 |
//! | [`Cross`] | `a.cross(b)` | (3×1) × (3×1) → 3×1 | dA = b × dOut, dB = dOut × a |
//! | [`Hat`] | `w.hat()` | 3×1 → 3×3, the skew matrix \[w\]ₓ | dW = 2·vee(dOut) |
//! | [`Vee`] | `m.vee()` | 3×3 → 3×1, the axial vector of (M − Mᵀ)/2 | dM = ½·\[dOut\]ₓ |
//! | [`So3Exp`] | `w.so3_exp()` | 3×1 (axis·angle) → 3×3 rotation (Rodrigues) | dW = (A₂⟨w, g⟩ + B₂(wᵀ·dOut·w − θ²·tr dOut) − 2B·tr dOut)·w + A·g + B·(dOut + dOutᵀ)·w, g = 2·vee(dOut) ⁴ |
//! | [`So3Log`] | `r.so3_log()` | 3×3 rotation → 3×1 (axis·angle, θ ≤ π) | through v = vee(R), c = (tr R − 1)/2 and, for θ > π/2, the axis from (R + Rᵀ)/2 ⁴ |
//! | [`QuatToRotation`] | `q.quat_to_rotation()` | 4×1 (w, x, y, z), any norm → 3×3 | dq = ⟨dOut, ∂M/∂q⟩/‖q‖² − 2q·⟨dOut, M⟩/‖q‖⁴, M = ‖q‖²·R; dq ⊥ q |
//! | [`RotationToQuat`] | `r.rotation_to_quat()` | 3×3 → 4×1 (w, x, y, z), w ≥ 0 (Shepperd) | through the pivot's branch ⁴ |
//! | [`Solve`] | `a.solve(b)` | (N×N), (N×C) → N×C, X = A⁻¹·B (LU with partial pivoting; NaN if A is singular) | dB = A⁻ᵀ·dOut, dA = −dB·Xᵀ |
//! | [`Inverse`] | `a.inverse()` | N×N → N×N (NaN if singular) | dA = −Yᵀ·dOut·Yᵀ, Y = A⁻¹ |
//! | [`Determinant`] | `a.determinant()` | N×N → 1×1 | dA = dOut·cof(A), cof(A) = adj(A)ᵀ = det(A)·A⁻ᵀ (finite at singular A) |
//! | [`Cholesky`] | `a.cholesky()` | N×N → N×N, lower L with L·Lᵀ = (A + Aᵀ)/2 (NaN if not positive definite) | dA = ½(S + Sᵀ), S = L⁻ᵀ·Φ(Lᵀ·dOut)·L⁻¹, Φ = lower triangle, diagonal halved |
//! | [`CholeskySolve`] | `l.cholesky_solve(b)` | (N×N), (N×C) → N×C, X = (L·Lᵀ)⁻¹·B (L's lower triangle) | dB = (L·Lᵀ)⁻¹·dOut, dL = −tril((dB·Xᵀ + X·dBᵀ)·L) |
//! | [`Trace`] | `a.trace()` | N×N → 1×1 | dA = dOut·I |
//! | [`Softmax`] | `a.softmax()` | R×C → R×C | dA = P∘(dOut − column_sum(dOut∘P)·1ᵀ), P = output |
//! | [`LogSoftmax`] | `a.log_softmax()` | R×C → R×C | dA = dOut − P∘(column_sum(dOut)·1ᵀ), P = exp(output) |
//! | [`SoftmaxCrossEntropy`] | `a.softmax_cross_entropy(&labels)` | R×C, [`Labels<R, C>`](crate::Labels) → 1×1 | dA = dOut·(P − Y)/R, Y = one-hot labels |
//! | [`SoftmaxCrossEntropyTargets`] | `a.softmax_cross_entropy_targets(t)` | R×C, R×C → 1×1 | dA = dOut·(P∘s − T)/R, s = row sums of T; dT = −dOut·log softmax(A)/R |
//! | [`Mse`] | `a.mse(b)` | (R×C), (R×C) → 1×1 | dA = dOut·2(A − B)/(R·C), dB = −dA |
//! | [`SoftmaxCrossEntropyWeighted`] | `a.softmax_cross_entropy_weighted(t, w)` | R×C, R×C, R×1 → 1×1 (Σ w·ℓ / Σ w) | dA = dOut·w_r·(P∘s − T)/Σw |
//! | [`MseWeighted`] | `a.mse_weighted(b, w)` | R×C, R×C, R×1 → 1×1 (Σ w·ℓ / Σ w) | dA = dOut·2·w_r·(A − B)/(C·Σw), dB = −dA |
//! | [`L2Penalty`] | `w.l2_penalty(λ)` | R×C → 1×1 (½·λ·‖W‖²) | dW = dOut·λ·W |
//! | [`Vstack`] | `a.vstack(b)` | (A×C), (B×C) → (A+B)×C ¹ | dA = dOut[0..A, :], dB = dOut[A.., :] |
//! | [`Hstack`] | `a.hstack(b)` | (R×A), (R×B) → R×(A+B) ¹ | dA = dOut[:, 0..A], dB = dOut[:, A..] |
//! | [`FixedView`] | `a.fixed_view::<R2, C2, I, J>()` | R×C → R2×C2, I+R2 ≤ R, J+C2 ≤ C ² | dA = dOut in block (I, J) of zeros |
//! | [`Reshape`] | `a.reshape::<R2, C2>()`, `a.flatten()` | R×C → R2×C2, R·C = R2·C2 ² (column-major) | dA = dOut reshaped to R×C |
//! | [`Row`] | `a.row(i)` | R×C → 1×C, i < R ³ | dA = dOut in row i of zeros |
//! | [`Column`] | `a.column(j)` | R×C → R×1, j < C ³ | dA = dOut in column j of zeros |
//! | [`WithBlock`] | `a.with_block(i, j, b)` | (R×C), (R2×C2) → R×C, b written at (i, j), i + R2 ≤ R, j + C2 ≤ C ³ | dA = dOut with the block zeroed, dB = dOut's block |
//! | (sugar on [`WithBlock`]) | `Var::vstack_array(parts)`, `Var::hstack_array(parts)` | [R×C; N] → (N·R)×C, [R×C; N] → R×(N·C) ² | dPartₖ = dOut's k-th block |
//!
//! - ¹ `A + B` is computed by the compiler and inferred, up to 127 (see [`shape`](crate::shape)).
//! - ² The output shape is declared (turbofish or annotation) and checked by a const assertion
//!   when the code is built (`cargo build`, not `cargo check`), for any size.
//! - ³ The index is a runtime `usize`; an index out of range panics when the op is applied,
//!   at the caller's line.
//! - ⁴ Finite and exact at the singular points (θ = 0, θ = π, the identity quaternion): the
//!   op's docs give the branches, the series and the conventions where a value jumps.
//!
//! # Rotations and rigid bodies
//!
//! A rotation is a 3×3 matrix in the graph; an axis-angle vector w (3×1, angle ‖w‖ about
//! w/‖w‖) and a quaternion q (4×1, **(w, x, y, z)**, scalar first) convert to and from it
//! with [`so3_exp`](crate::Var::so3_exp) / [`so3_log`](crate::Var::so3_log) and
//! [`quat_to_rotation`](crate::Var::quat_to_rotation) /
//! [`rotation_to_quat`](crate::Var::rotation_to_quat); [`hat`](crate::Var::hat) and
//! [`vee`](crate::Var::vee) go between 3-vectors and skew matrices. Products, transposes and
//! sums are the ordinary ops. Two recipes:
//!
//! * **Attitude error** of R_b relative to R_a, in a's frame: `(r_a.transpose() * r_b).so3_log()`,
//!   the axis-angle vector e with R_b = R_a·exp(\[e\]ₓ); ‖e‖ is the angle between the two
//!   attitudes, in [0, π]. Its gradient is finite when the attitudes agree (e = 0, the usual
//!   target) and when they are opposite (‖e‖ = π, where e itself jumps between ±π·n, but a
//!   cost such as ‖e‖² does not). With quaternions, convert first:
//!   `q_a.quat_to_rotation()`.
//! * **Poses** as (R, t) pairs acting on points p ↦ R·p + t: for points as the columns of a
//!   3×N var, `(r * points).add_column(t)`; composition (R₁, t₁)∘(R₂, t₂) = (R₁·R₂, R₁·t₂ + t₁);
//!   inverse (Rᵀ, −Rᵀ·t); the pose of b in a's frame is (R_aᵀ·R_b, R_aᵀ·(t_b − t_a)).
//!
//! ```
//! use nalgebra::{Isometry3, Matrix3x2, Point3, UnitQuaternion, Vector3};
//! use shapegrad::{Graph, Var};
//!
//! /// A rigid-body pose: p ↦ R·p + t.
//! #[derive(Clone, Copy)]
//! struct Pose<'g> {
//!     r: Var<'g, f64, 3, 3>,
//!     t: Var<'g, f64, 3, 1>,
//! }
//!
//! impl<'g> Pose<'g> {
//!     fn apply<const N: usize>(self, points: Var<'g, f64, 3, N>) -> Var<'g, f64, 3, N> {
//!         (self.r * points).add_column(self.t)
//!     }
//!     fn compose(self, other: Pose<'g>) -> Pose<'g> {
//!         Pose { r: self.r * other.r, t: self.r * other.t + self.t }
//!     }
//!     fn inverse(self) -> Pose<'g> {
//!         let r_t = self.r.transpose();
//!         Pose { r: r_t, t: -(r_t * self.t) }
//!     }
//! }
//!
//! let g = Graph::<f64>::new();
//! let (w_a, w_b) = (Vector3::new(0.1, -0.2, 0.3), Vector3::new(0.4, 0.0, -0.1));
//! let (t_a, t_b) = (Vector3::new(1.0, 0.0, 0.0), Vector3::new(0.0, 2.0, 0.5));
//! let (wa, wb) = (g.var(w_a), g.var(w_b)); // the attitudes are what we differentiate
//! let a = Pose { r: wa.so3_exp(), t: g.constant(t_a) };
//! let b = Pose { r: wb.so3_exp(), t: g.constant(t_b) };
//!
//! // The attitude error and its angle, next to nalgebra's.
//! let error = (a.r.transpose() * b.r).so3_log();
//! let (q_a, q_b) = (UnitQuaternion::from_scaled_axis(w_a), UnitQuaternion::from_scaled_axis(w_b));
//! assert!((error.value().norm() - q_a.angle_to(&q_b)).abs() < 1e-15);
//! let grads = error.norm_squared().backward(); // ‖e‖²: finite everywhere
//! assert!(grads.wrt(wa).iter().chain(grads.wrt(wb).iter()).all(|d| d.is_finite()));
//! drop(grads);
//!
//! // b's points seen from a: a⁻¹∘b, next to nalgebra's isometries.
//! let points = Matrix3x2::new(0.5, -1.0, 0.0, 2.0, 1.0, 0.25);
//! let seen = a.inverse().compose(b).apply(g.constant(points)).value();
//! let want = Isometry3::new(t_a, w_a).inverse() * Isometry3::new(t_b, w_b);
//! for k in 0..2 {
//!     let p = want * Point3::from(points.column(k).into_owned());
//!     assert!((seen.column(k) - p.coords).norm() < 1e-15);
//! }
//!
//! // At equal attitudes (θ = 0) the error is 0 and its gradient finite, not NaN.
//! let same = (a.r.transpose() * a.r).so3_log();
//! assert!(same.value().norm() < 1e-15);
//! assert!(same.sum().backward().wrt(wa).iter().all(|d| d.is_finite()));
//! ```

mod abs;
mod acos;
mod activation;
mod add;
mod add_column;
mod add_row;
mod add_row_then;
mod add_scalar;
mod asin;
mod atan;
mod atan2;
mod cholesky;
mod cholesky_solve;
mod clamp;
mod column;
mod column_sum;
mod component_div;
mod component_mul;
mod cos;
mod cosh;
mod cross;
mod detach;
mod determinant;
mod dot;
mod exp;
mod fixed_view;
mod hat;
mod hstack;
mod inverse;
mod l2_penalty;
mod labels;
mod linalg_paths;
mod ln;
mod log_softmax;
mod matmul;
mod maximum;
mod mean;
mod minimum;
mod mse;
mod mse_weighted;
mod neg;
mod norm;
mod norm_squared;
mod powf;
mod powi;
mod quat_to_rotation;
mod reciprocal;
mod relu;
mod reshape;
mod rotation_to_quat;
mod row;
mod row_sum;
mod rowwise_max;
mod scale;
mod scale_by;
mod sigmoid;
mod sin;
mod sinh;
mod so3_coefficients;
mod so3_exp;
mod so3_log;
mod softmax;
mod softmax_cross_entropy;
mod softmax_cross_entropy_targets;
mod softmax_cross_entropy_weighted;
mod softplus;
mod solve;
mod sqrt;
mod square;
mod stack_array;
mod sub;
mod sum;
mod tan;
mod tanh;
mod trace;
mod transpose;
mod vee;
mod vstack;
mod with_block;

pub use abs::Abs;
pub use acos::Acos;
pub use add::Add;
pub use add_column::AddColumn;
pub use add_row::AddRow;
pub use add_row_then::AddRowThen;
pub use add_scalar::AddScalar;
pub use asin::Asin;
pub use atan::Atan;
pub use atan2::Atan2;
pub use cholesky::Cholesky;
pub use cholesky_solve::CholeskySolve;
pub use clamp::Clamp;
pub use column::Column;
pub use column_sum::ColumnSum;
pub use component_div::ComponentDiv;
pub use component_mul::ComponentMul;
pub use cos::Cos;
pub use cosh::Cosh;
pub use cross::Cross;
pub use detach::Detach;
pub use determinant::Determinant;
pub use dot::Dot;
pub use exp::Exp;
pub use fixed_view::FixedView;
pub use hat::Hat;
pub use hstack::Hstack;
pub use inverse::Inverse;
pub use l2_penalty::L2Penalty;
pub use ln::Ln;
pub use log_softmax::LogSoftmax;
pub use matmul::MatMul;
pub use maximum::Maximum;
pub use mean::Mean;
pub use minimum::Minimum;
pub use mse::Mse;
pub use mse_weighted::MseWeighted;
pub use neg::Neg;
pub use norm::Norm;
pub use norm_squared::NormSquared;
pub use powf::Powf;
pub use powi::Powi;
pub use quat_to_rotation::QuatToRotation;
pub use reciprocal::Reciprocal;
pub use relu::Relu;
pub use reshape::Reshape;
pub use rotation_to_quat::RotationToQuat;
pub use row::Row;
pub use row_sum::RowSum;
pub use rowwise_max::RowwiseMax;
pub use scale::Scale;
pub use scale_by::ScaleBy;
pub use sigmoid::Sigmoid;
pub use sin::Sin;
pub use sinh::Sinh;
pub use so3_exp::So3Exp;
pub use so3_log::So3Log;
pub use softmax::Softmax;
pub use softmax_cross_entropy::SoftmaxCrossEntropy;
pub use softmax_cross_entropy_targets::SoftmaxCrossEntropyTargets;
pub use softmax_cross_entropy_weighted::SoftmaxCrossEntropyWeighted;
pub use softplus::Softplus;
pub use solve::Solve;
pub use sqrt::Sqrt;
pub use square::Square;
pub use sub::Sub;
pub use sum::Sum;
pub use tan::Tan;
pub use tanh::Tanh;
pub use trace::Trace;
pub use transpose::Transpose;
pub use vee::Vee;
pub use vstack::Vstack;
pub use with_block::WithBlock;

// Not ops: what some ops take (the activation fused into `AddRowThen`, the labels of the
// cross-entropies). tests/integration/readme.rs reads the ops above this line.
pub use activation::Activation;
pub use labels::{LabelError, Labels};
