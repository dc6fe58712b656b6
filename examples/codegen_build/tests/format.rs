//! The generated files are formatted: rustfmt (edition 2024, default settings) leaves every
//! module `build.rs` wrote as it is. Skipped, with a note, where rustfmt is not installed,
//! unless `SHAPEGRAD_REQUIRE_RUSTFMT` is set (CI sets it).

use std::process::Command;

#[test]
fn rustfmt_leaves_every_generated_module_as_it_is() {
    let out = env!("OUT_DIR");
    let mut files: Vec<_> = std::fs::read_dir(out)
        .expect("OUT_DIR")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            name.ends_with(".rs") && name != "ops.rs" && name != "compositions.rs"
        })
        .collect();
    files.sort();
    assert!(files.len() > 60, "{} generated modules", files.len());
    let status = Command::new("rustfmt")
        .args(["--edition", "2024", "--check"])
        .args(&files)
        .status();
    match status {
        Ok(status) => assert!(status.success(), "rustfmt would change a generated module"),
        Err(e) if std::env::var_os("SHAPEGRAD_REQUIRE_RUSTFMT").is_none() => {
            eprintln!("rustfmt not run ({e}): install it to check the generated code's format");
        }
        Err(e) => panic!("rustfmt is required here: {e}"),
    }
}
