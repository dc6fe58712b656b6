//! One generated module and the functions a program would call, compiled for their scalars:
//! `src/module.rs` is written by `../measure.sh` before each build.

include!("module.rs");
