//! A tenant never sees another tenant's records, whatever it asks for.

mod common;

use common::{evict_alternate_runs, log_text, open, records};
use kompress_memory::{answer_tool_call, restore_transcript, MemoryStore};
use serde_json::json;

fn two_tenants(dir: &std::path::Path) -> (kompress_memory::SqliteStore, Vec<String>) {
    let store = open(dir);
    let mut handles = Vec::new();
    for t in 0..20 {
        let text = log_text("alphasecretword", 40);
        let (_, ev) = evict_alternate_runs(&format!("a-{t}"), t, &text, 2);
        handles.extend(ev.iter().map(|e| e.handle.clone()));
        store.put_batch(&records("tenant-a", "sa", &ev)).unwrap();
    }
    let text = log_text("betaword", 40);
    let (_, ev) = evict_alternate_runs("b-0", 0, &text, 2);
    store.put_batch(&records("tenant-b", "sb", &ev)).unwrap();
    (store, handles)
}

#[test]
fn known_handles_of_one_tenant_do_not_resolve_for_another() {
    let dir = tempfile::tempdir().unwrap();
    let (store, handles) = two_tenants(dir.path());
    assert!(handles.len() >= 200);
    for h in &handles {
        assert!(store.get_by_handle("tenant-a", None, h).unwrap().is_some());
        assert!(
            store.get_by_handle("tenant-b", None, h).unwrap().is_none(),
            "{h} leaked"
        );
        assert!(store
            .get_by_handle("tenant-b", Some("sa"), h)
            .unwrap()
            .is_none());
    }
}

#[test]
fn brute_forced_handles_never_return_another_tenants_text() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    // Tenant a holds 1024 records whose handles sit in the low end of the handle space, so a
    // guesser walking that space does hit them; tenant b holds a few of its own.
    let text = log_text("alphasecretword", 2048);
    let (_, mut ev) = evict_alternate_runs("a-guess", 0, &text, 1);
    for (n, e) in ev.iter_mut().enumerate() {
        e.handle = format!("{:08x}", n * 7);
    }
    store.put_batch(&records("tenant-a", "sa", &ev)).unwrap();
    let (_, mut evb) = evict_alternate_runs("b-guess", 0, &log_text("betaword", 8), 1);
    for (n, e) in evb.iter_mut().enumerate() {
        e.handle = format!("{:08x}", 3 + n * 7);
    }
    store.put_batch(&records("tenant-b", "sb", &evb)).unwrap();
    let (mut hits_a, mut hits_b) = (0, 0);
    for n in 0u32..16_384 {
        let h = format!("{n:08x}");
        if let Some(r) = store.get_by_handle("tenant-b", None, &h).unwrap() {
            assert!(
                !r.text.contains("alphasecretword"),
                "handle {h} leaked tenant-a text"
            );
            hits_b += 1;
        }
        if store.get_by_handle("tenant-a", None, &h).unwrap().is_some() {
            hits_a += 1;
        }
    }
    assert_eq!(
        hits_a, 1024,
        "the guessed range covers every tenant-a handle"
    );
    assert_eq!(hits_b, 4, "tenant b finds exactly its own records");
    for h in ["", "%", "*", "' OR '1'='1", "00000000' --", "0000000%"] {
        assert!(
            store.get_by_handle("tenant-b", None, h).unwrap().is_none(),
            "{h:?}"
        );
    }
}

#[test]
fn search_and_restore_are_scoped_to_the_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = two_tenants(dir.path());
    assert!(!store
        .search("tenant-a", None, "alphasecretword", 5)
        .unwrap()
        .is_empty());
    assert!(store
        .search("tenant-b", None, "alphasecretword", 5)
        .unwrap()
        .is_empty());
    assert!(store
        .search("tenant-b", None, "alphasecretword OR betaword", 50)
        .unwrap()
        .iter()
        .all(|h| !h.text.contains("alphasecretword")));
    assert!(store
        .transcript_records("tenant-b", "a-0")
        .unwrap()
        .is_empty());
    let text = log_text("alphasecretword", 40);
    let (compressed, _) = evict_alternate_runs("a-0", 0, &text, 2);
    // Tenant b has no records of a-0: its restore puts nothing back.
    assert_eq!(
        restore_transcript(&store, "tenant-b", "a-0", &compressed).unwrap(),
        compressed
    );
    assert_eq!(
        restore_transcript(&store, "tenant-a", "a-0", &compressed).unwrap(),
        text
    );
}

#[test]
fn tool_calls_from_another_tenant_find_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (store, handles) = two_tenants(dir.path());
    let args = json!({ "handle": handles[0] });
    let answer = answer_tool_call(&store, "tenant-b", None, &args).unwrap();
    assert!(answer.starts_with("No elided text"), "{answer}");
    let answer = answer_tool_call(&store, "tenant-a", None, &args).unwrap();
    assert!(answer.contains("alphasecretword"), "{answer}");
}

#[test]
fn session_scoped_search_sees_only_that_session() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    for session in ["s1", "s2"] {
        let text = log_text(&format!("sharedword only{session}"), 10);
        let (_, ev) = evict_alternate_runs(&format!("t-{session}"), 0, &text, 2);
        store.put_batch(&records("acme", session, &ev)).unwrap();
    }
    let all = store.search("acme", None, "sharedword", 50).unwrap();
    let s1 = store.search("acme", Some("s1"), "sharedword", 50).unwrap();
    assert_eq!(all.len(), 2 * s1.len());
    assert!(s1
        .iter()
        .all(|h| h.session == "s1" && h.text.contains("onlys1")));
    assert!(store
        .search("acme", Some("s1"), "onlys2", 50)
        .unwrap()
        .is_empty());
    assert!(store
        .search("acme", Some("s3"), "sharedword", 50)
        .unwrap()
        .is_empty());
}
