//! The long-running commands take the pipeline part of kompress.toml (`[pruner]`, `[stat]`,
//! `floor`) with `--pipeline-config`, as `compress --config` does: a recompression under a
//! file whose floor keeps a harness frame compresses a transcript exactly as `compress
//! --config` with that file, differs from the default, and writes other record ids.
//! (A JSONL directory to a directory: no broker needed.)

mod common;

use std::path::Path;

use common::{kompress, run, stack_trace};

const FRAME: &str = "TestSuite.java:208";

fn messages() -> serde_json::Value {
    serde_json::json!([
        {"role": "user", "content": "why does the TimeSeries test fail?"},
        {"role": "tool", "content": String::from_utf8(stack_trace()).unwrap()},
    ])
}

/// A kompress.toml with `[pruner] kind = "stat"` and a floor file that keeps the line of
/// [`FRAME`] (a JUnit harness frame the statistical pruner evicts by default).
fn config(dir: &Path) -> std::path::PathBuf {
    let floor = dir.join("floor.toml");
    std::fs::write(
        &floor,
        // from the line's start, so no default category's match (the frame, the file:line)
        // begins before it; a new category comes first at the same byte
        "[[category]]\nname = \"suite_frame\"\nkeep = \"line\"\n\
         patterns = ['(?m:^)[ \\t]*at junit\\.framework\\.TestSuite\\.runTest\\(TestSuite\\.java:208\\)']\n",
    )
    .unwrap();
    let cfg = dir.join("kompress.toml");
    std::fs::write(
        &cfg,
        format!(
            "floor = {:?}\n[pruner]\nkind = \"stat\"\n",
            floor.to_str().unwrap()
        ),
    )
    .unwrap();
    cfg
}

/// The compressed tool result and the record id of a directory recompression with `flags`.
fn recompressed(dir: &Path, name: &str, flags: &[&str]) -> (String, String) {
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
    (
        rec["messages"][1]["content"].as_str().unwrap().to_string(),
        rec["kompress"]["id"].as_str().unwrap().to_string(),
    )
}

fn compressed(flags: &[&str]) -> String {
    let mut args = vec!["compress", "--format", "openai"];
    args.extend_from_slice(flags);
    args.push("-");
    let o = kompress(&args, messages().to_string().as_bytes());
    let out: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    out[1]["content"].as_str().unwrap().to_string()
}

#[test]
fn recompress_with_a_pipeline_config_compresses_as_compress_with_that_config() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let cfg = cfg.to_str().unwrap();
    let (default, default_id) = recompressed(dir.path(), "default", &[]);
    let (floored, floored_id) = recompressed(dir.path(), "floored", &["--pipeline-config", cfg]);
    assert!(
        !default.contains(FRAME),
        "the default evicts the harness frame:\n{default}"
    );
    assert!(
        floored.contains(FRAME),
        "the file's floor keeps it:\n{floored}"
    );
    assert_eq!(floored, compressed(&["--config", cfg]));
    assert_ne!(
        default_id, floored_id,
        "another floor writes other record ids"
    );
    let (_, again) = recompressed(dir.path(), "again", &["--pipeline-config", cfg]);
    assert_eq!(again, floored_id, "the same config writes the same ids");
}

#[test]
fn a_pipeline_config_whose_floor_file_is_missing_is_a_config_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("kompress.toml");
    std::fs::write(&cfg, "floor = \"/nonexistent/floor.toml\"\n").unwrap();
    let out = run(&["stream", "--pipeline-config", cfg.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(4), "bad configuration");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/floor.toml"), "{err}");
}
