//! librdkafka client settings derived from the typed config, plus the consumer context that
//! makes a rebalance wait for the batch in flight and commit before partitions move.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::ClientConfig;
use rdkafka::ClientContext;

use crate::config::{Delivery, StreamConfig};
use crate::KafkaError;

/// Tracks whether a batch is in flight, and counts revocations so the processor can drop
/// buffered messages of partitions it may no longer own.
#[derive(Default)]
pub struct BatchGate {
    in_flight: Mutex<bool>,
    idle: Condvar,
    epoch: AtomicU64,
}

impl BatchGate {
    pub fn enter(&self) {
        *self.in_flight.lock().unwrap_or_else(|e| e.into_inner()) = true;
    }

    pub fn leave(&self) {
        *self.in_flight.lock().unwrap_or_else(|e| e.into_inner()) = false;
        self.idle.notify_all();
    }

    /// Blocks until no batch is in flight, at most `timeout`. Returns false on timeout.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let guard = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        let (g, res) = self
            .idle
            .wait_timeout_while(guard, timeout, |busy| *busy)
            .unwrap_or_else(|e| e.into_inner());
        drop(g);
        !res.timed_out()
    }

    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// Marks a revocation: buffered messages of the old assignment must be dropped.
    pub fn bump_epoch(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }
}

pub struct ProcessorContext {
    pub gate: Arc<BatchGate>,
    pub metrics: Arc<crate::Metrics>,
    pub delivery: Delivery,
    pub drain: Duration,
}

impl ClientContext for ProcessorContext {}

impl ConsumerContext for ProcessorContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(tpl) = rebalance {
            // The batch in flight owns offsets of these partitions: let it commit first.
            if !self.gate.wait_idle(self.drain) {
                tracing::warn!("rebalance: batch still in flight after {:?}", self.drain);
            }
            self.gate.bump_epoch();
            if self.delivery == Delivery::AtLeastOnce && tpl.count() > 0 {
                if let Err(e) = consumer.commit_consumer_state(CommitMode::Sync) {
                    tracing::debug!("commit on revoke: {e}");
                }
            }
            self.metrics.assigned.store(0, Ordering::Relaxed);
            self.metrics.rebalances.fetch_add(1, Ordering::Relaxed);
            tracing::info!(partitions = tpl.count(), "partitions revoked");
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(tpl) = rebalance {
            // librdkafka keeps a partition's pause across a revoke and re-assignment, while
            // the processor dropped its buffers and pause bookkeeping on the revoke: a
            // partition paused before the rebalance would never be resumed (a silent stall,
            // seen after a broker loss moved the group coordinator). Start them all flowing.
            if tpl.count() > 0 {
                if let Err(e) = consumer.resume(tpl) {
                    tracing::warn!("resume after assignment: {e}");
                }
            }
            self.metrics
                .assigned
                .store(tpl.count() as u64, Ordering::Relaxed);
            tracing::info!(partitions = tpl.count(), "partitions assigned");
        }
    }
}

pub fn consumer_config(cfg: &StreamConfig) -> ClientConfig {
    let mut c = ClientConfig::new();
    for (k, v) in &cfg.kafka.client_options {
        c.set(k, v);
    }
    c.set("bootstrap.servers", &cfg.kafka.bootstrap_servers)
        .set("group.id", &cfg.kafka.group_id)
        .set(
            "session.timeout.ms",
            cfg.kafka.session_timeout_ms.to_string(),
        )
        .set("auto.offset.reset", "earliest")
        .set("isolation.level", "read_committed")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "false");
    match cfg.processing.delivery {
        // Offsets travel inside the transaction; the consumer never commits by itself.
        Delivery::ExactlyOnce => c.set("enable.auto.commit", "false"),
        Delivery::AtLeastOnce => c
            .set("enable.auto.commit", "true")
            .set("auto.commit.interval.ms", "1000"),
    };
    if !cfg
        .kafka
        .client_options
        .contains_key("queued.max.messages.kbytes")
    {
        // Bound librdkafka's prefetch so a slow pipeline does not grow memory there either.
        c.set("queued.max.messages.kbytes", "8192");
    }
    c
}

pub fn producer_config(cfg: &StreamConfig) -> ClientConfig {
    let mut c = ClientConfig::new();
    for (k, v) in &cfg.kafka.client_options {
        c.set(k, v);
    }
    c.set("bootstrap.servers", &cfg.kafka.bootstrap_servers)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        // Room for dead letters of oversized inputs (up to what the input topic accepted) and
        // for outputs, which carry metadata on top of their input.
        .set(
            "message.max.bytes",
            (cfg.processing.max_message_bytes * 2 + (1 << 20)).to_string(),
        );
    if !cfg.kafka.client_options.contains_key("compression.type") {
        c.set("compression.type", "zstd");
    }
    if !cfg.kafka.client_options.contains_key("linger.ms") {
        c.set("linger.ms", "5");
    }
    if cfg.processing.delivery == Delivery::ExactlyOnce {
        c.set("transactional.id", cfg.transactional_id()).set(
            "transaction.timeout.ms",
            cfg.kafka.transaction_timeout_ms.to_string(),
        );
    }
    c
}

/// Client errors other than fatal ones (fenced producer, fatal idempotence state) are worth
/// a rewind and retry; compression that keeps failing and config errors are not.
pub(crate) fn recoverable(e: &KafkaError) -> bool {
    match e {
        KafkaError::Client { source, .. } => !is_fatal(source),
        _ => false,
    }
}

pub(crate) fn is_fatal(e: &rdkafka::error::KafkaError) -> bool {
    if let rdkafka::error::KafkaError::Transaction(t) = e {
        if t.is_fatal() {
            return true;
        }
    }
    use rdkafka::error::KafkaError as K;
    matches!(e, K::MessageConsumptionFatal(_))
        || e.rdkafka_error_code() == Some(rdkafka::types::RDKafkaErrorCode::Fatal)
}
