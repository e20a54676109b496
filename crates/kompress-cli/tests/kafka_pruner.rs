//! `kompress recompress` and `kompress stream` take the pruner flags of `compress`: a
//! recompression with `--pruner blend` compresses a transcript exactly as
//! `kompress compress --pruner blend` does, and differently from the statistical default.
//! (A JSONL directory to a directory: no broker needed.)

#![cfg(feature = "learned")]

mod common;

use std::path::Path;

use common::{base_encoder_installed, compressed_tool_result, recompressed_record, run};

/// The compressed tool result of a directory recompression run with `flags`.
fn recompressed(dir: &Path, name: &str, flags: &[&str]) -> String {
    recompressed_record(dir, name, flags)["messages"][1]["content"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn recompress_with_the_blend_compresses_as_compress_does_and_differs_from_the_default() {
    if !base_encoder_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let default = recompressed(dir.path(), "default", &[]);
    let blend = recompressed(dir.path(), "blend", &["--pruner", "blend"]);
    assert_eq!(
        default,
        compressed_tool_result(&["--pruner", "stat"]),
        "without flags the Kafka commands run the statistical pruner"
    );
    assert_eq!(blend, compressed_tool_result(&["--pruner", "blend"]));
    assert_ne!(
        blend, default,
        "the model changed the outcome on this trace"
    );
    assert!(blend.contains("TimeSeries.java:883") && blend.contains("TimeSeriesTests.java:829"));
}

#[test]
fn a_kafka_command_given_a_model_that_does_not_load_fails_with_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("no-such-model");
    let out = run(&["stream", "--model", model.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(4), "bad configuration");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pruner.model"), "{err}");
}
