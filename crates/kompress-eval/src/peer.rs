//! The real peer, `headroom-ai` from PyPI, run offline through `scripts/eval/headroom_peer.py`
//! in batch mode: one Python process for the whole set, per-case time measured inside it.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use serde::Deserialize;

use crate::data::Case;
use crate::EvalError;

#[derive(Deserialize)]
struct PeerLine {
    id: String,
    out: Option<String>,
    ms: f64,
}

fn peer_err(reason: impl Into<String>) -> EvalError {
    EvalError::Peer {
        name: "headroom-ai".into(),
        reason: reason.into(),
    }
}

/// `headroom-ai` version and its offline note, or why it cannot run at all.
pub fn version(python: &Path, script: &Path) -> Result<String, EvalError> {
    let out = Command::new(python)
        .arg(script)
        .arg("--version")
        .output()
        .map_err(|e| peer_err(format!("starting {}: {e}", python.display())))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(peer_err(err.lines().last().unwrap_or("failed").to_string()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Compresses every case; a case the peer failed on maps to `None`.
pub fn run(
    python: &Path,
    script: &Path,
    cases: &[Case],
) -> Result<HashMap<String, (Option<String>, f64)>, EvalError> {
    let mut child = Command::new(python)
        .arg(script)
        .arg("--jsonl")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| peer_err(format!("starting {}: {e}", python.display())))?;
    let mut stdin = child.stdin.take().ok_or_else(|| peer_err("no stdin"))?;
    let payload: Vec<String> = cases
        .iter()
        .map(|c| serde_json::json!({"id": c.id, "text": c.text}).to_string())
        .collect();
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        for p in payload {
            stdin.write_all(p.as_bytes())?;
            stdin.write_all(b"\n")?;
        }
        Ok(())
    });
    let stdout = child.stdout.take().ok_or_else(|| peer_err("no stdout"))?;
    let mut outs = HashMap::new();
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.map_err(|e| peer_err(format!("reading its output: {e}")))?;
        let r: PeerLine = serde_json::from_str(&line)?;
        outs.insert(r.id, (r.out, r.ms));
    }
    let status = child
        .wait()
        .map_err(|e| peer_err(format!("waiting: {e}")))?;
    writer
        .join()
        .map_err(|_| peer_err("writer thread panicked"))?
        .map_err(|e| peer_err(format!("writing cases: {e}")))?;
    if !status.success() {
        return Err(peer_err(format!("exited with {status}")));
    }
    Ok(outs)
}
