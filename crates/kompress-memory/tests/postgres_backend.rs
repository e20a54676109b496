//! The PostgreSQL backend against a real server: set KOMPRESS_TEST_PG (deploy/postgres/start.sh
//! prints one) and build with `--features postgres`. Skipped loudly otherwise.

mod common;

#[cfg(not(feature = "postgres"))]
#[test]
fn postgres_backend_tests_need_the_postgres_feature() {
    eprintln!(
        "SKIPPED: kompress-memory built without the `postgres` feature; run \
         `cargo test -p kompress-memory --features postgres` with KOMPRESS_TEST_PG set"
    );
}

#[cfg(feature = "postgres")]
mod pg {
    use std::sync::Arc;
    use std::time::Duration;

    use super::common::{evict_alternate_runs, log_text, records};
    use kompress_memory::{
        now_millis, restore_transcript, restore_transcript_report, BackendConfig, MemoryConfig,
        MemoryRecord, MemoryStore, PostgresStore, ScrubConfig,
    };

    /// A store on the test server, and a prefix no other run uses (tests share the table).
    fn store(scrub: bool) -> Option<(PostgresStore, String)> {
        let Ok(url) = std::env::var("KOMPRESS_TEST_PG") else {
            eprintln!(
                "SKIPPED: KOMPRESS_TEST_PG is not set; start a server with \
                 `export KOMPRESS_TEST_PG=$(deploy/postgres/start.sh)`"
            );
            return None;
        };
        let config = MemoryConfig {
            backend: BackendConfig::Postgres {
                url,
                connections: 4,
            },
            default_ttl_secs: None,
            scrub: if scrub {
                ScrubConfig::on()
            } else {
                ScrubConfig::default()
            },
        };
        let store = PostgresStore::open(&config).expect("postgres store opens");
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        Some((store, format!("{}-{nanos}", std::process::id())))
    }

    #[test]
    fn dev_set_cases_restore_byte_exact_from_postgres() {
        let Some((store, run)) = store(false) else {
            return;
        };
        let path = std::path::Path::new("/work/shared/data/dev.jsonl");
        let mut texts: Vec<(String, String)> = Vec::new();
        if path.exists() {
            let data = std::fs::read_to_string(path).unwrap();
            for line in data.lines().filter(|l| !l.trim().is_empty()).step_by(5) {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                texts.push((
                    v["id"].as_str().unwrap().into(),
                    v["text"].as_str().unwrap().into(),
                ));
            }
        } else {
            eprintln!("dev set missing: using built-in texts only");
        }
        texts.push(("nul".into(), "a\0b\nc\r\nd\x1b[0m\n\0\n€\n".into()));
        let tenant = format!("dev-{run}");
        for (id, text) in &texts {
            let (compressed, ev) = evict_alternate_runs(id, 0, text, 2);
            store.put_batch(&records(&tenant, "s", &ev)).unwrap();
            let restored = restore_transcript(&store, &tenant, id, &compressed).unwrap();
            assert!(restored == *text, "{id}: restore differs");
        }
        eprintln!("postgres: {} cases restored byte-exact", texts.len());
    }

    #[test]
    fn postgres_keeps_tenants_apart() {
        let Some((store, run)) = store(false) else {
            return;
        };
        let (a, b) = (format!("a-{run}"), format!("b-{run}"));
        let (_, ev) = evict_alternate_runs("t", 0, &log_text("pgalphaword", 40), 2);
        store.put_batch(&records(&a, "s", &ev)).unwrap();
        for e in &ev {
            assert!(store.get_by_handle(&a, None, &e.handle).unwrap().is_some());
            assert!(store.get_by_handle(&b, None, &e.handle).unwrap().is_none());
        }
        for n in 0u32..512 {
            assert!(store
                .get_by_handle(&b, None, &format!("{n:08x}"))
                .unwrap()
                .is_none());
        }
        assert!(!store.search(&a, None, "pgalphaword", 5).unwrap().is_empty());
        assert!(store.search(&b, None, "pgalphaword", 5).unwrap().is_empty());
        assert!(store.transcript_records(&b, "t").unwrap().is_empty());
    }

    #[test]
    fn four_postgres_writers_lose_and_duplicate_nothing() {
        let Some((store, run)) = store(false) else {
            return;
        };
        let store = Arc::new(store);
        let tenant = format!("w-{run}");
        let batch = |w: usize, n: usize| {
            let (_, ev) = evict_alternate_runs(
                &format!("t{w}-{n}"),
                0,
                &log_text(&format!("w{w}n{n}"), 8),
                2,
            );
            records(&tenant, "s", &ev)
        };
        std::thread::scope(|s| {
            for w in 0..4 {
                let (store, batch) = (Arc::clone(&store), &batch);
                s.spawn(move || {
                    for n in 0..25 {
                        store.put_batch(&batch(w, n)).unwrap();
                    }
                });
            }
        });
        for w in 0..4 {
            for n in 0..25 {
                let again = store.put_batch(&batch(w, n)).unwrap();
                assert_eq!((again.inserted, again.already_present), (0, 2));
                for r in batch(w, n) {
                    let got = store
                        .get_by_handle(&tenant, None, &r.eviction.handle)
                        .unwrap();
                    assert_eq!(got.map(|g| g.original), Some(r.eviction.original));
                }
            }
        }
        let hits = store.search(&tenant, None, "w3n7", 10).unwrap();
        assert_eq!(hits.len(), 2);
    }

    #[test]
    fn postgres_purges_expired_records_and_reports_scrubbed_ones() {
        let Some((store, run)) = store(true) else {
            return;
        };
        let tenant = format!("ttl-{run}");
        let text = "x\ny\ntoken ghp_abcdefghijklmnopqrstuvwxyz0123456789\nz\n";
        let (compressed, ev) = evict_alternate_runs("t", 0, text, 2);
        let now = now_millis();
        let recs: Vec<MemoryRecord> = ev
            .into_iter()
            .map(|e| MemoryRecord::new(&tenant, "s", e, now, Some(Duration::from_secs(5))).unwrap())
            .collect();
        assert_eq!(store.put_batch(&recs).unwrap().scrubbed, 1);
        let r = restore_transcript_report(&store, &tenant, "t", &compressed).unwrap();
        assert_eq!(r.scrubbed.len(), 1);
        assert!(r.text.contains("token [secret:github_token]\n"));
        assert!(store.purge_expired(now + 5_000).unwrap() >= 1);
        assert!(store.transcript_records(&tenant, "t").unwrap().is_empty());
    }
}
