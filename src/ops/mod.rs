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

mod abs;
mod activation;
mod add;
mod add_column;
mod add_row;
mod add_row_then;
mod add_scalar;
mod atan2;
mod cholesky;
mod cholesky_solve;
mod clamp;
mod column;
mod column_sum;
mod component_div;
mod component_mul;
mod cos;
mod cross;
mod detach;
mod determinant;
mod dot;
mod exp;
mod fixed_view;
mod hstack;
mod inverse;
mod l2_penalty;
mod labels;
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
mod reciprocal;
mod relu;
mod reshape;
mod row;
mod row_sum;
mod rowwise_max;
mod scale;
mod sigmoid;
mod sin;
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
mod tanh;
mod trace;
mod transpose;
mod vstack;
mod with_block;

pub use abs::Abs;
pub use add::Add;
pub use add_column::AddColumn;
pub use add_row::AddRow;
pub use add_row_then::AddRowThen;
pub use add_scalar::AddScalar;
pub use atan2::Atan2;
pub use cholesky::Cholesky;
pub use cholesky_solve::CholeskySolve;
pub use clamp::Clamp;
pub use column::Column;
pub use column_sum::ColumnSum;
pub use component_div::ComponentDiv;
pub use component_mul::ComponentMul;
pub use cos::Cos;
pub use cross::Cross;
pub use detach::Detach;
pub use determinant::Determinant;
pub use dot::Dot;
pub use exp::Exp;
pub use fixed_view::FixedView;
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
pub use reciprocal::Reciprocal;
pub use relu::Relu;
pub use reshape::Reshape;
pub use row::Row;
pub use row_sum::RowSum;
pub use rowwise_max::RowwiseMax;
pub use scale::Scale;
pub use sigmoid::Sigmoid;
pub use sin::Sin;
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
pub use tanh::Tanh;
pub use trace::Trace;
pub use transpose::Transpose;
pub use vstack::Vstack;
pub use with_block::WithBlock;

// Not ops: what some ops take (the activation fused into `AddRowThen`, the labels of the
// cross-entropies). tests/readme.rs reads the ops above this line.
pub use activation::Activation;
pub use labels::{LabelError, Labels};
