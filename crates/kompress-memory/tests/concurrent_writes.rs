//! Concurrent and repeated writes lose nothing and duplicate nothing.

mod common;

use std::sync::Arc;

use common::{evict_alternate_runs, log_text, open, records};
use kompress_memory::{put_batch_async, MemoryRecord, MemoryStore, SqliteStore};

fn batch(writer: usize, n: usize) -> Vec<MemoryRecord> {
    let text = log_text(&format!("w{writer}b{n}"), 16);
    let (_, ev) = evict_alternate_runs(&format!("w{writer}-t{n}"), n as u32, &text, 2);
    records("acme", &format!("writer-{writer}"), &ev)
}

fn assert_all_present(store: &dyn MemoryStore, writers: usize, batches: usize) {
    for w in 0..writers {
        for n in 0..batches {
            for r in batch(w, n) {
                let got = store
                    .get_by_handle("acme", Some(&r.session), &r.eviction.handle)
                    .unwrap()
                    .unwrap_or_else(|| panic!("writer {w} batch {n} lost"));
                assert_eq!(got.original, r.eviction.original);
            }
        }
    }
}

#[test]
fn four_threads_sharing_one_store_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(dir.path()));
    let (writers, batches) = (4, 60);
    std::thread::scope(|s| {
        for w in 0..writers {
            let store = Arc::clone(&store);
            s.spawn(move || {
                for n in 0..batches {
                    let r = store.put_batch(&batch(w, n)).unwrap();
                    assert_eq!(r.inserted, 4);
                }
            });
        }
    });
    assert_eq!(
        store.stats().unwrap().records,
        (writers * batches * 4) as u64
    );
    assert_all_present(store.as_ref(), writers, batches);
}

#[test]
fn four_separate_connections_on_one_file_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (writers, batches) = (4, 40);
    std::thread::scope(|s| {
        for w in 0..writers {
            let path = dir.path().to_owned();
            s.spawn(move || {
                // Each thread opens its own store: separate writer connections contend for the
                // database lock like separate processes do.
                let store = open(&path);
                for n in 0..batches {
                    store.put_batch(&batch(w, n)).unwrap();
                }
            });
        }
    });
    let store = open(dir.path());
    assert_eq!(
        store.stats().unwrap().records,
        (writers * batches * 4) as u64
    );
    assert_all_present(&store, writers, batches);
    store.check_integrity().unwrap();
}

#[test]
fn re_putting_the_same_batch_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let text = log_text("idempotentword", 30);
    let (_, ev) = evict_alternate_runs("t", 0, &text, 3);
    let first = store.put_batch(&records("acme", "s", &ev)).unwrap();
    assert_eq!(first.inserted, ev.len());
    // Same evictions, rebuilt later (new created time): same ids, nothing new.
    let again = store.put_batch(&records("acme", "s", &ev)).unwrap();
    assert_eq!((again.inserted, again.already_present), (0, ev.len()));
    assert_eq!(store.stats().unwrap().records, ev.len() as u64);
    let hits = store.search("acme", None, "idempotentword", 100).unwrap();
    assert_eq!(
        hits.len(),
        ev.len(),
        "the full-text index holds each record once"
    );
}

#[test]
fn put_batch_async_runs_off_the_runtime_threads() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn MemoryStore> =
        Arc::new(SqliteStore::open_path(dir.path().join("m.db")).unwrap());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let reports = rt.block_on(async {
        let tasks: Vec<_> = (0..4)
            .map(|w| tokio::spawn(put_batch_async(Arc::clone(&store), batch(w, 0))))
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap().unwrap());
        }
        out
    });
    assert_eq!(reports.iter().map(|r| r.inserted).sum::<usize>(), 16);
    assert_eq!(store.stats().unwrap().records, 16);
}

#[test]
fn a_record_with_a_foreign_id_or_empty_tenant_is_refused_whole_batch() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut bad = batch(0, 0);
    bad[1].id = "0123456789abcdef0123456789abcdef".into();
    let err = store.put_batch(&bad).unwrap_err().to_string();
    assert!(err.contains("`id`"), "{err}");
    let mut bad = batch(0, 0);
    bad[0].tenant.clear();
    assert!(store
        .put_batch(&bad)
        .unwrap_err()
        .to_string()
        .contains("`tenant`"));
    assert_eq!(
        store.stats().unwrap().records,
        0,
        "nothing of a refused batch is stored"
    );
}

#[test]
fn a_batch_failing_in_the_writer_does_not_fail_the_batches_committed_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(dir.path()));
    // Passes validation but cannot be stored: offsets beyond SQLite's signed 64-bit integers.
    let mut ev = batch(9, 0)[0].eviction.clone();
    (ev.start, ev.end) = (u64::MAX - 1, u64::MAX);
    let bad = vec![MemoryRecord::new("acme", "bad", ev, 0, None).unwrap()];
    std::thread::scope(|s| {
        for w in 0..4 {
            let (store, bad) = (Arc::clone(&store), bad.clone());
            s.spawn(move || {
                for n in 0..30 {
                    assert_eq!(store.put_batch(&batch(w, n)).unwrap().inserted, 4);
                    let err = store.put_batch(&bad).unwrap_err().to_string();
                    assert!(err.contains("`start`"), "{err}");
                }
            });
        }
    });
    assert_eq!(store.stats().unwrap().records, 4 * 30 * 4);
}

#[test]
fn recall_runs_from_async_code_through_the_blocking_pool() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn MemoryStore> = Arc::new(open(dir.path()));
    let recs = batch(0, 0);
    store.put_batch(&recs).unwrap();
    let handle = recs[0].eviction.handle.clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let got = rt.block_on(kompress_memory::with_store_blocking(store, move |s| {
        kompress_memory::retrieve(s, "acme", Some("writer-0"), &handle)
    }));
    assert_eq!(got.unwrap().unwrap().original, recs[0].eviction.original);
}
