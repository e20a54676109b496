//! TTL expiry and purge; the secret scrubber and what it costs restore.

mod common;

use std::time::Duration;

use common::{evict_alternate_runs, log_text};
use kompress_memory::{
    now_millis, restore_transcript_report, MemoryConfig, MemoryRecord, MemoryStore, ScrubConfig,
    SqliteStore,
};

fn aged(tenant: &str, text: &str, created: i64, ttl: Option<Duration>) -> Vec<MemoryRecord> {
    let (_, ev) = evict_alternate_runs("t", 0, text, 2);
    ev.into_iter()
        .map(|e| MemoryRecord::new(tenant, "s", e, created, ttl).unwrap())
        .collect()
}

#[test]
fn purge_removes_only_records_past_their_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_path(dir.path().join("m.db")).unwrap();
    let now = now_millis();
    let short = aged(
        "acme",
        &log_text("shortlived", 10),
        now,
        Some(Duration::from_secs(60)),
    );
    let forever = aged("acme", &log_text("keeper", 10), now, None);
    store.put_batch(&short).unwrap();
    store.put_batch(&forever).unwrap();
    assert_eq!(store.purge_expired(now + 59_999).unwrap(), 0);
    assert_eq!(
        store.purge_expired(now + 60_000).unwrap(),
        short.len() as u64
    );
    assert_eq!(store.stats().unwrap().records, forever.len() as u64);
    assert!(store
        .search("acme", None, "shortlived", 10)
        .unwrap()
        .is_empty());
    assert_eq!(
        store.search("acme", None, "keeper", 10).unwrap().len(),
        forever.len()
    );
    assert!(store
        .get_by_handle("acme", None, &short[0].eviction.handle)
        .unwrap()
        .is_none());
    store.check_integrity().unwrap();
}

#[test]
fn expired_records_are_invisible_before_the_purge() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_path(dir.path().join("m.db")).unwrap();
    let long_ago = now_millis() - 3_600_000;
    let recs = aged(
        "acme",
        &log_text("stale", 10),
        long_ago,
        Some(Duration::from_secs(1)),
    );
    store.put_batch(&recs).unwrap();
    assert_eq!(store.stats().unwrap().expired, recs.len() as u64);
    assert!(store
        .get_by_handle("acme", None, &recs[0].eviction.handle)
        .unwrap()
        .is_none());
    assert!(store.search("acme", None, "stale", 10).unwrap().is_empty());
    assert!(store.transcript_records("acme", "t").unwrap().is_empty());
}

#[test]
fn default_ttl_applies_to_records_that_come_without_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = MemoryConfig::sqlite(dir.path().join("m.db"));
    config.default_ttl_secs = Some(10);
    let store = SqliteStore::open(&config).unwrap();
    let now = now_millis();
    let recs = aged("acme", &log_text("x", 6), now, None);
    store.put_batch(&recs).unwrap();
    assert_eq!(
        store.purge_expired(now + 10_000).unwrap(),
        recs.len() as u64
    );
}

#[test]
fn scrubbed_secrets_are_not_stored_and_restore_says_which_records_changed() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = MemoryConfig::sqlite(dir.path().join("m.db"));
    config.scrub = ScrubConfig::on();
    let store = SqliteStore::open(&config).unwrap();
    // Lines 3-4 (the second run of two) are evicted; both secrets sit there.
    let text = "start\n\
                plain line\n\
                export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n\
                curl -H 'Authorization: Bearer abcdefghijklmnop0123456789'\n\
                more plain\n\
                end\n";
    let (compressed, ev) = evict_alternate_runs("t-secret", 0, text, 2);
    let recs: Vec<_> = ev
        .into_iter()
        .map(|e| MemoryRecord::new("acme", "s", e, now_millis(), None).unwrap())
        .collect();
    let report = store.put_batch(&recs).unwrap();
    assert_eq!(report.scrubbed, 1);
    assert!(store
        .search("acme", None, "AKIAIOSFODNN7EXAMPLE", 5)
        .unwrap()
        .is_empty());
    let restored = restore_transcript_report(&store, "acme", "t-secret", &compressed).unwrap();
    assert!(!restored.is_byte_exact());
    assert_eq!(restored.scrubbed.len(), 1);
    assert_ne!(restored.text, text);
    assert!(restored
        .text
        .contains("AWS_ACCESS_KEY_ID=[secret:aws_access_key]"));
    assert!(restored.text.contains("Bearer [secret:bearer_token]"));
    assert!(!restored.text.contains("AKIAIOSFODNN7EXAMPLE"));
    // Every line the scrubber did not touch comes back unchanged.
    assert!(restored.text.starts_with("start\n") && restored.text.ends_with("end\n"));
    assert_eq!(store.stats().unwrap().scrubbed, 1);
}
