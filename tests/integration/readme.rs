//! The README's op table lists every op that `shapegrad::ops` exports.

#[test]
fn every_exported_op_has_a_row_in_the_readme_table() {
    let readme = include_str!("../../README.md");
    let ops = include_str!("../../src/ops/mod.rs");
    let exported: Vec<&str> = ops
        .lines()
        .take_while(|line| !line.starts_with("// Not ops:"))
        .filter_map(|line| line.strip_prefix("pub use "))
        .filter_map(|path| path.trim_end_matches(';').rsplit("::").next())
        .collect();
    assert!(
        exported.len() > 10,
        "found only {exported:?} in src/ops/mod.rs"
    );
    let missing: Vec<&&str> = exported
        .iter()
        .filter(|op| !readme.contains(&format!("| `{op}` |")))
        .collect();
    assert!(
        missing.is_empty(),
        "ops missing from README's table: {missing:?}"
    );
}
