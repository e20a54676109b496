//! The long-running commands take the pipeline part of kompress.toml (`[pruner]`, `[stat]`,
//! `floor`) with `--pipeline-config`, as `compress --config` does: a recompression under a
//! file whose floor keeps a harness frame compresses a transcript exactly as `compress
//! --config` with that file, differs from the default, and writes other record ids.
//! `kompress serve` with the same file compresses a text as `compress --config` does.
//! (A JSONL directory to a directory and a loopback server: no broker needed.)

mod common;

use std::path::Path;

use common::{compressed_tool_result, kompress, recompressed_record, run, stack_trace};

const FRAME: &str = "TestSuite.java:208";

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
    let rec = recompressed_record(dir, name, flags);
    (
        rec["messages"][1]["content"].as_str().unwrap().to_string(),
        rec["kompress"]["id"].as_str().unwrap().to_string(),
    )
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
    assert_eq!(floored, compressed_tool_result(&["--config", cfg]));
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

/// POSTs `body` to `addr` + `path` over HTTP/1.1 (Connection: close) and returns the JSON body.
fn post(addr: &str, path: &str, body: &str) -> serde_json::Value {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let (head, body) = resp.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}\n{body}");
    serde_json::from_str(body).unwrap()
}

/// Kills the server when the test ends, also when an assertion fails first.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

#[test]
fn serve_with_a_pipeline_config_compresses_text_as_compress_with_that_config() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let cfg = cfg.to_str().unwrap();
    let mut child = KillOnDrop(
        std::process::Command::new(env!("CARGO_BIN_EXE_kompress"))
            .args(["serve", "--listen", "127.0.0.1:0", "--pipeline-config", cfg])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("kompress serve starts"),
    );
    let mut lines = std::io::BufReader::new(child.0.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("serve says where it listens").unwrap();
        if let Some(a) = line.split("listening on http://").nth(1) {
            break a.trim().to_string();
        }
    };
    // keep draining stderr so the server never blocks on a full pipe
    std::thread::spawn(move || lines.for_each(drop));
    let text = String::from_utf8(stack_trace()).unwrap();
    let resp = post(
        &addr,
        "/v1/compress",
        &serde_json::json!({ "text": text }).to_string(),
    );
    drop(child);
    let served = resp["text"].as_str().expect("a text result");
    let o = kompress(&["compress", "--config", cfg, "-"], text.as_bytes());
    assert!(
        served.contains(FRAME),
        "the file's floor keeps it:\n{served}"
    );
    assert_eq!(served, String::from_utf8(o.stdout).unwrap());
}
