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

mod add;
mod component_mul;
mod hstack;
mod matmul;
mod maximum;
mod mean;
mod neg;
mod relu;
mod reshape;
mod scale;
mod sub;
mod sum;
mod transpose;
mod vstack;

pub use add::Add;
pub use component_mul::ComponentMul;
pub use hstack::Hstack;
pub use matmul::MatMul;
pub use maximum::Maximum;
pub use mean::Mean;
pub use neg::Neg;
pub use relu::Relu;
pub use reshape::Reshape;
pub use scale::Scale;
pub use sub::Sub;
pub use sum::Sum;
pub use transpose::Transpose;
pub use vstack::Vstack;
