//! Layer 6, differentiation tools on top of the graph: numerical gradient checks
//! ([`check`]), Jacobians and Jacobian products ([`jacobian`]), exact second order on
//! dual numbers (`second_order`, feature `second-order`) and graphs written out as Rust
//! ([`codegen`]).

pub mod check;
pub mod codegen;
pub mod jacobian;
#[cfg(feature = "second-order")]
pub mod second_order;
#[cfg(test)]
pub(crate) mod testing;
