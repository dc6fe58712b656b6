//! Reading criterion's results back: the median time of a finished benchmark, for the ratio
//! lines each benchmark binary prints at the end of its run. Included by path in each binary.

use std::path::PathBuf;

/// Where criterion writes its results (`target/criterion`, or under `CARGO_TARGET_DIR`).
pub fn output_directory() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir).join("criterion"),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/criterion"),
    }
}

/// The median time in nanoseconds of benchmark `bench` of group `group`, from this run.
pub fn median_ns(group: &str, bench: &str) -> Option<f64> {
    let path = output_directory()
        .join(group)
        .join(bench)
        .join("new/estimates.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    json["median"]["point_estimate"].as_f64()
}
