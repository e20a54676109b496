//! The learned pruner through the `kompress` binary: train → relabel → train again on the tiny
//! fixture encoder, then compress with the trained model (alone and blended) and restore
//! byte-exact; configuration mistakes exit 4 naming the field.

#![cfg(feature = "learned")]

mod common;

use std::path::Path;

use common::{kompress, run};

/// Runs the binary, which must succeed, and returns its stdout.
fn ok(args: &[&str]) -> String {
    String::from_utf8(kompress(args, b"").stdout).unwrap()
}

fn fixture_encoder() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../kompress-model/tests/fixtures/tiny-bert")
        .canonicalize()
        .unwrap()
        .display()
        .to_string()
}

fn build_log() -> String {
    let mut s = String::new();
    for i in 0..40 {
        s.push_str(&format!(
            "[INFO] Downloading from central: https://repo.example.org/x/{i}/x-{i}.pom\n"
        ));
    }
    s.push_str("[ERROR] /src/Foo.java:[12,5] cannot find symbol\n[INFO] BUILD FAILURE\n");
    s
}

fn write_training_data(path: &Path) {
    let mut lines = String::new();
    for (i, text) in [build_log(), build_log().repeat(2)].iter().enumerate() {
        let rec = serde_json::json!({"id": format!("tool/{i}"), "source": "test", "text": text});
        lines.push_str(&format!("{rec}\n"));
    }
    std::fs::write(path, lines).unwrap();
}

fn round_trip(dir: &Path, extra: &[&str]) -> String {
    let input = dir.join("build.log");
    let ev = dir.join("ev.jsonl");
    let out = dir.join("small.log");
    std::fs::write(&input, build_log()).unwrap();
    let mut args = vec![
        "compress",
        input.to_str().unwrap(),
        "--evictions",
        ev.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    ok(&args);
    let compressed = std::fs::read_to_string(&out).unwrap();
    let restored = ok(&[
        "restore",
        out.to_str().unwrap(),
        "--evictions",
        ev.to_str().unwrap(),
    ]);
    assert_eq!(restored, build_log(), "restore(compress(x)) == x");
    compressed
}

#[test]
fn train_relabel_train_then_compress_with_the_model_restores_byte_exact() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = d.join("train.jsonl");
    write_training_data(&data);
    let base = fixture_encoder();
    let settings = |data: &Path, out: &Path, init: Option<&Path>| {
        let mut v = serde_json::json!({
            "data": [data], "base_model": base, "out_dir": out,
            "steps": 3, "batch_size": 2, "window": 64, "threads": 1
        });
        if let Some(i) = init {
            v["init_from"] = serde_json::json!(i);
        }
        v.to_string()
    };
    let r0 = d.join("round0");
    std::fs::write(d.join("r0.json"), settings(&data, &r0, None)).unwrap();
    let report: serde_json::Value =
        serde_json::from_str(&ok(&["train", d.join("r0.json").to_str().unwrap()])).unwrap();
    assert!(report.is_object(), "train prints its JSON report");
    assert!(r0.join("adapter_config.json").is_file());
    assert!(r0.join("lora.safetensors").is_file());
    assert!(r0.join("heads.safetensors").is_file());

    let relabelled = d.join("relabelled.jsonl");
    let rel = serde_json::json!({"model_dir": r0, "data": [data], "out": relabelled});
    std::fs::write(d.join("rel.json"), rel.to_string()).unwrap();
    let report: serde_json::Value =
        serde_json::from_str(&ok(&["relabel", d.join("rel.json").to_str().unwrap()])).unwrap();
    assert_eq!(report["relabelled"], 2, "{report}");
    let r1 = d.join("round1");
    std::fs::write(d.join("r1.json"), settings(&relabelled, &r1, Some(&r0))).unwrap();
    ok(&["train", d.join("r1.json").to_str().unwrap()]);

    let out = round_trip(d, &["--model", r1.to_str().unwrap()]);
    assert!(
        out.contains("[ERROR] /src/Foo.java:[12,5] cannot find symbol"),
        "the floor keeps the error line whatever the model says"
    );
    round_trip(d, &["--pruner", "blend", "--model", r1.to_str().unwrap()]);
}

#[test]
fn a_missing_model_directory_exits_4_naming_the_field() {
    let o = run(&["compress", "--model", "/nonexistent/model", "-"], b"");
    assert_eq!(
        o.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("pruner.model"));
}

#[test]
fn malformed_train_settings_exit_4_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.json");
    std::fs::write(&p, r#"{"data": [], "stepz": 3}"#).unwrap();
    let o = run(&["train", p.to_str().unwrap()], b"");
    assert_eq!(
        o.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("bad.json"));
}

#[test]
fn a_model_directory_that_does_not_load_names_its_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("adapter_config.json"), "{\"r\": ").unwrap();
    let o = run(
        &[
            "compress",
            "--pruner",
            "learned",
            "--model",
            dir.path().to_str().unwrap(),
            "--min-bytes",
            "1",
            "-",
        ],
        b"some text that the model would score\n",
    );
    assert_eq!(o.status.code(), Some(kompress_core::exit::FAILURE));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.matches("pruner `tch` failed").count(), 1, "{err}");
    assert!(
        err.contains("adapter_config.json") && err.contains("loading model"),
        "the file and the step are named: {err}"
    );
}
