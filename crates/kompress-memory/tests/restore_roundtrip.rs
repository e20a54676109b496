//! Restore from the store gives back the original, byte-exact.

mod common;

use std::path::Path;

use common::{evict_alternate_runs, open, records};
use kompress_memory::{restore_transcript, restore_transcript_report, MemoryStore};

const DEV_SET: &str = "/work/shared/data/dev.jsonl";

#[test]
fn every_dev_set_case_restores_byte_exact_from_the_store() {
    let path = Path::new(DEV_SET);
    if !path.exists() {
        eprintln!("SKIPPED: dev set {DEV_SET} is not on this machine; nothing was checked");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let data = std::fs::read_to_string(path).unwrap();
    let mut cases = Vec::new();
    for line in data.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = v["id"].as_str().unwrap().to_owned();
        let text = v["text"].as_str().unwrap().to_owned();
        let (compressed, evictions) = evict_alternate_runs(&id, 0, &text, 3);
        store.put_batch(&records("dev", "s1", &evictions)).unwrap();
        cases.push((id, text, compressed, evictions.len()));
    }
    assert!(cases.len() > 100, "dev set has only {} cases", cases.len());
    let mut evicted = 0;
    for (id, text, compressed, n) in &cases {
        let restored = restore_transcript_report(&store, "dev", id, compressed).unwrap();
        assert!(
            restored.is_byte_exact(),
            "{id}: scrubbed without a scrubber"
        );
        assert!(
            restored.text == *text,
            "{id}: restored text differs from the original"
        );
        evicted += n;
    }
    eprintln!(
        "restored {} dev-set cases, {evicted} evictions, byte-exact",
        cases.len()
    );
}

#[test]
fn restore_survives_reopening_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let text = "a\r\nb\x1b[31m red\x1b[0m\nc\n\nd ünïcødé\ne\nf\ng";
    let (compressed, evictions) = evict_alternate_runs("t-1", 0, text, 1);
    {
        let store = open(dir.path());
        store.put_batch(&records("acme", "s", &evictions)).unwrap();
    }
    let store = open(dir.path());
    assert_eq!(
        restore_transcript(&store, "acme", "t-1", &compressed).unwrap(),
        text
    );
}

#[test]
fn same_transcript_stored_by_two_sessions_restores_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let text = common::log_text("shared", 20);
    let (compressed, evictions) = evict_alternate_runs("t-2", 0, &text, 2);
    store.put_batch(&records("acme", "s1", &evictions)).unwrap();
    store.put_batch(&records("acme", "s2", &evictions)).unwrap();
    assert_eq!(store.stats().unwrap().records, 2 * evictions.len() as u64);
    assert_eq!(
        restore_transcript(&store, "acme", "t-2", &compressed).unwrap(),
        text
    );
}

#[test]
fn restore_fails_loudly_when_the_compressed_text_does_not_match() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let text = common::log_text("x", 10);
    let (_, evictions) = evict_alternate_runs("t-3", 0, &text, 2);
    store.put_batch(&records("acme", "s", &evictions)).unwrap();
    let err = restore_transcript(&store, "acme", "t-3", "something else\n").unwrap_err();
    assert!(err.to_string().contains("t-3"), "{err}");
}
