//! Compile-fail tests: each `*.rs` file in `ui-tests/` breaks one shape rule, and its `.stderr`
//! snapshot shows the error the compiler gives. The snapshots are recorded with rustc 1.95,
//! and error wording changes between releases, so on another compiler the suite cannot be
//! compared: it is skipped with a message on stderr (shown by a plain `cargo test`), unless `SHAPEGRAD_REQUIRE_UI` is set (CI
//! sets it, in `.ci/run`), in which case this test fails instead of going quiet. Re-record with
//! `TRYBUILD=overwrite cargo test --test ui` and read the diff.

/// The compiler the snapshots were recorded with.
const RECORDED_WITH: &str = "rustc 1.95";

#[test]
fn ui() {
    if !rustversion::cfg!(stable(1.95)) {
        let required = std::env::var_os("SHAPEGRAD_REQUIRE_UI").is_some();
        assert!(
            !required,
            "the ui snapshots are recorded with {RECORDED_WITH} and this is another compiler, \
             while SHAPEGRAD_REQUIRE_UI is set: install {RECORDED_WITH} or re-record the \
             snapshots (TRYBUILD=overwrite cargo test --test ui) and read the diff"
        );
        // Written to the process's stderr, past the test harness's capture, so that a passing
        // run still shows that the suite did not run.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "ui: SKIPPED, the snapshots are recorded with {RECORDED_WITH} and this is another \
             compiler (set SHAPEGRAD_REQUIRE_UI=1 to make this a failure)"
        );
        return;
    }
    let t = trybuild::TestCases::new();
    // A passing case makes trybuild build (not only check) the cases, so errors that appear
    // at monomorphization (const assertions) are reported too: dtolnay/trybuild#258.
    t.pass("pass/*.rs");
    t.compile_fail("*.rs");
}
