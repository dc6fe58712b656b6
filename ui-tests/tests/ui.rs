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
    if let Some(status) = run_in_a_child_with_one_set_of_rustflags() {
        assert!(
            status.success(),
            "the compile-fail suite failed ({status}); trybuild's report is above"
        );
        return;
    }
    let t = trybuild::TestCases::new();
    // A passing case makes trybuild build (not only check) the cases, so errors that appear
    // at monomorphization (const assertions) are reported too: dtolnay/trybuild#258.
    t.pass("pass/*.rs");
    t.compile_fail("*.rs");
}

/// The flags trybuild 1.0.122 gives rustc for the cases: its own (`--cfg trybuild --verbose
/// -A dead_code`, `src/rustflags.rs`) and the one it adds when it compiles them all
/// (`--diagnostic-width=140`, `src/cargo.rs`), which the snapshots' line breaks depend on.
const TRYBUILD_RUSTFLAGS: [&str; 6] = [
    "--cfg",
    "trybuild",
    "--verbose",
    "-A",
    "dead_code",
    "--diagnostic-width=140",
];

/// trybuild builds the dependencies with one set of rustflags and then the cases with that set
/// plus `--diagnostic-width=140`; the flags are part of every crate's fingerprint, so on a
/// fresh target directory nalgebra, simba, wide, num-dual and shapegrad were compiled twice:
/// 18 of the suite's 40 s on a 2-core machine. `CARGO_ENCODED_RUSTFLAGS` outranks the
/// `--config` flags trybuild passes to cargo (and trybuild clears only `RUSTFLAGS`), so this
/// test runs itself again in a child process with that variable set to the cases' flags: one
/// set for both steps, every dependency compiled once.
///
/// Returns `None` in that child, and where the caller set `RUSTFLAGS` or
/// `CARGO_ENCODED_RUSTFLAGS` (a coverage run, say): trybuild then runs here, as it would
/// without this function.
fn run_in_a_child_with_one_set_of_rustflags() -> Option<std::process::ExitStatus> {
    const VARIABLE: &str = "CARGO_ENCODED_RUSTFLAGS";
    if std::env::var_os(VARIABLE).is_some() || std::env::var_os("RUSTFLAGS").is_some() {
        return None;
    }
    let this_test = std::env::current_exe().expect("the ui test binary's path");
    let status = std::process::Command::new(this_test)
        .args(["ui", "--exact", "--nocapture"])
        .env(VARIABLE, TRYBUILD_RUSTFLAGS.join("\u{1f}"))
        // trybuild reports on stderr (kept); the child harness's own lines on stdout would
        // repeat this test's result line ("1 passed") for scripts that count them.
        .stdout(std::process::Stdio::null())
        .status()
        .expect("the ui test binary runs itself in a child process");
    Some(status)
}
