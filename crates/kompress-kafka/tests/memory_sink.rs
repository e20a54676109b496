//! The memory sink against the real broker: processor → memory topic → sink → store restores
//! every transcript byte-exact; kill -9 of the sink mid-stream then restart stores every
//! eviction record exactly once; a malformed record goes to the DLQ and the sink keeps going.

mod common;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use kompress_kafka::{Delivery, LineSampler, PipelineCompressor, SinkMetrics, StreamConfig};
use kompress_memory::{open_store, restore_transcript, MemoryConfig, MemoryStore};
use rdkafka::message::{Message, OwnedMessage};

/// An envelope kept as the exact bytes of its messages.
#[derive(serde::Deserialize)]
struct Raw {
    tenant: String,
    transcript_id: String,
    messages: Box<serde_json::value::RawValue>,
    #[serde(default)]
    kompress: serde_json::Value,
}

/// A CI-log-like transcript: repeated progress lines the pipeline elides, one error it keeps.
fn log_envelope(id: usize) -> String {
    let mut lines: Vec<String> = (0..40)
        .map(|l| {
            // download chatter: what the default evicts in build output (compile lines with
            // their crate names and versions are kept)
            format!("Downloading crate-{l} v0.{id}.{l} (/build/job{id}/crate-{l})")
        })
        .collect();
    lines.push(format!(
        "error[E0308]: mismatched types in job {id} at src/lib.rs:{}:5",
        10 + id
    ));
    let messages = serde_json::json!([
        {"role": "user", "content": format!("why does build {id} fail?")},
        {"role": "tool", "content": lines.join("\n")},
    ]);
    serde_json::json!({
        "version": 1, "tenant": format!("tenant{}", id % 2), "session_id": format!("s{id}"),
        "transcript_id": format!("t{id}"), "format": "openai", "messages": messages,
    })
    .to_string()
}

fn sink_config(b: &str, t: &TestTopics, db: &std::path::Path) -> StreamConfig {
    let mut cfg = config(b, t, Delivery::ExactlyOnce);
    cfg.memory_sink.group_id = unique("sink-g");
    cfg.memory_sink.batch_max_records = 20;
    cfg.memory_sink.batch_max_wait_ms = 20;
    cfg.memory_sink.drain_timeout_ms = 4_000;
    cfg.memory_sink.store = MemoryConfig::sqlite(db);
    cfg
}

fn spawn_sink(
    cfg: StreamConfig,
    store: Arc<dyn MemoryStore>,
) -> (
    tokio::sync::oneshot::Sender<()>,
    Arc<SinkMetrics>,
    tokio::task::JoinHandle<Result<(), kompress_kafka::KafkaError>>,
) {
    spawn_slow_sink(cfg, store, Duration::ZERO)
}

fn spawn_slow_sink(
    cfg: StreamConfig,
    store: Arc<dyn MemoryStore>,
    batch_delay: Duration,
) -> (
    tokio::sync::oneshot::Sender<()>,
    Arc<SinkMetrics>,
    tokio::task::JoinHandle<Result<(), kompress_kafka::KafkaError>>,
) {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let metrics = Arc::new(SinkMetrics::default());
    let m = metrics.clone();
    let h = tokio::spawn(async move {
        kompress_kafka::run_sink_with_store(cfg, store, m, batch_delay, async {
            let _ = rx.await;
        })
        .await
    });
    (tx, metrics, h)
}

async fn read(b: &str, topic: &str, want: usize, secs: u64) -> Vec<OwnedMessage> {
    let (b, topic) = (b.to_string(), topic.to_string());
    tokio::task::spawn_blocking(move || {
        read_topic(&b, &topic, true, want, Duration::from_secs(secs))
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn processor_to_sink_to_store_restores_every_transcript_byte_exact() {
    let Some(b) = bootstrap("sink_restores_byte_exact") else {
        return;
    };
    let t = make_topics(&b, "sinkrt", 2, 1).await;
    const N: usize = 8;
    let inputs: Vec<(String, Vec<u8>)> = (0..N)
        .map(|i| (format!("k{i}"), log_envelope(i).into_bytes()))
        .collect();
    produce(&producer(&b), &t.input, &inputs).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = sink_config(&b, &t, &dir.path().join("m.db"));
    let pipeline = kompress_pipeline::Pipeline::start(Default::default()).unwrap();
    let (stop_p, _, hp) = spawn_processor(cfg.clone(), Arc::new(PipelineCompressor::new(pipeline)));
    let store = open_store(&cfg.memory_sink.store).unwrap();
    let (stop_s, metrics, hs) = spawn_sink(cfg, store.clone());

    let outs = read(&b, &t.output, N, 60).await;
    assert_eq!(outs.len(), N, "one committed output per transcript");
    let want: u64 = outs
        .iter()
        .map(|m| {
            let out: Raw = serde_json::from_slice(m.payload().unwrap()).unwrap();
            out.kompress["evictions"].as_u64().unwrap()
        })
        .sum();
    assert!(want > 0, "the pipeline evicted something");
    wait_until(
        "the sink stored every eviction",
        Duration::from_secs(30),
        || SinkMetrics::get(&metrics.inserted) >= want,
    )
    .await;
    let _ = stop_p.send(());
    let _ = stop_s.send(());
    hp.await.unwrap().expect("processor drained");
    hs.await.unwrap().expect("sink drained");

    assert_eq!(store.stats().unwrap().records, want, "every eviction once");
    for m in &outs {
        let out: Raw = serde_json::from_slice(m.payload().unwrap()).unwrap();
        let key = String::from_utf8(m.key().unwrap().to_vec()).unwrap();
        let input = &inputs.iter().find(|(k, _)| *k == key).unwrap().1;
        let input: Raw = serde_json::from_slice(input).unwrap();
        let restored = restore_transcript(
            store.as_ref(),
            &out.tenant,
            &out.transcript_id,
            out.messages.get(),
        )
        .unwrap();
        assert!(
            restored == input.messages.get(),
            "{}: restore from the store differs from the input",
            out.transcript_id
        );
        assert_ne!(out.messages.get(), input.messages.get(), "compressed");
    }
    eprintln!("{N} transcripts, {want} evictions stored, all restored byte-exact");
}

fn spawn_sink_bin(cfg: &StreamConfig, batch_delay_ms: u64) -> Child {
    let db = match &cfg.memory_sink.store.backend {
        kompress_memory::BackendConfig::Sqlite { path, .. } => path.clone(),
        other => panic!("sqlite expected, got {other:?}"),
    };
    Command::new(env!("CARGO_BIN_EXE_kompress-kafka"))
        .args(["memory-sink", "--store"])
        .arg(db)
        .args(["--batch-delay-ms", &batch_delay_ms.to_string()])
        .env(
            "KOMPRESS__KAFKA__BOOTSTRAP_SERVERS",
            &cfg.kafka.bootstrap_servers,
        )
        .env(
            "KOMPRESS__KAFKA__SESSION_TIMEOUT_MS",
            cfg.kafka.session_timeout_ms.to_string(),
        )
        .env("KOMPRESS__TOPICS__MEMORY", &cfg.topics.memory)
        .env("KOMPRESS__TOPICS__DLQ", &cfg.topics.dlq)
        .env("KOMPRESS__MEMORY_SINK__GROUP_ID", &cfg.memory_sink.group_id)
        .env(
            "KOMPRESS__MEMORY_SINK__BATCH_MAX_RECORDS",
            cfg.memory_sink.batch_max_records.to_string(),
        )
        .env(
            "KOMPRESS__MEMORY_SINK__DRAIN_TIMEOUT_MS",
            cfg.memory_sink.drain_timeout_ms.to_string(),
        )
        .env("KOMPRESS__PROCESSING__DRAIN_TIMEOUT_MS", "4000")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn kompress-kafka memory-sink")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sink_killed_mid_stream_then_restarted_stores_every_record_exactly_once() {
    let Some(b) = bootstrap("sink_kill9_exactly_once") else {
        return;
    };
    let t = make_topics(&b, "sinkkill", 2, 1).await;
    const N: usize = 120;
    let inputs: Vec<(String, Vec<u8>)> = (0..N)
        .map(|i| (format!("k{i}"), envelope(i, 9).into_bytes()))
        .collect();
    produce(&producer(&b), &t.input, &inputs).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = sink_config(&b, &t, &dir.path().join("m.db"));
    // Fill the memory topic first (the line sampler evicts 4 of 9 lines per tool output).
    let (stop_p, pm, hp) = spawn_processor(cfg.clone(), Arc::new(LineSampler::default()));
    wait_until("every input processed", Duration::from_secs(60), || {
        kompress_kafka::Metrics::get(&pm.committed_messages) >= N as u64
    })
    .await;
    let _ = stop_p.send(());
    hp.await.unwrap().expect("processor drained");
    let produced = kompress_kafka::Metrics::get(&pm.evictions);
    let on_topic = read(&b, &t.memory, produced as usize, 30).await.len() as u64;
    assert_eq!(
        on_topic, produced,
        "committed eviction records on the memory topic"
    );

    // The first sink is slowed down (40 ms per batch of 20) so the kill lands mid-stream.
    let store = open_store(&cfg.memory_sink.store).unwrap();
    let mut first = spawn_sink_bin(&cfg, 40);
    let s = store.clone();
    wait_until(
        "the first sink stored some records",
        Duration::from_secs(60),
        || s.stats().unwrap().records >= produced / 4,
    )
    .await;
    first.kill().expect("SIGKILL");
    let _ = first.wait();
    let at_kill = store.stats().unwrap().records;
    eprintln!("killed the sink with {at_kill} of {produced} records stored");
    assert!(at_kill < produced, "the kill landed mid-stream");

    let second = spawn_sink_bin(&cfg, 0);
    let s = store.clone();
    wait_until(
        "the restarted sink stored the rest",
        Duration::from_secs(60),
        || s.stats().unwrap().records >= produced,
    )
    .await;
    // Let a surplus (a duplicate) show up, if there were one.
    tokio::time::sleep(Duration::from_millis(500)).await;
    sigterm(&second);
    let (code, stats) = wait_child(second, Duration::from_secs(20));
    eprintln!("restarted sink: exit {code:?} {stats}");
    assert_eq!(code, Some(0), "clean exit after SIGTERM");
    let stats: serde_json::Value = serde_json::from_str(stats.trim()).unwrap();
    assert_eq!(stats["dead_letters"], 0);
    let (inserted, again) = (
        stats["inserted"].as_u64().unwrap(),
        stats["already_present"].as_u64().unwrap(),
    );
    assert_eq!(
        at_kill + inserted,
        produced,
        "the restart stored exactly the rest"
    );
    eprintln!(
        "{again} records were stored but not yet committed at the kill (redelivered, stored once)"
    );

    assert_eq!(
        store.stats().unwrap().records,
        produced,
        "every eviction record stored exactly once"
    );
    let committed: i64 = committed_offsets(&b, &cfg.memory_sink.group_id, &t.memory, 2)
        .iter()
        .sum();
    assert!(
        committed as u64 >= produced,
        "the group's offsets cover the topic ({committed} for {produced} records)"
    );
    // Every transcript restores from the store.
    let outs = read(&b, &t.output, N, 30).await;
    for m in &outs {
        let out: Raw = serde_json::from_slice(m.payload().unwrap()).unwrap();
        let key = String::from_utf8(m.key().unwrap().to_vec()).unwrap();
        let input: Raw =
            serde_json::from_slice(&inputs.iter().find(|(k, _)| *k == key).unwrap().1).unwrap();
        let restored = restore_transcript(
            store.as_ref(),
            &out.tenant,
            &out.transcript_id,
            out.messages.get(),
        )
        .unwrap();
        assert!(restored == input.messages.get(), "{}", out.transcript_id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn malformed_memory_records_go_to_the_dlq_and_the_sink_keeps_storing() {
    let Some(b) = bootstrap("sink_poison_to_dlq") else {
        return;
    };
    let t = make_topics(&b, "sinkdlq", 1, 1).await;
    let good = |i: usize| -> Vec<u8> {
        let t = format!("t{i}");
        memory_record("acme", &t, 0, 100 + i as u64, format!("evicted line {i}\n"))
    };
    let records: Vec<(String, Vec<u8>)> = vec![
        ("g0".into(), good(0)),
        ("bad-json".into(), b"{\"version\":1,".to_vec()),
        ("g1".into(), good(1)),
        ("bad-utf8".into(), b"\xff\xfe".to_vec()),
        (
            "bad-shape".into(),
            br#"{"version":1,"tenant":"acme"}"#.to_vec(),
        ),
        ("g2".into(), good(2)),
    ];
    produce(&producer(&b), &t.memory, &records).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = sink_config(&b, &t, &dir.path().join("m.db"));
    let store = open_store(&cfg.memory_sink.store).unwrap();
    let (stop, metrics, h) = spawn_sink(cfg.clone(), store.clone());
    let dead = read(&b, &t.dlq, 3, 30).await;
    wait_until("the good records stored", Duration::from_secs(30), || {
        SinkMetrics::get(&metrics.committed) >= records.len() as u64
    })
    .await;
    let _ = stop.send(());
    h.await.unwrap().expect("sink drained");

    assert_eq!(
        store.stats().unwrap().records,
        3,
        "every good record stored"
    );
    assert_eq!(dead.len(), 3, "one dead letter per bad record");
    let mut reasons: Vec<(String, String)> = dead
        .iter()
        .map(|m| {
            let key = String::from_utf8(m.key().unwrap().to_vec()).unwrap();
            let original = &records.iter().find(|(k, _)| *k == key).unwrap().1;
            assert_eq!(
                m.payload().unwrap(),
                original.as_slice(),
                "original bytes kept"
            );
            assert_eq!(
                header(m, "kompress-source-topic").as_deref(),
                Some(t.memory.as_str())
            );
            assert!(header(m, "kompress-dlq-detail").is_some());
            (key, header(m, "kompress-dlq-reason").unwrap())
        })
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        vec![
            ("bad-json".to_string(), "malformed_json".to_string()),
            ("bad-shape".to_string(), "schema".to_string()),
            ("bad-utf8".to_string(), "invalid_utf8".to_string()),
        ]
    );
    let committed = committed_offsets(&b, &cfg.memory_sink.group_id, &t.memory, 1)[0];
    assert_eq!(
        committed,
        records.len() as i64,
        "offsets committed past the dead letters"
    );
    assert!(store
        .get_by_handle(
            "acme",
            Some("s"),
            &kompress_core::handle_for(102, "evicted line 2\n")
        )
        .unwrap()
        .is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_second_sink_joining_mid_stream_loses_nothing() {
    let Some(b) = bootstrap("sink_rebalance") else {
        return;
    };
    let t = make_topics(&b, "sinkreb", 4, 1).await;
    const N: usize = 100;
    let inputs: Vec<(String, Vec<u8>)> = (0..N)
        .map(|i| (format!("k{i}"), envelope(i, 9).into_bytes()))
        .collect();
    produce(&producer(&b), &t.input, &inputs).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = sink_config(&b, &t, &dir.path().join("m.db"));
    let (stop_p, pm, hp) = spawn_processor(cfg.clone(), Arc::new(LineSampler::default()));
    wait_until("every input processed", Duration::from_secs(60), || {
        kompress_kafka::Metrics::get(&pm.committed_messages) >= N as u64
    })
    .await;
    let _ = stop_p.send(());
    hp.await.unwrap().expect("processor drained");
    let produced = kompress_kafka::Metrics::get(&pm.evictions);

    let store = open_store(&cfg.memory_sink.store).unwrap();
    let slow = Duration::from_millis(200);
    let (s1, m1, h1) = spawn_slow_sink(cfg.clone(), store.clone(), slow);
    wait_until("the first sink working", Duration::from_secs(30), || {
        SinkMetrics::get(&m1.committed) >= 40
    })
    .await;
    let before_join = store.stats().unwrap().records;
    assert!(before_join < produced, "the second sink joins mid-stream");
    let (s2, m2, h2) = spawn_slow_sink(cfg.clone(), store.clone(), slow);
    let st = store.clone();
    wait_until("every record stored", Duration::from_secs(60), || {
        st.stats().unwrap().records >= produced
    })
    .await;
    let _ = s1.send(());
    let _ = s2.send(());
    h1.await.unwrap().expect("first sink drained");
    h2.await.unwrap().expect("second sink drained");
    let (c1, c2) = (
        SinkMetrics::get(&m1.committed),
        SinkMetrics::get(&m2.committed),
    );
    eprintln!(
        "sink 1 handled {c1}, sink 2 handled {c2}, rebalances {}/{}, redelivered {}",
        SinkMetrics::get(&m1.rebalances),
        SinkMetrics::get(&m2.rebalances),
        SinkMetrics::get(&m1.already_present) + SinkMetrics::get(&m2.already_present)
    );
    assert!(
        SinkMetrics::get(&m1.rebalances) > 0,
        "the join revoked partitions"
    );
    assert!(
        SinkMetrics::get(&m2.consumed) + c1 >= produced,
        "between them the sinks consumed everything"
    );
    assert_eq!(
        store.stats().unwrap().records,
        produced,
        "every record once"
    );
    let committed: i64 = committed_offsets(&b, &cfg.memory_sink.group_id, &t.memory, 4)
        .iter()
        .sum();
    assert!(committed as u64 >= produced, "offsets cover the topic");
}
