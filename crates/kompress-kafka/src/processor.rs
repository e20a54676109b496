//! The stream processor's main loop: consume, buffer per partition (pausing a partition whose
//! buffer is full), hand batches to [`crate::batch`] one at a time, drain on shutdown.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Message, OwnedMessage};
use rdkafka::producer::{FutureProducer, Producer};
use rdkafka::TopicPartitionList;
use tokio::task::JoinHandle;

use crate::batch::{process_batch, Shared};
use crate::client::{
    consumer_config, is_fatal, producer_config, recoverable, BatchGate, ProcessorContext,
};
use crate::config::{Delivery, StreamConfig, Topics};
use crate::txn::needs_new_producer;
use crate::{KafkaError, TranscriptCompressor};

/// Counters a caller (tests, the benchmark, a metrics endpoint) can read while it runs.
#[derive(Debug, Default)]
pub struct Metrics {
    pub consumed: AtomicU64,
    pub outputs: AtomicU64,
    pub evictions: AtomicU64,
    pub dead_letters: AtomicU64,
    pub batches: AtomicU64,
    pub committed_messages: AtomicU64,
    pub pauses: AtomicU64,
    pub resumes: AtomicU64,
    /// Most messages buffered at once, over all partitions.
    pub max_buffered: AtomicU64,
    /// Partitions assigned now, and revocations seen.
    pub assigned: AtomicU64,
    pub rebalances: AtomicU64,
}

impl Metrics {
    pub(crate) fn count_produced(&self, topic: &str, topics: &Topics) {
        let c = if topic == topics.output {
            &self.outputs
        } else if topic == topics.memory {
            &self.evictions
        } else {
            &self.dead_letters
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_batch(&self, messages: usize) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.committed_messages
            .fetch_add(messages as u64, Ordering::Relaxed);
    }

    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
}

/// Runs until `shutdown` resolves (then drains buffered work and commits, bounded by
/// `processing.drain_timeout_ms`) or until a batch fails (then returns the error without
/// committing: a restart processes the batch again).
pub async fn run(
    cfg: StreamConfig,
    compressor: Arc<dyn TranscriptCompressor>,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), KafkaError> {
    cfg.validate()?;
    crate::envelope::check_schema()?;
    let gate = Arc::new(BatchGate::default());
    let drain = Duration::from_millis(cfg.processing.drain_timeout_ms);
    let ctx = ProcessorContext {
        gate: gate.clone(),
        metrics: metrics.clone(),
        delivery: cfg.processing.delivery,
        drain,
    };
    let consumer: Arc<StreamConsumer<ProcessorContext>> = Arc::new(
        consumer_config(&cfg)
            .create_with_context(ctx)
            .map_err(KafkaError::client("create consumer"))?,
    );
    let producer: FutureProducer = producer_config(&cfg)
        .create()
        .map_err(KafkaError::client("create producer"))?;
    if cfg.processing.delivery == Delivery::ExactlyOnce {
        let p = producer.clone();
        let t = Duration::from_millis(cfg.kafka.transaction_timeout_ms);
        crate::txn::call("init_transactions", t + crate::txn::MARGIN, move || {
            p.init_transactions(t)
        })
        .await?;
    }
    consumer
        .subscribe(&[&cfg.topics.input])
        .map_err(KafkaError::client("subscribe"))?;
    let shared = Arc::new(Shared {
        fingerprint: crate::records::output_fingerprint(&cfg.compression, compressor.identity()),
        cfg,
        consumer: consumer.clone(),
        producer,
        compressor,
        metrics,
        gate,
    });
    let mut lp = Loop {
        shared,
        buf: BTreeMap::new(),
        buffered: 0,
        paused: BTreeSet::new(),
        epoch: 0,
        first_at: None,
    };
    let res = lp.run(shutdown).await;
    lp.finish(res.is_ok()).await;
    res
}

struct Loop {
    shared: Arc<Shared>,
    buf: BTreeMap<i32, VecDeque<OwnedMessage>>,
    buffered: usize,
    paused: BTreeSet<i32>,
    epoch: u64,
    first_at: Option<Instant>,
}

impl Loop {
    async fn run(&mut self, shutdown: impl Future<Output = ()>) -> Result<(), KafkaError> {
        tokio::pin!(shutdown);
        let p = self.shared.cfg.processing.clone();
        let linger = Duration::from_millis(p.batch_linger_ms);
        let cap = p.batch_max_messages.max(p.max_in_flight_per_partition) * 4;
        let mut inflight: Option<JoinHandle<Result<usize, KafkaError>>> = None;
        let mut firsts = BTreeMap::new();
        let mut failures = 0u32;
        let consumer = self.shared.consumer.clone();
        loop {
            self.check_epoch();
            let due = self.first_at.is_some_and(|t| t.elapsed() >= linger)
                || self.buffered >= p.batch_max_messages;
            if inflight.is_none() && self.buffered > 0 && due {
                let (h, f) = self.start_batch();
                inflight = Some(h);
                firsts = f;
            }
            let wait = self
                .first_at
                .map_or(linger, |t| linger.saturating_sub(t.elapsed()));
            tokio::select! {
                biased;
                _ = &mut shutdown => break,
                r = async { inflight.as_mut().expect("guarded").await }, if inflight.is_some() => {
                    inflight = None;
                    match r.map_err(|_| KafkaError::DrainTimeout { timeout_ms: 0 })? {
                        Ok(_) => failures = 0,
                        Err(e) if (recoverable(&e) || needs_new_producer(&e) || self.producer_fatal()) && failures < 5 => {
                            failures += 1;
                            tracing::warn!(failures, "batch failed, rewinding to reprocess it: {e}");
                            if self.producer_fatal() || needs_new_producer(&e) {
                                self.renew_producer().await?;
                            }
                            self.rewind(&firsts);
                            tokio::time::sleep(Duration::from_millis(250 * u64::from(failures))).await;
                        }
                        Err(e) => return Err(e),
                    }
                }
                m = consumer.recv(), if self.buffered < cap => {
                    match m {
                        Ok(m) => {
                            self.check_epoch();
                            self.push(m.detach());
                        }
                        // Broker down, leader moving, transport errors: librdkafka recovers
                        // by itself; only a fatal error ends the processor.
                        Err(e) if is_fatal(&e) => return Err(KafkaError::Client { stage: "consume", source: e }),
                        Err(e) => tracing::warn!("consumer: {e} (retrying)"),
                    }
                }
                _ = tokio::time::sleep(wait), if inflight.is_none() && self.buffered > 0 => {}
            }
        }
        // Drain: finish the batch in flight, then everything buffered, within the bound.
        let drain = Duration::from_millis(p.drain_timeout_ms);
        let started = Instant::now();
        tracing::info!(buffered = self.buffered, "draining");
        let work = async {
            if let Some(h) = inflight.take() {
                h.await
                    .map_err(|_| KafkaError::DrainTimeout { timeout_ms: 0 })??;
            }
            loop {
                self.check_epoch();
                if self.buffered == 0 {
                    return Ok::<(), KafkaError>(());
                }
                self.start_batch()
                    .0
                    .await
                    .map_err(|_| KafkaError::DrainTimeout { timeout_ms: 0 })??;
            }
        };
        match tokio::time::timeout(drain, work).await {
            Ok(r) => r?,
            Err(_) => {
                return Err(KafkaError::DrainTimeout {
                    timeout_ms: p.drain_timeout_ms,
                })
            }
        }
        tracing::info!(ms = started.elapsed().as_millis() as u64, "drained");
        Ok(())
    }

    /// After a revocation, buffered messages may belong to partitions now owned by another
    /// member (or re-fetched from the committed offset): drop them; pauses were reset too.
    fn check_epoch(&mut self) {
        let e = self.shared.gate.epoch();
        if e != self.epoch {
            self.epoch = e;
            self.buf.clear();
            self.buffered = 0;
            self.paused.clear();
            self.first_at = None;
        }
    }

    fn push(&mut self, m: OwnedMessage) {
        let p = m.partition();
        let q = self.buf.entry(p).or_default();
        q.push_back(m);
        let len = q.len();
        self.buffered += 1;
        self.first_at.get_or_insert_with(Instant::now);
        self.shared.metrics.consumed.fetch_add(1, Ordering::Relaxed);
        self.shared
            .metrics
            .max_buffered
            .fetch_max(self.buffered as u64, Ordering::Relaxed);
        if len >= self.shared.cfg.processing.max_in_flight_per_partition && self.paused.insert(p) {
            self.toggle(p, true);
        }
    }

    fn toggle(&self, partition: i32, pause: bool) {
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition(&self.shared.cfg.topics.input, partition);
        let c = &self.shared.consumer;
        let (r, counter) = if pause {
            (c.pause(&tpl), &self.shared.metrics.pauses)
        } else {
            (c.resume(&tpl), &self.shared.metrics.resumes)
        };
        match r {
            Ok(()) => {
                counter.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(partition, pause, "partition flow control");
            }
            Err(e) => tracing::debug!(partition, pause, "flow control failed: {e}"),
        }
    }

    /// Takes up to `batch_max_messages`, round-robin over partitions, in offset order within
    /// each, resumes partitions with room again and spawns the batch.
    fn start_batch(&mut self) -> (JoinHandle<Result<usize, KafkaError>>, BTreeMap<i32, i64>) {
        let p = &self.shared.cfg.processing;
        let mut batch = Vec::with_capacity(self.buffered.min(p.batch_max_messages));
        while batch.len() < p.batch_max_messages && self.buffered > 0 {
            for q in self.buf.values_mut() {
                if let Some(m) = q.pop_front() {
                    batch.push(m);
                    self.buffered -= 1;
                    if batch.len() == p.batch_max_messages {
                        break;
                    }
                }
            }
        }
        let limit = p.max_in_flight_per_partition;
        let resume: Vec<i32> = self
            .paused
            .iter()
            .copied()
            .filter(|part| self.buf.get(part).map_or(0, VecDeque::len) < limit.div_ceil(2).max(1))
            .collect();
        for part in resume {
            self.paused.remove(&part);
            self.toggle(part, false);
        }
        self.first_at = if self.buffered > 0 {
            Some(Instant::now())
        } else {
            None
        };
        let mut firsts = BTreeMap::new();
        for m in &batch {
            firsts.entry(m.partition()).or_insert(m.offset());
        }
        self.shared.gate.enter();
        (
            tokio::spawn(process_batch(self.shared.clone(), batch)),
            firsts,
        )
    }

    /// Whether the producer hit a fatal error (seen after a broker loss: an abort that needs
    /// an epoch bump fails with INVALID_TXN_STATE). Such a producer can never be used again.
    fn producer_fatal(&self) -> bool {
        self.shared.producer.client().fatal_error().is_some()
    }

    /// Replaces a producer in a fatal state by a new one with the same transactional id:
    /// its `init_transactions` fences the old producer and aborts its open transaction, so
    /// the failed batch's records stay invisible to `read_committed` readers and the batch
    /// is processed again from its first offsets.
    async fn renew_producer(&mut self) -> Result<(), KafkaError> {
        let cfg = self.shared.cfg.clone();
        if let Some((code, reason)) = self.shared.producer.client().fatal_error() {
            tracing::warn!(
                ?code,
                "producer fatal error ({reason}); creating a new producer"
            );
        }
        let producer: FutureProducer = producer_config(&cfg)
            .create()
            .map_err(KafkaError::client("create producer"))?;
        if cfg.processing.delivery == Delivery::ExactlyOnce {
            let p = producer.clone();
            let t = Duration::from_millis(cfg.kafka.transaction_timeout_ms);
            crate::txn::call_retrying("init_transactions", t, move || p.init_transactions(t))
                .await?;
        }
        let s = &self.shared;
        let renewed = Arc::new(Shared {
            cfg,
            fingerprint: s.fingerprint,
            consumer: s.consumer.clone(),
            producer,
            compressor: s.compressor.clone(),
            metrics: s.metrics.clone(),
            gate: s.gate.clone(),
        });
        let old = std::mem::replace(&mut self.shared, renewed);
        // Destroying a client in a fatal state may block, and a stuck transactional call may
        // still hold a clone of it: drop it on a thread nobody waits for (not the runtime's
        // blocking pool, whose shutdown would wait).
        let _ = std::thread::Builder::new()
            .name("kompress-producer-drop".into())
            .spawn(move || drop(old));
        Ok(())
    }

    /// After a failed (aborted, uncommitted) batch: drop what is buffered behind it on its
    /// partitions and fetch them again from the batch's first offsets, so nothing is skipped
    /// and order is kept.
    fn rewind(&mut self, firsts: &BTreeMap<i32, i64>) {
        let topic = self.shared.cfg.topics.input.clone();
        for (&p, &o) in firsts {
            if let Some(q) = self.buf.get_mut(&p) {
                self.buffered -= q.len();
                q.clear();
            }
            if self.paused.remove(&p) {
                self.toggle(p, false);
            }
            if let Err(e) = self.shared.consumer.seek(
                &topic,
                p,
                rdkafka::Offset::Offset(o),
                Duration::from_secs(10),
            ) {
                tracing::warn!(partition = p, "seek back failed (partition revoked?): {e}");
            }
        }
        if self.buffered == 0 {
            self.first_at = None;
        }
    }

    /// Final commit for at-least-once (exactly-once committed inside each transaction), then
    /// leave the group so partitions move at once.
    async fn finish(&mut self, ok: bool) {
        let alo = self.shared.cfg.processing.delivery == Delivery::AtLeastOnce;
        crate::txn::leave_group(
            self.shared.consumer.clone(),
            ok && alo,
            self.shared.cfg.kafka.session_timeout_ms,
        )
        .await;
        let _ = self.shared.producer.flush(Duration::from_secs(5));
    }
}
