//! Helpers shared by the broker tests: find the broker (or skip loudly), make random topics,
//! produce envelopes, read topics back, run the processor in-process or as a child process.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kompress_kafka::{Delivery, Metrics, StreamConfig, TranscriptCompressor};
use rand::Rng;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message, OwnedMessage};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

/// The broker to test against, from `KOMPRESS_TEST_BOOTSTRAP`. Unset: skip loudly, or fail
/// under CI where the broker must be there.
pub fn bootstrap(test: &str) -> Option<String> {
    // Processor logs for in-process runs: KOMPRESS_LOG=kompress_kafka=debug,librdkafka=warn.
    if let Ok(filter) = std::env::var("KOMPRESS_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    }
    match std::env::var("KOMPRESS_TEST_BOOTSTRAP") {
        Ok(b) if !b.trim().is_empty() => {
            eprintln!("{test}: running against the Kafka broker at {b}");
            Some(b)
        }
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{test}: CI=true but KOMPRESS_TEST_BOOTSTRAP is unset; start the broker with deploy/kafka/broker.sh start")
        }
        _ => {
            eprintln!("SKIPPED {test}: KOMPRESS_TEST_BOOTSTRAP is unset (start one with deploy/kafka/broker.sh start and export KOMPRESS_TEST_BOOTSTRAP=127.0.0.1:19092)");
            None
        }
    }
}

pub fn unique(name: &str) -> String {
    format!("kt-{name}-{:08x}", rand::thread_rng().gen::<u32>())
}

/// Topics of one test: input, output, memory, dlq, and the group.
pub struct TestTopics {
    pub input: String,
    pub output: String,
    pub memory: String,
    pub dlq: String,
    pub group: String,
}

pub async fn make_topics(bootstrap: &str, name: &str, partitions: i32, rf: i32) -> TestTopics {
    let t = TestTopics {
        input: unique(&format!("{name}-in")),
        output: unique(&format!("{name}-out")),
        memory: unique(&format!("{name}-mem")),
        dlq: unique(&format!("{name}-dlq")),
        group: unique(&format!("{name}-g")),
    };
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .expect("admin client");
    let topics: Vec<NewTopic> = [&t.input, &t.output, &t.memory, &t.dlq]
        .into_iter()
        .map(|n| NewTopic::new(n, partitions, TopicReplication::Fixed(rf)))
        .collect();
    let res = admin
        .create_topics(
            &topics,
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(30))),
        )
        .await
        .expect("create topics");
    for r in res {
        r.expect("topic created");
    }
    t
}

pub fn config(bootstrap: &str, t: &TestTopics, delivery: Delivery) -> StreamConfig {
    let mut c = StreamConfig::default();
    c.kafka.bootstrap_servers = bootstrap.into();
    c.kafka.group_id = t.group.clone();
    c.kafka.instance_id = Some("p1".into());
    c.kafka.session_timeout_ms = 6_000;
    c.kafka.transaction_timeout_ms = 10_000;
    c.topics.input = t.input.clone();
    c.topics.output = t.output.clone();
    c.topics.memory = t.memory.clone();
    c.topics.dlq = t.dlq.clone();
    c.processing.delivery = delivery;
    c.processing.drain_timeout_ms = 4_000;
    c.processing.batch_max_messages = 50;
    c.processing.batch_linger_ms = 10;
    c
}

/// A transcript envelope whose tool output has `lines` lines (so about half get evicted).
pub fn envelope(id: usize, lines: usize) -> String {
    let text: Vec<String> = (0..lines)
        .map(|l| format!("line {l} of transcript {id}: value={}", id * 31 + l))
        .collect();
    let messages = serde_json::json!([
        {"role": "user", "content": format!("why does job {id} fail?")},
        {"role": "tool", "content": text.join("\n")},
    ]);
    serde_json::json!({
        "version": 1, "tenant": "acme", "session_id": format!("s{}", id % 7),
        "transcript_id": format!("t{id}"), "format": "openai", "messages": messages,
    })
    .to_string()
}

pub fn producer(bootstrap: &str) -> FutureProducer {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("enable.idempotence", "true")
        .set("linger.ms", "2")
        .create()
        .expect("producer")
}

/// Produces `(key, payload)` pairs in order and waits for every acknowledgement.
pub async fn produce(p: &FutureProducer, topic: &str, records: &[(String, Vec<u8>)]) {
    let futs: Vec<_> = records
        .iter()
        .map(|(k, v)| {
            p.send_result(FutureRecord::to(topic).key(k).payload(v))
                .expect("enqueue")
        })
        .collect();
    for f in futs {
        f.await.expect("delivery future").expect("delivered");
    }
}

/// Reads a topic from the beginning (no group) until `want` records arrived or `timeout`.
pub fn read_topic(
    bootstrap: &str,
    topic: &str,
    committed_only: bool,
    want: usize,
    timeout: Duration,
) -> Vec<OwnedMessage> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", unique("reader"))
        .set("enable.auto.commit", "false")
        .set(
            "isolation.level",
            if committed_only {
                "read_committed"
            } else {
                "read_uncommitted"
            },
        )
        .create()
        .expect("reader");
    let md = c
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .expect("metadata");
    let mut tpl = TopicPartitionList::new();
    for p in md.topics()[0].partitions() {
        tpl.add_partition_offset(topic, p.id(), Offset::Beginning)
            .unwrap();
    }
    c.assign(&tpl).expect("assign");
    let deadline = Instant::now() + timeout;
    let mut out = Vec::new();
    while out.len() < want && Instant::now() < deadline {
        if let Some(Ok(m)) = c.poll(Duration::from_millis(200)) {
            out.push(m.detach());
        }
    }
    // Extra short poll so surplus records (duplicates) show up too.
    let settle = Instant::now() + Duration::from_millis(500);
    while Instant::now() < settle {
        if let Some(Ok(m)) = c.poll(Duration::from_millis(100)) {
            out.push(m.detach());
        }
    }
    out
}

pub fn header(m: &OwnedMessage, name: &str) -> Option<String> {
    m.headers()?
        .iter()
        .find(|h| h.key == name)
        .and_then(|h| h.value)
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

/// Output records grouped by input `transcript_id`, with their `kompress-id`s.
pub fn outputs_by_transcript(msgs: &[OwnedMessage]) -> BTreeMap<String, Vec<String>> {
    let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in msgs {
        let v: serde_json::Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
        let tid = v["transcript_id"].as_str().unwrap().to_string();
        by.entry(tid)
            .or_default()
            .push(header(m, "kompress-id").unwrap_or_default());
    }
    by
}

/// Runs the processor on this runtime until the returned sender fires.
pub fn spawn_processor(
    cfg: StreamConfig,
    compressor: Arc<dyn TranscriptCompressor>,
) -> (
    tokio::sync::oneshot::Sender<()>,
    Arc<Metrics>,
    tokio::task::JoinHandle<Result<(), kompress_kafka::KafkaError>>,
) {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let metrics = Arc::new(Metrics::default());
    let m = metrics.clone();
    let h = tokio::spawn(async move {
        kompress_kafka::run(cfg, compressor, m, async {
            let _ = rx.await;
        })
        .await
    });
    (tx, metrics, h)
}

/// Starts the processor binary with the config as `KOMPRESS__*` variables.
pub fn spawn_processor_bin(cfg: &StreamConfig, delay_ms: u64) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kompress-kafka"));
    cmd.args([
        "stream",
        "--compressor",
        "line-sampler",
        "--delay-ms",
        &delay_ms.to_string(),
    ]);
    let k = &cfg.kafka;
    let t = &cfg.topics;
    let p = &cfg.processing;
    let delivery = match p.delivery {
        Delivery::ExactlyOnce => "exactly_once",
        Delivery::AtLeastOnce => "at_least_once",
    };
    for (key, v) in [
        ("KAFKA__BOOTSTRAP_SERVERS", k.bootstrap_servers.clone()),
        ("KAFKA__GROUP_ID", k.group_id.clone()),
        (
            "KAFKA__INSTANCE_ID",
            k.instance_id.clone().unwrap_or_default(),
        ),
        (
            "KAFKA__SESSION_TIMEOUT_MS",
            k.session_timeout_ms.to_string(),
        ),
        (
            "KAFKA__TRANSACTION_TIMEOUT_MS",
            k.transaction_timeout_ms.to_string(),
        ),
        ("TOPICS__INPUT", t.input.clone()),
        ("TOPICS__OUTPUT", t.output.clone()),
        ("TOPICS__MEMORY", t.memory.clone()),
        ("TOPICS__DLQ", t.dlq.clone()),
        ("PROCESSING__DELIVERY", delivery.into()),
        (
            "PROCESSING__DRAIN_TIMEOUT_MS",
            p.drain_timeout_ms.to_string(),
        ),
        (
            "PROCESSING__BATCH_MAX_MESSAGES",
            p.batch_max_messages.to_string(),
        ),
        ("PROCESSING__BATCH_LINGER_MS", p.batch_linger_ms.to_string()),
        (
            "PROCESSING__MAX_IN_FLIGHT_PER_PARTITION",
            p.max_in_flight_per_partition.to_string(),
        ),
    ] {
        cmd.env(format!("KOMPRESS__{key}"), v);
    }
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn kompress-stream-test")
}

pub fn committed_offsets(bootstrap: &str, group: &str, topic: &str, partitions: i32) -> Vec<i64> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .create()
        .expect("offset reader");
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition(topic, p);
    }
    let got = c
        .committed_offsets(tpl, Duration::from_secs(10))
        .expect("committed offsets");
    (0..partitions)
        .map(|p| match got.find_partition(topic, p).map(|e| e.offset()) {
            Some(Offset::Offset(o)) => o,
            _ => 0,
        })
        .collect()
}

/// Sum of high watermarks of a topic (records plus transaction markers): "has it started".
pub fn high_watermarks(bootstrap: &str, topic: &str) -> i64 {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .expect("client");
    let md = c
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .expect("metadata");
    md.topics()[0]
        .partitions()
        .iter()
        .map(|p| {
            c.fetch_watermarks(topic, p.id(), Duration::from_secs(10))
                .map_or(0, |w| w.1)
        })
        .sum()
}

/// Waits until `f` holds, polling every 100 ms, at most `timeout`.
pub async fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn sigterm(child: &Child) {
    // SAFETY: plain kill(2) on the pid of a child this test spawned.
    let rc = unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert_eq!(rc, 0, "SIGTERM delivered");
}

/// Waits for a child to exit, at most `timeout`; returns its exit code and stdout.
pub fn wait_child(mut child: Child, timeout: Duration) -> (Option<i32>, String) {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(st) = child.try_wait().expect("try_wait") {
            let mut out = String::new();
            if let Some(mut s) = child.stdout.take() {
                use std::io::Read;
                let _ = s.read_to_string(&mut out);
            }
            return (st.code(), out);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("processor did not exit within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One memory-topic record as the processor writes it: an eviction of `original` at `start` of
/// message `message_index` in `transcript_id`, for `tenant` / session `s`.
pub fn memory_record(
    tenant: &str,
    transcript_id: &str,
    message_index: u32,
    start: u64,
    original: String,
) -> Vec<u8> {
    let ev = kompress_core::Eviction {
        transcript_id: transcript_id.to_string(),
        message_index,
        start,
        end: start + original.len() as u64,
        replacement: String::new(),
        decoded: None,
        handle: kompress_core::handle_for(start, &original),
        hash: kompress_core::content_hash(&original),
        original,
        kind: kompress_core::EvictionKind::Lines,
    };
    serde_json::to_vec(&serde_json::json!({
        "version": 1, "tenant": tenant, "session_id": "s", "transcript_id": transcript_id,
        "eviction": ev,
    }))
    .unwrap()
}
