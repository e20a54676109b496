//! Training records (JSONL), the dev set's train/evaluation split, and byte-range labels.
//!
//! A record is one tool output. Optional label fields, all byte-exact:
//! - `critical_spans` (dev set, defects4j): strings whose every occurrence is critical;
//! - `critical_lines` / `context_lines` (dev set, cidiff): whole lines, critical / helpful;
//! - `keep_ranges` / `critical_ranges`: explicit `[start, end)` byte ranges, written by
//!   `relabel`; when present they replace the teacher's own keep decision.

use std::io::{BufRead, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::ModelError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub id: String,
    #[serde(default)]
    pub source: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub critical_spans: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub critical_lines: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_lines: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_ranges: Option<Vec<(u32, u32)>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub critical_ranges: Option<Vec<(u32, u32)>>,
    /// Provenance (dev set `meta`, or the command that produced the text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<serde_json::Value>,
}

impl Record {
    /// Whether the record carries labels from outside the teacher (the dev set's).
    pub fn has_external_labels(&self) -> bool {
        self.critical_spans.is_some() || self.critical_lines.is_some()
    }
}

/// Whether the record comes from the dev set (by id prefix or source).
pub fn is_dev_record(r: &Record) -> bool {
    const DEV: [&str; 2] = ["defects4j", "cidiff"];
    DEV.iter().any(|d| {
        r.source == *d
            || r.id
                .strip_prefix(d)
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// A dev-set case of the evaluation split: never trained on.
pub fn is_held_out(r: &Record) -> bool {
    is_dev_record(r) && is_eval_case(&r.id)
}

/// The dev set's evaluation split: `int(sha256(id).hexdigest(), 16) % 3 == 0`.
pub fn is_eval_case(id: &str) -> bool {
    let digest = Sha256::digest(id.as_bytes());
    // 2^256 mod 3 == 1, so the number mod 3 is the sum of its bytes' contributions:
    // each byte at position k contributes b * 256^k, and 256 mod 3 == 1.
    digest.iter().map(|&b| b as u32).sum::<u32>() % 3 == 0
}

pub fn read_jsonl(path: &Path) -> Result<Vec<Record>, ModelError> {
    let f = std::fs::File::open(path).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let rec: Record = serde_json::from_str(&line).map_err(|e| ModelError::TrainingData {
            path: path.to_path_buf(),
            reason: format!("line {}: {e}", i + 1),
        })?;
        out.push(rec);
    }
    Ok(out)
}

pub fn write_jsonl(path: &Path, records: &[Record]) -> Result<(), ModelError> {
    let io = |source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
    for r in records {
        let line = serde_json::to_string(r).map_err(|source| ModelError::Json {
            path: path.to_path_buf(),
            source,
        })?;
        writeln!(f, "{line}").map_err(io)?;
    }
    f.flush().map_err(io)
}

/// Byte ranges of every occurrence of `needle` in `text` (non-overlapping, left to right).
pub fn occurrences(text: &str, needle: &str) -> Vec<(u32, u32)> {
    if needle.is_empty() {
        return Vec::new();
    }
    text.match_indices(needle)
        .map(|(i, m)| (i as u32, (i + m.len()) as u32))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_matches_the_python_definition() {
        // values from Python: "a" -> 1, "b" -> 2, "defects4j/Chart-9" -> 0
        assert!(!is_eval_case("a") && !is_eval_case("b") && is_eval_case("defects4j/Chart-9"));
        let py = |id: &str| {
            let d = Sha256::digest(id.as_bytes());
            let mut r = 0u32;
            for b in d {
                r = (r * 256 + b as u32) % 3;
            }
            r
        };
        for id in ["a", "b", "defects4j/Chart-9", "cidiff/x", ""] {
            assert_eq!(is_eval_case(id), py(id) == 0, "{id}");
        }
    }
}
