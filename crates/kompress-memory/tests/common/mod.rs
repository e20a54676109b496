//! Test helpers: a small real evictor (every other run of lines replaced by a marker, with
//! proper `Eviction` records) and store setup.
#![allow(dead_code)]

use std::path::Path;

use kompress_core::{content_hash, handle_for, Eviction, EvictionKind};
use kompress_memory::{records_for, MemoryRecord, SqliteStore};

/// Compresses `text` by replacing every second run of `run_len` lines with a marker line, and
/// returns the compressed text and its evictions (offsets are into `text`).
pub fn evict_alternate_runs(
    transcript_id: &str,
    message_index: u32,
    text: &str,
    run_len: usize,
) -> (String, Vec<Eviction>) {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::with_capacity(text.len());
    let mut evictions = Vec::new();
    let mut offset = 0u64;
    for (run_no, run) in lines.chunks(run_len.max(1)).enumerate() {
        let run_text: String = run.concat();
        let start = offset;
        offset += run_text.len() as u64;
        if run_no % 2 == 0 {
            out.push_str(&run_text);
            continue;
        }
        let handle = handle_for(start, &run_text);
        let newline = if run_text.ends_with('\n') { "\n" } else { "" };
        let replacement = format!("[…{} lines, ref={handle}]{newline}", run.len());
        out.push_str(&replacement);
        evictions.push(Eviction {
            transcript_id: transcript_id.to_owned(),
            message_index,
            start,
            end: offset,
            hash: content_hash(&run_text),
            original: run_text,
            replacement,
            decoded: None,
            handle,
            kind: EvictionKind::Lines,
        });
    }
    (out, evictions)
}

/// `lines` numbered log lines mentioning `word`, ending in a newline.
pub fn log_text(word: &str, lines: usize) -> String {
    (0..lines)
        .map(|i| format!("line {i} {word} status={} elapsed={}ms\n", i % 7, i * 13))
        .collect()
}

pub fn records(tenant: &str, session: &str, evictions: &[Eviction]) -> Vec<MemoryRecord> {
    records_for(tenant, session, evictions, None).expect("valid records")
}

pub fn open(dir: &Path) -> SqliteStore {
    SqliteStore::open_path(dir.join("memory.db")).expect("store opens")
}
