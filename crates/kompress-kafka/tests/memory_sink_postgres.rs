//! The memory sink writing to PostgreSQL (feature `postgres`, server in `KOMPRESS_TEST_PG`):
//! the same records, stored once each, recallable by transcript.

mod common;

#[cfg(not(feature = "postgres"))]
#[test]
fn sink_into_postgres_needs_the_postgres_feature() {
    eprintln!(
        "SKIPPED sink_into_postgres: kompress-kafka built without the `postgres` feature; run \
         `cargo test -p kompress-kafka --features postgres` with KOMPRESS_TEST_PG and \
         KOMPRESS_TEST_BOOTSTRAP set"
    );
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sink_stores_every_record_once_into_postgres() {
    use std::sync::Arc;
    use std::time::Duration;

    use common::*;
    use kompress_kafka::{Delivery, SinkMetrics};
    use kompress_memory::{open_store, BackendConfig, MemoryConfig, MemoryStore, ScrubConfig};

    let Some(b) = bootstrap("sink_into_postgres") else {
        return;
    };
    let Ok(url) = std::env::var("KOMPRESS_TEST_PG") else {
        eprintln!(
            "SKIPPED sink_into_postgres: KOMPRESS_TEST_PG is unset (export \
             KOMPRESS_TEST_PG=$(deploy/postgres/start.sh))"
        );
        return;
    };
    let t = make_topics(&b, "sinkpg", 2, 1).await;
    let tenant = unique("pg-tenant");
    let record = |i: usize| -> Vec<u8> {
        let t = format!("t{}", i % 4);
        memory_record(
            &tenant,
            &t,
            1,
            10 * i as u64,
            format!("evicted line {i} of a log\n"),
        )
    };
    const N: usize = 200;
    // Every record twice: a redelivery must not store anything twice.
    let records: Vec<(String, Vec<u8>)> = (0..2 * N)
        .map(|i| (format!("k{}", i % N), record(i % N)))
        .collect();
    produce(&producer(&b), &t.memory, &records).await;

    let mut cfg = config(&b, &t, Delivery::ExactlyOnce);
    cfg.memory_sink.group_id = unique("sinkpg-g");
    cfg.memory_sink.batch_max_records = 50;
    cfg.memory_sink.drain_timeout_ms = 4_000;
    cfg.memory_sink.store = MemoryConfig {
        backend: BackendConfig::Postgres {
            url,
            connections: 2,
        },
        default_ttl_secs: None,
        scrub: ScrubConfig::default(),
    };
    let store_cfg = cfg.memory_sink.store.clone();
    let store: Arc<dyn MemoryStore> = tokio::task::spawn_blocking(move || open_store(&store_cfg))
        .await
        .unwrap()
        .expect("postgres store opens");
    let metrics = Arc::new(SinkMetrics::default());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let h = tokio::spawn(kompress_kafka::run_sink_with_store(
        cfg,
        store.clone(),
        metrics.clone(),
        Duration::ZERO,
        async {
            let _ = rx.await;
        },
    ));
    wait_until("every record handled", Duration::from_secs(60), || {
        SinkMetrics::get(&metrics.committed) >= 2 * N as u64
    })
    .await;
    let _ = tx.send(());
    h.await.unwrap().expect("sink drained");
    assert_eq!(SinkMetrics::get(&metrics.inserted), N as u64);
    assert_eq!(SinkMetrics::get(&metrics.already_present), N as u64);
    let tn = tenant.clone();
    let stored: usize = tokio::task::spawn_blocking(move || {
        (0..4)
            .map(|t| {
                store
                    .transcript_records(&tn, &format!("t{t}"))
                    .unwrap()
                    .len()
            })
            .sum()
    })
    .await
    .unwrap();
    assert_eq!(stored, N, "every record stored exactly once in PostgreSQL");
}
