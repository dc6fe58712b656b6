//! Layer 2, the typed op contract: the values a graph stores ([`Value`]), how they are laid
//! out in its flat buffers (`layout`, the crate's only `unsafe`), an op's inputs ([`Inputs`])
//! and gradient slots ([`GradSlot`]), the [`Op`] trait itself and how an op writes its
//! constructor into generated code ([`RustExpr`]), typed products for backward passes
//! ([`product`]) and the shape arithmetic of the shape-changing ops ([`shape`]); large
//! matrices made on the heap ([`boxed`]) and per-thread scratch matrices (`scratch`).

pub mod boxed;
mod grad_slot;
pub(crate) mod inputs;
pub(crate) mod layout;
mod op;
pub mod product;
mod rust_expr;
pub(crate) mod scratch;
pub mod shape;
pub(crate) mod value;

pub use grad_slot::GradSlot;
pub use inputs::Inputs;
pub use op::Op;
pub use rust_expr::RustExpr;
pub(crate) use rust_expr::f64_literal;
pub use value::Value;

/// Seals the traits whose implementations shapegrad provides for every shape.
pub(crate) mod sealed {
    pub trait Sealed {}
}
