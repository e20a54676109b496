//! The memory sink (`memory-sink`): consumes the memory topic that the stream processor
//! writes (one eviction record per message), stores the records in batches in the memory
//! store, dead-letters records it cannot decode, and commits offsets only after the store
//! (and the dead-letter topic) acknowledged everything before them.
//!
//! Delivery: at least once into an idempotent store, so effectively exactly once: a record
//! redelivered after a crash or a rebalance has the same deterministic id and is stored once.

pub mod bench;
mod config;
mod decode;
mod deliver;

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kompress_memory::MemoryStore;
use rdkafka::consumer::StreamConsumer;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::message::OwnedMessage;
use rdkafka::producer::{FutureProducer, Producer};
use rdkafka::{ClientConfig, ClientContext};
use tokio::task::JoinHandle;

pub use config::MemorySinkSettings;
pub use decode::{decode, Decoded};

use crate::client::{is_fatal, BatchGate};
use crate::config::StreamConfig;
use crate::KafkaError;
use deliver::{deliver_batch, SinkShared};

/// Counters of a running sink.
#[derive(Debug, Default)]
pub struct SinkMetrics {
    pub consumed: AtomicU64,
    /// Records newly written to the store.
    pub inserted: AtomicU64,
    /// Records the store already had (redeliveries).
    pub already_present: AtomicU64,
    pub dead_letters: AtomicU64,
    /// Tombstones of the compacted topic.
    pub skipped: AtomicU64,
    pub batches: AtomicU64,
    /// Messages whose offsets were stored for commit.
    pub committed: AtomicU64,
    pub store_retries: AtomicU64,
    pub dlq_retries: AtomicU64,
    pub rebalances: AtomicU64,
}

impl SinkMetrics {
    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }

    /// The counters as one JSON object (printed by the command on exit).
    pub fn to_json(&self) -> serde_json::Value {
        let g = Self::get;
        serde_json::json!({
            "consumed": g(&self.consumed), "inserted": g(&self.inserted),
            "already_present": g(&self.already_present), "dead_letters": g(&self.dead_letters),
            "skipped": g(&self.skipped), "batches": g(&self.batches),
            "committed": g(&self.committed), "store_retries": g(&self.store_retries),
            "dlq_retries": g(&self.dlq_retries), "rebalances": g(&self.rebalances),
        })
    }
}

/// Makes a revocation wait for the batch in flight, then commits synchronously, so the next
/// owner of a partition starts right after what this sink stored.
pub struct SinkContext {
    gate: Arc<BatchGate>,
    metrics: Arc<SinkMetrics>,
    drain: Duration,
}

impl ClientContext for SinkContext {}

impl ConsumerContext for SinkContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(tpl) = rebalance {
            if !self.gate.wait_idle(self.drain) {
                tracing::warn!(
                    "rebalance: sink batch still in flight after {:?}",
                    self.drain
                );
            }
            self.gate.bump_epoch();
            if tpl.count() > 0 {
                if let Err(e) = consumer.commit_consumer_state(CommitMode::Sync) {
                    tracing::debug!("commit on revoke: {e}");
                }
            }
            self.metrics.rebalances.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn consumer_config(cfg: &StreamConfig) -> ClientConfig {
    let mut c = ClientConfig::new();
    for (k, v) in &cfg.kafka.client_options {
        c.set(k, v);
    }
    c.set("bootstrap.servers", &cfg.kafka.bootstrap_servers)
        .set("group.id", &cfg.memory_sink.group_id)
        .set(
            "session.timeout.ms",
            cfg.kafka.session_timeout_ms.to_string(),
        )
        .set("auto.offset.reset", "earliest")
        // The processor writes eviction records in transactions: aborted ones are never stored.
        .set("isolation.level", "read_committed")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "false");
    c
}

fn producer_config(cfg: &StreamConfig) -> ClientConfig {
    let mut c = ClientConfig::new();
    for (k, v) in &cfg.kafka.client_options {
        c.set(k, v);
    }
    c.set("bootstrap.servers", &cfg.kafka.bootstrap_servers)
        .set("enable.idempotence", "true")
        .set("acks", "all");
    c
}

/// Opens the configured store (SQLite by default) and runs the sink until `shutdown`.
pub async fn run_sink(
    cfg: StreamConfig,
    metrics: Arc<SinkMetrics>,
    batch_delay: Duration,
    shutdown: impl Future<Output = ()>,
) -> Result<(), KafkaError> {
    cfg.validate()?;
    let store = open_sink_store(&cfg.memory_sink.store).await?;
    run_sink_with_store(cfg, store, metrics, batch_delay, shutdown).await
}

/// Opens the configured store on the blocking pool (SQLite and PostgreSQL open synchronously).
pub(crate) async fn open_sink_store(
    store: &kompress_memory::MemoryConfig,
) -> Result<Arc<dyn MemoryStore>, KafkaError> {
    let store_cfg = store.clone();
    tokio::task::spawn_blocking(move || kompress_memory::open_store(&store_cfg))
        .await
        .map_err(|_| KafkaError::DrainTimeout { timeout_ms: 0 })?
        .map_err(|source| KafkaError::Store {
            stage: "open",
            source,
        })
}

/// Runs the sink into `store` until `shutdown` resolves, then drains what it consumed
/// (bounded by `memory_sink.drain_timeout_ms`), commits and leaves the group.
pub async fn run_sink_with_store(
    cfg: StreamConfig,
    store: Arc<dyn MemoryStore>,
    metrics: Arc<SinkMetrics>,
    batch_delay: Duration,
    shutdown: impl Future<Output = ()>,
) -> Result<(), KafkaError> {
    cfg.validate()?;
    if cfg.topics.memory == cfg.topics.dlq {
        return Err(KafkaError::config(
            "topics.dlq",
            "must differ from topics.memory (the sink dead-letters there)",
        ));
    }
    tracing::info!(
        topic = %cfg.topics.memory,
        store = %cfg.memory_sink.store_location(),
        "memory sink starting"
    );
    let gate = Arc::new(BatchGate::default());
    let drain = Duration::from_millis(cfg.memory_sink.drain_timeout_ms);
    let ctx = SinkContext {
        gate: gate.clone(),
        metrics: metrics.clone(),
        drain,
    };
    let consumer: Arc<StreamConsumer<SinkContext>> = Arc::new(
        consumer_config(&cfg)
            .create_with_context(ctx)
            .map_err(KafkaError::client("create consumer"))?,
    );
    let producer: FutureProducer = producer_config(&cfg)
        .create()
        .map_err(KafkaError::client("create producer"))?;
    consumer
        .subscribe(&[&cfg.topics.memory])
        .map_err(KafkaError::client("subscribe"))?;
    let shared = Arc::new(SinkShared {
        cfg,
        consumer: consumer.clone(),
        producer,
        store,
        metrics,
        gate,
        batch_delay,
    });
    let res = sink_loop(&shared, shutdown).await;
    crate::txn::leave_group(consumer, res.is_ok(), shared.cfg.kafka.session_timeout_ms).await;
    let _ = shared.producer.flush(Duration::from_secs(5));
    res
}

async fn sink_loop(
    shared: &Arc<SinkShared>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), KafkaError> {
    tokio::pin!(shutdown);
    let s = &shared.cfg.memory_sink;
    let max = s.batch_max_records;
    let wait = Duration::from_millis(s.batch_max_wait_ms);
    let mut buf: VecDeque<OwnedMessage> = VecDeque::new();
    let mut first_at: Option<Instant> = None;
    let mut epoch = shared.gate.epoch();
    let mut inflight: Option<JoinHandle<Result<usize, KafkaError>>> = None;
    let consumer = shared.consumer.clone();
    loop {
        if shared.gate.epoch() != epoch {
            // Revoked: what is buffered may now belong to another member.
            epoch = shared.gate.epoch();
            buf.clear();
            first_at = None;
        }
        let due = buf.len() >= max || first_at.is_some_and(|t| t.elapsed() >= wait);
        if inflight.is_none() && !buf.is_empty() && due {
            inflight = Some(start_batch(shared, &mut buf, max));
            first_at = (!buf.is_empty()).then(Instant::now);
        }
        let left = first_at.map_or(wait, |t| wait.saturating_sub(t.elapsed()));
        tokio::select! {
            biased;
            _ = &mut shutdown => break,
            r = async { inflight.as_mut().expect("guarded").await }, if inflight.is_some() => {
                inflight = None;
                r.map_err(|_| KafkaError::DrainTimeout { timeout_ms: 0 })??;
            }
            m = consumer.recv(), if buf.len() < max * 2 => match m {
                Ok(m) => {
                    if shared.gate.epoch() != epoch {
                        epoch = shared.gate.epoch();
                        buf.clear();
                        first_at = None;
                    }
                    buf.push_back(m.detach());
                    first_at.get_or_insert_with(Instant::now);
                    shared.metrics.consumed.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) if is_fatal(&e) => {
                    return Err(KafkaError::Client { stage: "consume", source: e })
                }
                Err(e) => tracing::warn!("consumer: {e} (retrying)"),
            },
            _ = tokio::time::sleep(left), if inflight.is_none() && !buf.is_empty() => {}
        }
    }
    let timeout_ms = s.drain_timeout_ms;
    tracing::info!(buffered = buf.len(), "memory sink draining");
    let work = async {
        if let Some(h) = inflight.take() {
            h.await
                .map_err(|_| KafkaError::DrainTimeout { timeout_ms: 0 })??;
        }
        while !buf.is_empty() && shared.gate.epoch() == epoch {
            start_batch(shared, &mut buf, max)
                .await
                .map_err(|_| KafkaError::DrainTimeout { timeout_ms: 0 })??;
        }
        Ok::<(), KafkaError>(())
    };
    tokio::time::timeout(Duration::from_millis(timeout_ms), work)
        .await
        .map_err(|_| KafkaError::DrainTimeout { timeout_ms })?
}

fn start_batch(
    shared: &Arc<SinkShared>,
    buf: &mut VecDeque<OwnedMessage>,
    max: usize,
) -> JoinHandle<Result<usize, KafkaError>> {
    let n = buf.len().min(max);
    let batch: Vec<OwnedMessage> = buf.drain(..n).collect();
    shared.gate.enter();
    tokio::spawn(deliver_batch(shared.clone(), batch))
}
