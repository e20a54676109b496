//! One sink batch: decode, store (retrying with backoff until the store says Ok),
//! dead-letter the undecodable records (retrying until the broker acknowledges), and only
//! then store the batch's offsets and commit them. Nothing past an unstored record is ever
//! committed: a failure keeps retrying, and a crash redelivers from the last commit, which
//! the store's idempotent upsert absorbs.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use kompress_memory::{put_batch_async, MemoryError, MemoryRecord, MemoryStore, PutReport};
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message, OwnedMessage};
use rdkafka::producer::FutureProducer;
use rdkafka::{Offset, TopicPartitionList};

use super::decode::{decode, Decoded};
use super::{SinkContext, SinkMetrics};
use crate::client::BatchGate;
use crate::config::StreamConfig;
use crate::records::{dead_letter, record_id, OutRecord, SourceRef};
use crate::trace::{TraceParent, TRACEPARENT};
use crate::KafkaError;

/// Fingerprint mixed into the `kompress-id` of the sink's dead letters.
const SINK_FINGERPRINT: u64 = 0x6b6f_6d70_7265_7373;

pub(crate) struct SinkShared {
    pub cfg: StreamConfig,
    pub consumer: Arc<StreamConsumer<SinkContext>>,
    pub producer: FutureProducer,
    pub store: Arc<dyn MemoryStore>,
    pub metrics: Arc<SinkMetrics>,
    pub gate: Arc<BatchGate>,
    /// Artificial time per batch (tests and benchmarks stand in for a slow store with it).
    pub batch_delay: Duration,
}

struct GateGuard(Arc<BatchGate>);

impl Drop for GateGuard {
    fn drop(&mut self) {
        self.0.leave();
    }
}

/// Backoff that doubles from `retry_initial_ms` up to `retry_max_ms`.
struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    fn new(cfg: &StreamConfig) -> Self {
        Backoff {
            next: Duration::from_millis(cfg.memory_sink.retry_initial_ms),
            max: Duration::from_millis(cfg.memory_sink.retry_max_ms),
        }
    }

    async fn wait(&mut self) {
        tokio::time::sleep(self.next).await;
        self.next = (self.next * 2).min(self.max);
    }
}

/// Handles one batch (messages in offset order within each partition). Returns how many
/// messages had their offsets stored. Called with the gate entered.
pub(crate) async fn deliver_batch(
    shared: Arc<SinkShared>,
    batch: Vec<OwnedMessage>,
) -> Result<usize, KafkaError> {
    let _guard = GateGuard(shared.gate.clone());
    let m = &shared.metrics;
    let now = kompress_memory::now_millis();
    let mut records = Vec::with_capacity(batch.len());
    let mut dead = Vec::new();
    for msg in &batch {
        match decode(msg.payload(), msg.timestamp().to_millis(), now) {
            Decoded::Store(r) => records.push(*r),
            Decoded::Skip => {
                m.skipped.fetch_add(1, Ordering::Relaxed);
            }
            Decoded::Dead(reason) => {
                tracing::warn!(
                    partition = msg.partition(),
                    offset = msg.offset(),
                    reason = reason.kind(),
                    "memory record dead-lettered: {}",
                    reason.detail()
                );
                dead.push(dead_letter_for(&shared.cfg.topics.dlq, msg, &reason));
            }
        }
    }
    if !records.is_empty() {
        let (report, rejected) = store_until_ok(&shared, records).await;
        m.inserted
            .fetch_add(report.inserted as u64, Ordering::Relaxed);
        m.already_present
            .fetch_add(report.already_present as u64, Ordering::Relaxed);
        for (r, e) in rejected {
            let Some(msg) = batch.iter().find(|msg| carries(msg, &r)) else {
                continue;
            };
            let reason = crate::envelope::DeadLetterReason::InvalidRecord {
                detail: e.to_string(),
            };
            dead.push(dead_letter_for(&shared.cfg.topics.dlq, msg, &reason));
        }
    }
    if !shared.batch_delay.is_zero() {
        // Between the store's Ok and the commit: a crash here redelivers stored records.
        tokio::time::sleep(shared.batch_delay).await;
    }
    if !dead.is_empty() {
        produce_until_acked(&shared, &dead).await;
        m.dead_letters
            .fetch_add(dead.len() as u64, Ordering::Relaxed);
    }
    store_offsets(&shared, &batch);
    m.batches.fetch_add(1, Ordering::Relaxed);
    m.committed.fetch_add(batch.len() as u64, Ordering::Relaxed);
    Ok(batch.len())
}

/// Whether `msg` is the message `r` was decoded from (only used for the rare records the
/// store refuses after the sink's own checks passed).
fn carries(msg: &OwnedMessage, r: &MemoryRecord) -> bool {
    matches!(decode(msg.payload(), msg.timestamp().to_millis(), 0), Decoded::Store(x) if x.id == r.id)
}

/// Puts the records, retrying every failure with backoff until the store says Ok. A batch
/// the store refuses as invalid (which the sink's checks should have prevented) is put one
/// record at a time, and the refused records come back to be dead-lettered.
async fn store_until_ok(
    shared: &SinkShared,
    records: Vec<MemoryRecord>,
) -> (PutReport, Vec<(MemoryRecord, MemoryError)>) {
    match put_retrying(shared, records.clone()).await {
        Ok(report) => (report, Vec::new()),
        Err(e) => {
            tracing::warn!("store refused the batch ({e}); storing its records one by one");
            let mut report = PutReport::default();
            let mut rejected = Vec::new();
            for r in records {
                match put_retrying(shared, vec![r.clone()]).await {
                    Ok(one) => report.merge(one),
                    Err(e) => rejected.push((r, e)),
                }
            }
            (report, rejected)
        }
    }
}

/// Retries every error except `InvalidRecord` (the data is wrong, not the store).
async fn put_retrying(
    shared: &SinkShared,
    records: Vec<MemoryRecord>,
) -> Result<PutReport, MemoryError> {
    let mut backoff = Backoff::new(&shared.cfg);
    loop {
        match put_batch_async(shared.store.clone(), records.clone()).await {
            Ok(report) => return Ok(report),
            Err(e @ MemoryError::InvalidRecord { .. }) => return Err(e),
            Err(e) => {
                shared.metrics.store_retries.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    records = records.len(),
                    "store write failed, retrying: {}",
                    error_chain(&e)
                );
                backoff.wait().await;
            }
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Produces the dead letters and waits for every acknowledgement; failed ones are sent
/// again, with backoff, until all are acknowledged.
async fn produce_until_acked(shared: &SinkShared, dead: &[OutRecord]) {
    let mut backoff = Backoff::new(&shared.cfg);
    let mut pending: Vec<&OutRecord> = dead.iter().collect();
    while !pending.is_empty() {
        let mut failed = Vec::new();
        let mut futs = Vec::with_capacity(pending.len());
        for rec in &pending {
            match crate::batch::enqueue(&shared.producer, rec).await {
                Ok(f) => futs.push((*rec, f)),
                Err(e) => {
                    tracing::warn!("dead letter not enqueued, retrying: {e}");
                    failed.push(*rec);
                }
            }
        }
        for (rec, f) in futs {
            match f.await {
                Ok(Ok(_)) => {}
                Ok(Err((e, _))) => {
                    tracing::warn!("dead letter not acknowledged, retrying: {e}");
                    failed.push(rec);
                }
                Err(_) => failed.push(rec),
            }
        }
        if !failed.is_empty() {
            shared.metrics.dlq_retries.fetch_add(1, Ordering::Relaxed);
            backoff.wait().await;
        }
        pending = failed;
    }
}

fn dead_letter_for(
    dlq: &str,
    msg: &OwnedMessage,
    reason: &crate::envelope::DeadLetterReason,
) -> OutRecord {
    let trace = msg
        .headers()
        .and_then(|h| {
            h.iter()
                .find(|h| h.key == TRACEPARENT)
                .and_then(|h| h.value)
        })
        .and_then(TraceParent::parse)
        .map_or_else(TraceParent::new_root, |t| t.child());
    let src = SourceRef {
        topic: msg.topic().to_string(),
        partition: msg.partition(),
        offset: msg.offset(),
    };
    let id = record_id(msg.key(), msg.partition(), msg.offset(), SINK_FINGERPRINT);
    dead_letter(
        dlq,
        msg.key(),
        msg.payload().unwrap_or(&[]),
        &src,
        reason,
        &id,
        &trace,
    )
}

/// Stores offset+1 of the last message of each partition, then commits asynchronously (a
/// lost async commit only means a redelivery, which the idempotent store absorbs; the final
/// commit on shutdown and on revocation is synchronous).
fn store_offsets(shared: &SinkShared, batch: &[OwnedMessage]) {
    let mut last: BTreeMap<(&str, i32), i64> = BTreeMap::new();
    for msg in batch {
        let e = last.entry((msg.topic(), msg.partition())).or_insert(-1);
        *e = (*e).max(msg.offset());
    }
    let mut tpl = TopicPartitionList::new();
    for ((topic, p), o) in last {
        if let Err(e) = tpl.add_partition_offset(topic, p, Offset::Offset(o + 1)) {
            tracing::warn!(partition = p, "offset list: {e}");
        }
    }
    if let Err(e) = shared.consumer.store_offsets(&tpl) {
        // The partition was revoked meanwhile: its new owner gets these records again and
        // stores nothing twice.
        tracing::warn!("storing offsets failed (partition revoked?): {e}");
        return;
    }
    if let Err(e) = shared.consumer.commit_consumer_state(CommitMode::Async) {
        tracing::debug!("async commit: {e}");
    }
}
