//! `kompress recompress` and `kompress stream` take the pruner flags of `compress`: a
//! recompression with `--pruner blend` compresses a transcript exactly as
//! `kompress compress --pruner blend` does, and differently from the statistical default.
//! (A JSONL directory to a directory: no broker needed.)

#![cfg(feature = "learned")]

mod common;

use std::path::Path;

use common::{base_encoder_installed, kompress, run, stack_trace};

fn messages() -> serde_json::Value {
    serde_json::json!([
        {"role": "user", "content": "why does the TimeSeries test fail?"},
        {"role": "tool", "content": String::from_utf8(stack_trace()).unwrap()},
    ])
}

/// The compressed tool result of a directory recompression run with `flags`.
fn recompressed(dir: &Path, name: &str, flags: &[&str]) -> String {
    let src = dir.join("in");
    std::fs::create_dir_all(&src).unwrap();
    let envelope = serde_json::json!({
        "version": 1, "tenant": "acme", "session_id": "s1", "transcript_id": "t1",
        "format": "openai", "messages": messages(),
    });
    std::fs::write(src.join("t.jsonl"), format!("{envelope}\n")).unwrap();
    let out = dir.join(format!("out-{name}"));
    let cp = dir.join(format!("cp-{name}.json"));
    let mut args = vec![
        "recompress",
        "--from-dir",
        src.to_str().unwrap(),
        "--to-dir",
        out.to_str().unwrap(),
        "--checkpoint",
        cp.to_str().unwrap(),
        "--no-progress",
    ];
    args.extend_from_slice(flags);
    kompress(&args, b"");
    let line = std::fs::read_to_string(out.join("compressed.jsonl")).unwrap();
    let rec: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    rec["messages"][1]["content"].as_str().unwrap().to_string()
}

/// The compressed tool result of `kompress compress --format openai` with `flags`.
fn compressed(flags: &[&str]) -> String {
    let mut args = vec!["compress", "--format", "openai"];
    args.extend_from_slice(flags);
    args.push("-");
    let o = kompress(&args, messages().to_string().as_bytes());
    let out: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    out[1]["content"].as_str().unwrap().to_string()
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
        compressed(&["--pruner", "stat"]),
        "without flags the Kafka commands run the statistical pruner"
    );
    assert_eq!(blend, compressed(&["--pruner", "blend"]));
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
