//! Compile-fail tests: each file in `ui-tests/` breaks one shape rule, and its `.stderr`
//! snapshot shows the error the compiler gives. Recorded with rustc 1.95; on other compilers
//! the wording differs, so the test is ignored there. Re-record with
//! `TRYBUILD=overwrite cargo test --test ui` and read the diff.

#[rustversion::attr(
    not(stable(1.95)),
    ignore = "trybuild snapshots are recorded with rustc 1.95"
)]
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    // A passing case makes trybuild build (not only check) the cases, so errors that appear
    // at monomorphization (const assertions) are reported too: dtolnay/trybuild#258.
    t.pass("ui-tests/pass/*.rs");
    t.compile_fail("ui-tests/*.rs");
}
