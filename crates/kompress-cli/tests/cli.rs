//! The `kompress` binary: round trip through files, documented exit codes, clear messages.

mod common;

use common::run;

fn log() -> String {
    let mut s = String::new();
    for i in 0..80 {
        s.push_str(&format!("[INFO] Downloading from central: https://repo.maven.apache.org/maven2/x/{i}/x-{i}.pom\n"));
    }
    s.push_str("[ERROR] /src/Foo.java:[12,5] cannot find symbol\n[INFO] BUILD FAILURE\n");
    s
}

#[test]
fn compress_then_restore_through_files_is_byte_exact() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("build.log");
    let ev = dir.path().join("ev.jsonl");
    let small = dir.path().join("small.log");
    std::fs::write(&input, log()).unwrap();
    let o = run(
        &[
            "compress",
            input.to_str().unwrap(),
            "--evictions",
            ev.to_str().unwrap(),
            "-o",
            small.to_str().unwrap(),
        ],
        b"",
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let compressed = std::fs::read_to_string(&small).unwrap();
    // the downloads fold into rows (the URLs are the parameters), the error stays whole
    assert!(compressed.len() < log().len() * 3 / 4);
    for i in 0..80 {
        assert!(compressed.contains(&format!("/x/{i}/x-{i}.pom")));
    }
    assert!(compressed.contains("[ERROR] /src/Foo.java:[12,5] cannot find symbol"));
    let o = run(
        &[
            "restore",
            small.to_str().unwrap(),
            "--evictions",
            ev.to_str().unwrap(),
        ],
        b"",
    );
    assert!(o.status.success());
    assert_eq!(o.stdout, log().as_bytes());
}

#[test]
fn invalid_utf8_exits_3_naming_offset_and_line() {
    let o = run(&["compress", "-"], b"line one\nbad \xff byte");
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("offset 13") && err.contains("line 2"), "{err}");
}

#[test]
fn malformed_json_exits_3_with_line_and_column() {
    let o = run(
        &["compress", "--format", "openai", "-"],
        b"{\"messages\": [\n  {\"role\": \"tool\",, }]}",
    );
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("line 2, column"), "{err}");
}

#[test]
fn empty_input_exits_3_and_bad_config_exits_4() {
    assert_eq!(run(&["compress", "-"], b"").status.code(), Some(3));
    let o = run(&["compress", "--target-ratio", "2", "-"], b"x");
    assert_eq!(o.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&o.stderr).contains("target_ratio"));
}

/// The o200k savings cell of `kompress score`'s ALL row.
fn score_savings(out: &[u8]) -> f64 {
    let table = String::from_utf8_lossy(out);
    let row = table
        .lines()
        .find(|l| l.starts_with("| kompress | ALL |"))
        .unwrap_or_else(|| panic!("no ALL row in {table}"));
    row.split('|').nth(8).unwrap().trim().parse().unwrap()
}

#[test]
fn score_takes_the_compression_flags_of_compress() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("one.jsonl");
    // a trace whose harness tail is evicted behind a marker
    let text = String::from_utf8(common::stack_trace()).unwrap();
    let case = serde_json::json!({"id": "c1", "source": "junit", "text": text,
        "critical_spans": ["TimeSeries.java:883"]});
    std::fs::write(&data, format!("{case}\n")).unwrap();
    let score = |flags: &[&str]| {
        let mut args = vec![
            "score",
            "--pruner",
            "stat",
            "--data",
            data.to_str().unwrap(),
        ];
        args.extend_from_slice(flags);
        run(&args, b"")
    };
    let o = score(&["--target-ratio", "2"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&o.stderr).contains("target_ratio"));

    let with_markers = score(&[]);
    let without = score(&["--no-markers", "--keep-ansi", "--min-bytes", "0"]);
    for o in [&with_markers, &without] {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(String::from_utf8_lossy(&o.stdout).contains("| ALL | 1 | 1.000 |"));
    }
    assert!(
        score_savings(&without.stdout) > score_savings(&with_markers.stdout),
        "--no-markers drops the markers' tokens"
    );
}

#[test]
fn restore_with_records_that_do_not_match_exits_5() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev.jsonl");
    let o = run(
        &["compress", "--evictions", ev.to_str().unwrap(), "-"],
        &common::stack_trace(),
    );
    assert!(o.status.success());
    let tampered = String::from_utf8(o.stdout).unwrap().replace("ref=", "REF=");
    let o = run(
        &["restore", "--evictions", ev.to_str().unwrap(), "-"],
        tampered.as_bytes(),
    );
    assert_eq!(
        o.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn restore_from_the_memory_store_is_byte_exact() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mem.db");
    let o = run(
        &[
            "compress",
            "--store",
            db.to_str().unwrap(),
            "--tenant",
            "acme",
            "--id",
            "t-1",
            "-",
        ],
        log().as_bytes(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(
        &[
            "restore",
            "--from-store",
            db.to_str().unwrap(),
            "--tenant",
            "acme",
            "--id",
            "t-1",
            "-",
        ],
        &o.stdout,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.stdout, log().as_bytes());
}
