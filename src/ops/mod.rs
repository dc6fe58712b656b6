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
//! | [`Relu`] | `a.relu()` | R×C → R×C | dA = dOut∘[a > 0] |
//! | [`Maximum`] | `a.maximum(b)` | max(R×C, R×C) → R×C | dA = dOut∘[a ≥ b], dB = dOut∘[a < b] |
//! | [`AddRow`] | `a.add_row(b)` | R×C + 1×C → R×C | dA = dOut, dB = row_sum(dOut) |
//! | [`AddColumn`] | `a.add_column(b)` | R×C + R×1 → R×C | dA = dOut, dB = column_sum(dOut) |
//! | [`RowSum`] | `a.row_sum()` | R×C → 1×C | dA[r, c] = dOut[0, c] |
//! | [`ColumnSum`] | `a.column_sum()` | R×C → R×1 | dA[r, c] = dOut[r, 0] |
//! | [`RowwiseMax`] | `a.rowwise_max()` | R×C → R×1 | dA[r, c] = dOut[r, 0]·[c = first argmax of row r] |
//! | [`Dot`] | `a.dot(b)` | (R×C)·(R×C) → 1×1 | dA = dOut·B, dB = dOut·A |
//! | [`NormSquared`] | `a.norm_squared()` | R×C → 1×1 | dA = 2·dOut·A |
//! | [`Softmax`] | `a.softmax()` | R×C → R×C | dA = P∘(dOut − column_sum(dOut∘P)·1ᵀ), P = output |
//! | [`LogSoftmax`] | `a.log_softmax()` | R×C → R×C | dA = dOut − P∘(column_sum(dOut)·1ᵀ), P = exp(output) |
//! | [`SoftmaxCrossEntropy`] | `a.softmax_cross_entropy(&labels)` | R×C, [`Labels<R, C>`](crate::Labels) → 1×1 | dA = dOut·(P − Y)/R, Y = one-hot labels |
//! | [`Mse`] | `a.mse(b)` | (R×C), (R×C) → 1×1 | dA = dOut·2(A − B)/(R·C), dB = −dA |
//! | [`L2Penalty`] | `w.l2_penalty(λ)` | R×C → 1×1 (½·λ·‖W‖²) | dW = dOut·λ·W |

mod add;
mod add_column;
mod add_row;
mod column_sum;
mod component_mul;
mod dot;
mod l2_penalty;
mod log_softmax;
mod matmul;
mod maximum;
mod mean;
mod mse;
mod neg;
mod norm_squared;
mod relu;
mod row_sum;
mod rowwise_max;
mod scale;
mod softmax;
mod softmax_cross_entropy;
mod sub;
mod sum;
mod transpose;

pub use add::Add;
pub use add_column::AddColumn;
pub use add_row::AddRow;
pub use column_sum::ColumnSum;
pub use component_mul::ComponentMul;
pub use dot::Dot;
pub use l2_penalty::L2Penalty;
pub use log_softmax::LogSoftmax;
pub use matmul::MatMul;
pub use maximum::Maximum;
pub use mean::Mean;
pub use mse::Mse;
pub use neg::Neg;
pub use norm_squared::NormSquared;
pub use relu::Relu;
pub use row_sum::RowSum;
pub use rowwise_max::RowwiseMax;
pub use scale::Scale;
pub use softmax::Softmax;
pub use softmax_cross_entropy::SoftmaxCrossEntropy;
pub use sub::Sub;
pub use sum::Sum;
pub use transpose::Transpose;
