//! Nothing but a library target: trybuild passes this package's enabled features on to the
//! cases only through a library (its generated project depends on this crate with them, and
//! `second-order` here enables `shapegrad/second-order`). The cases are the `*.rs` files
//! next to `Cargo.toml`; the harness is `tests/ui.rs`.
