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
//! | [`Vstack`] | `a.vstack(b)` | (A×C), (B×C) → (A+B)×C ¹ | dA = dOut[0..A, :], dB = dOut[A.., :] |
//! | [`Hstack`] | `a.hstack(b)` | (R×A), (R×B) → R×(A+B) ¹ | dA = dOut[:, 0..A], dB = dOut[:, A..] |
//! | [`FixedView`] | `a.fixed_view::<R2, C2, I, J>()` | R×C → R2×C2, I+R2 ≤ R, J+C2 ≤ C ² | dA = dOut in block (I, J) of zeros |
//! | [`Reshape`] | `a.reshape::<R2, C2>()`, `a.flatten()` | R×C → R2×C2, R·C = R2·C2 ² (column-major) | dA = dOut reshaped to R×C |
//! | [`Row`] | `a.row(i)` | R×C → 1×C, i < R ³ | dA = dOut in row i of zeros |
//! | [`Column`] | `a.column(j)` | R×C → R×1, j < C ³ | dA = dOut in column j of zeros |
//!
//! - ¹ `A + B` is computed by the compiler and inferred, up to 127 (see [`shape`](crate::shape)).
//! - ² The output shape is declared (turbofish or annotation) and checked by a const assertion
//!   when the code is built (`cargo build`, not `cargo check`), for any size.
//! - ³ The index is a runtime `usize`; an index out of range panics when the op is applied.

mod add;
mod column;
mod component_mul;
mod fixed_view;
mod hstack;
mod matmul;
mod maximum;
mod mean;
mod neg;
mod relu;
mod reshape;
mod row;
mod scale;
mod sub;
mod sum;
mod transpose;
mod vstack;

pub use add::Add;
pub use column::Column;
pub use component_mul::ComponentMul;
pub use fixed_view::FixedView;
pub use hstack::Hstack;
pub use matmul::MatMul;
pub use maximum::Maximum;
pub use mean::Mean;
pub use neg::Neg;
pub use relu::Relu;
pub use reshape::Reshape;
pub use row::Row;
pub use scale::Scale;
pub use sub::Sub;
pub use sum::Sum;
pub use transpose::Transpose;
pub use vstack::Vstack;
