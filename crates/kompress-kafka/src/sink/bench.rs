//! Memory-sink throughput through a real broker: N eviction records (the processor's
//! format, ~400-byte log text each) on a fresh topic, the sink run in-process into a fresh
//! SQLite file, timed from the first record consumed to the last offset stored (the group
//! join is reported apart). Repeated `runs` times; the median is the figure to quote.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kompress_core::{content_hash, handle_for, Eviction, EvictionKind};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::ClientConfig;
use serde::Serialize;

use super::{run_sink_with_store, SinkMetrics};
use crate::{KafkaError, StreamConfig};

#[derive(Debug, Clone, clap::Args)]
pub struct SinkBenchArgs {
    /// Eviction records per run.
    #[arg(long, default_value_t = 20_000)]
    pub records: usize,
    /// Runs (each on new topics and a new store); the report gives each and the median.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    #[arg(long, default_value_t = 4)]
    pub partitions: i32,
    /// `memory_sink.batch_max_records` for the run.
    #[arg(long, default_value_t = 500)]
    pub batch: usize,
    /// Directory for the SQLite files (removed after each run); default: the temp dir.
    #[arg(long)]
    pub dir: Option<std::path::PathBuf>,
    #[arg(long, default_value_t = 300)]
    pub timeout_s: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SinkRun {
    pub records: usize,
    /// First record consumed to every offset stored.
    pub seconds: f64,
    pub records_per_s: f64,
    /// Sink start to first record (group join, first fetch).
    pub startup_s: f64,
    pub inserted: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SinkBenchReport {
    pub runs: Vec<SinkRun>,
    pub median_records_per_s: f64,
    pub batch: usize,
    pub partitions: i32,
}

fn record_json(i: usize) -> Vec<u8> {
    let tid = format!("bench-t{}", i / 8);
    let lines: Vec<String> = (0..5)
        .map(|l| {
            format!(
                "2026-11-25T17:{:02}:{:02}.{:03}Z INFO worker-{} request {} served in {} ms",
                (i / 60) % 60,
                i % 60,
                l * 7,
                i % 13,
                i * 5 + l,
                (i * 31 + l) % 997
            )
        })
        .collect();
    let original = lines.join("\n") + "\n";
    let start = ((i % 8) * 1000) as u64;
    let ev = Eviction {
        transcript_id: tid.clone(),
        message_index: 1,
        start,
        end: start + original.len() as u64,
        replacement: format!("[…5 lines, ref={}]\n", handle_for(start, &original)),
        handle: handle_for(start, &original),
        hash: content_hash(&original),
        original,
        decoded: None,
        kind: EvictionKind::Lines,
    };
    serde_json::to_vec(&serde_json::json!({
        "version": 1, "tenant": format!("tenant{}", i % 10), "session_id": format!("s{}", i % 50),
        "transcript_id": tid, "eviction": ev,
    }))
    .expect("bench record serialises")
}

async fn prepare(cfg: &StreamConfig, a: &SinkBenchArgs) -> Result<(String, String), KafkaError> {
    let b = &cfg.kafka.bootstrap_servers;
    let tag: u32 = rand::random();
    let (memory, dlq) = (
        format!("bench-sink-mem-{tag:08x}"),
        format!("bench-sink-dlq-{tag:08x}"),
    );
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", b)
        .create()
        .map_err(KafkaError::client("admin"))?;
    let topics = [
        NewTopic::new(&memory, a.partitions, TopicReplication::Fixed(1)),
        NewTopic::new(&dlq, 1, TopicReplication::Fixed(1)),
    ];
    for r in admin
        .create_topics(&topics, &AdminOptions::new())
        .await
        .map_err(KafkaError::client("create topics"))?
    {
        r.map_err(|(t, e)| KafkaError::config("bench.topics", format!("{t}: {e}")))?;
    }
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", b)
        .set("enable.idempotence", "true")
        .set("linger.ms", "5")
        .create()
        .map_err(KafkaError::client("bench producer"))?;
    let mut futs = Vec::with_capacity(a.records);
    for i in 0..a.records {
        let payload = record_json(i);
        let key = format!("k{i}");
        let mut rec = FutureRecord::to(&memory).key(&key).payload(&payload);
        loop {
            match producer.send_result(rec) {
                Ok(f) => break futs.push(f),
                Err((
                    rdkafka::error::KafkaError::MessageProduction(
                        rdkafka::types::RDKafkaErrorCode::QueueFull,
                    ),
                    r,
                )) => {
                    // Local queue full: let deliveries catch up.
                    rec = r;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Err((e, _)) => {
                    return Err(KafkaError::Client {
                        stage: "bench produce",
                        source: e,
                    })
                }
            }
        }
    }
    for f in futs {
        f.await
            .map_err(|_| KafkaError::DrainTimeout { timeout_ms: 0 })?
            .map_err(|(e, _)| KafkaError::Client {
                stage: "bench produce",
                source: e,
            })?;
    }
    Ok((memory, dlq))
}

async fn one_run(cfg: &StreamConfig, a: &SinkBenchArgs) -> Result<SinkRun, KafkaError> {
    let (memory, dlq) = prepare(cfg, a).await?;
    let dir = a.dir.clone().unwrap_or_else(std::env::temp_dir);
    let path = dir.join(format!("{memory}.db"));
    let mut cfg = cfg.clone();
    cfg.topics.memory = memory.clone();
    cfg.topics.dlq = dlq;
    cfg.memory_sink.group_id = format!("{memory}-g");
    cfg.memory_sink.batch_max_records = a.batch;
    cfg.memory_sink.store = kompress_memory::MemoryConfig::sqlite(&path);
    let store = super::open_sink_store(&cfg.memory_sink.store).await?;
    let metrics = Arc::new(SinkMetrics::default());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let started = Instant::now();
    let h = tokio::spawn(run_sink_with_store(
        cfg,
        store,
        metrics.clone(),
        Duration::ZERO,
        async {
            let _ = rx.await;
        },
    ));
    let deadline = started + Duration::from_secs(a.timeout_s);
    let mut first = None;
    let n = a.records as u64;
    while SinkMetrics::get(&metrics.committed) < n {
        if first.is_none() && SinkMetrics::get(&metrics.consumed) > 0 {
            first = Some(Instant::now());
        }
        if Instant::now() > deadline {
            return Err(KafkaError::DrainTimeout {
                timeout_ms: a.timeout_s * 1000,
            });
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let done = Instant::now();
    let first = first.unwrap_or(started);
    let _ = tx.send(());
    h.await
        .map_err(|_| KafkaError::DrainTimeout { timeout_ms: 0 })??;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let seconds = (done - first).as_secs_f64();
    Ok(SinkRun {
        records: a.records,
        seconds,
        records_per_s: a.records as f64 / seconds.max(1e-9),
        startup_s: (first - started).as_secs_f64(),
        inserted: SinkMetrics::get(&metrics.inserted),
    })
}

/// Runs the benchmark against `cfg.kafka.bootstrap_servers`.
pub async fn bench_sink(
    cfg: &StreamConfig,
    a: &SinkBenchArgs,
) -> Result<SinkBenchReport, KafkaError> {
    if a.records == 0 || a.runs == 0 || a.batch == 0 {
        return Err(KafkaError::config(
            "bench-sink",
            "--records, --runs and --batch must be > 0",
        ));
    }
    let mut runs = Vec::with_capacity(a.runs);
    for _ in 0..a.runs {
        let r = one_run(cfg, a).await?;
        tracing::info!(records_per_s = r.records_per_s, "sink bench run");
        runs.push(r);
    }
    let mut rates: Vec<f64> = runs.iter().map(|r| r.records_per_s).collect();
    rates.sort_by(f64::total_cmp);
    Ok(SinkBenchReport {
        median_records_per_s: rates[rates.len() / 2],
        runs,
        batch: a.batch,
        partitions: a.partitions,
    })
}
