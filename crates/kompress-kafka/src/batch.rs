//! One batch: validate and compress each record, produce every resulting record in input
//! order, then commit the input offsets (inside the transaction in exactly-once mode, or
//! stored for the next commit once everything is acknowledged in at-least-once mode).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::message::{Header, Headers, Message, OwnedHeaders, OwnedMessage};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};
use tracing::Instrument;

use crate::transform::{transform_record, TransformCtx};

use crate::client::{BatchGate, ProcessorContext};
use crate::config::{Delivery, StreamConfig};
use crate::records::{OutRecord, SourceRef};
use crate::trace::{TraceParent, TRACEPARENT};
use crate::txn;
use crate::{KafkaError, Metrics, TranscriptCompressor};

pub(crate) struct Shared {
    pub cfg: StreamConfig,
    pub fingerprint: u64,
    pub consumer: Arc<StreamConsumer<ProcessorContext>>,
    pub producer: FutureProducer,
    pub compressor: Arc<dyn TranscriptCompressor>,
    pub metrics: Arc<Metrics>,
    pub gate: Arc<BatchGate>,
}

/// Marks the batch finished when dropped, whatever way the task ends, so a rebalance that
/// waits for it never waits for nothing.
struct GateGuard(Arc<BatchGate>);

impl Drop for GateGuard {
    fn drop(&mut self) {
        self.0.leave();
    }
}

pub(crate) async fn process_batch(
    shared: Arc<Shared>,
    batch: Vec<OwnedMessage>,
) -> Result<usize, KafkaError> {
    let _guard = GateGuard(shared.gate.clone());
    let n = batch.len();
    let span = tracing::info_span!("batch", messages = n);
    async {
        let conc = shared.cfg.processing.concurrency;
        let batch = Arc::new(batch);
        let produced: Vec<Vec<OutRecord>> = futures::stream::iter(0..n)
            .map(|i| {
                let (s, b) = (shared.clone(), batch.clone());
                async move { transform(&s, &b[i]).await }
            })
            .buffered(conc)
            .try_collect()
            .await?;
        let eos = shared.cfg.processing.delivery == Delivery::ExactlyOnce;
        let t = Duration::from_millis(shared.cfg.kafka.transaction_timeout_ms);
        if eos {
            let p = shared.producer.clone();
            txn::call("begin_transaction", t + txn::MARGIN, move || {
                p.begin_transaction()
            })
            .await?;
        }
        let result = produce_and_commit(&shared, &batch, produced).await;
        if let Err(e) = &result {
            tracing::warn!("batch failed: {e}");
            // A stuck producer is replaced, and its successor's init_transactions aborts this
            // transaction; asking the stuck one to abort would only wait again.
            if eos && !matches!(e, KafkaError::TxnStuck { .. }) {
                let p = shared.producer.clone();
                // a timed-out abort is resumed by calling it again (retriable)
                if let Err(abort) =
                    txn::call_retrying("abort_transaction", t, move || p.abort_transaction(t)).await
                {
                    // the transaction may still be open: the producer is replaced
                    tracing::warn!("abort failed: {abort}");
                    return Err(abort);
                }
            }
        }
        result.map(|_| n)
    }
    .instrument(span)
    .await
}

async fn produce_and_commit(
    shared: &Shared,
    batch: &[OwnedMessage],
    produced: Vec<Vec<OutRecord>>,
) -> Result<(), KafkaError> {
    let span = tracing::info_span!(
        "produce",
        records = produced.iter().map(Vec::len).sum::<usize>()
    );
    async {
        let mut pending = Vec::new();
        for rec in produced.iter().flatten() {
            pending.push(enqueue(&shared.producer, rec).await?);
        }
        for (rec, fut) in produced.iter().flatten().zip(pending) {
            match fut.await {
                Ok(Ok(_)) => shared
                    .metrics
                    .count_produced(&rec.topic, &shared.cfg.topics),
                Ok(Err((e, _))) => {
                    return Err(KafkaError::Client {
                        stage: "delivery",
                        source: e,
                    })
                }
                Err(_) => {
                    return Err(KafkaError::Client {
                        stage: "delivery",
                        source: rdkafka::error::KafkaError::Canceled,
                    })
                }
            }
        }
        Ok::<_, KafkaError>(())
    }
    .instrument(span)
    .await?;

    let mut next: BTreeMap<i32, i64> = BTreeMap::new();
    for m in batch {
        let e = next.entry(m.partition()).or_insert(0);
        *e = (*e).max(m.offset() + 1);
    }
    let mut tpl = TopicPartitionList::new();
    for (p, o) in &next {
        tpl.add_partition_offset(&shared.cfg.topics.input, *p, Offset::Offset(*o))
            .map_err(KafkaError::client("offsets"))?;
    }
    let span = tracing::info_span!("commit", partitions = next.len());
    let _e = span.enter();
    match shared.cfg.processing.delivery {
        Delivery::ExactlyOnce => {
            let cgm = shared
                .consumer
                .group_metadata()
                .ok_or_else(|| KafkaError::Client {
                    stage: "group_metadata",
                    source: rdkafka::error::KafkaError::Canceled,
                })?;
            let t = Duration::from_millis(shared.cfg.kafka.transaction_timeout_ms);
            let p = shared.producer.clone();
            txn::call_retrying("send_offsets_to_transaction", t, move || {
                p.send_offsets_to_transaction(&tpl, &cgm, t)
            })
            .await?;
            let p = shared.producer.clone();
            txn::call_retrying("commit_transaction", t, move || p.commit_transaction(t)).await?;
        }
        Delivery::AtLeastOnce => {
            // Every record of every message in this batch is acknowledged: store the offsets.
            // A partition revoked meanwhile refuses the store, and its new owner redelivers.
            if let Err(e) = shared.consumer.store_offsets(&tpl) {
                tracing::debug!("store offsets: {e}");
            }
        }
    }
    shared.metrics.count_batch(batch.len());
    Ok(())
}

pub(crate) async fn enqueue(
    producer: &FutureProducer,
    rec: &OutRecord,
) -> Result<rdkafka::producer::DeliveryFuture, KafkaError> {
    let mut headers = OwnedHeaders::new_with_capacity(rec.headers.len());
    for (k, v) in &rec.headers {
        headers = headers.insert(Header {
            key: k,
            value: Some(v),
        });
    }
    let mut record = FutureRecord::<[u8], [u8]>::to(&rec.topic)
        .payload(&rec.payload)
        .headers(headers);
    if let Some(k) = &rec.key {
        record = record.key(k);
    }
    loop {
        match producer.send_result(record) {
            Ok(f) => return Ok(f),
            Err((
                rdkafka::error::KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull),
                r,
            )) => {
                // Producer backpressure: wait for the queue to drain, keep the order.
                record = r;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            Err((e, _)) => {
                return Err(KafkaError::Client {
                    stage: "produce",
                    source: e,
                })
            }
        }
    }
}

/// Turns one consumed record into the records to produce.
async fn transform(shared: &Shared, m: &OwnedMessage) -> Result<Vec<OutRecord>, KafkaError> {
    let parent = m
        .headers()
        .and_then(|h| {
            h.iter()
                .find(|h| h.key == TRACEPARENT)
                .and_then(|h| h.value)
        })
        .and_then(TraceParent::parse);
    let cfg = &shared.cfg;
    let ctx = TransformCtx {
        compressor: shared.compressor.as_ref(),
        compression: &cfg.compression,
        max_message_bytes: cfg.processing.max_message_bytes,
        attempts: cfg.processing.compress_attempts,
        fingerprint: shared.fingerprint,
        output: &cfg.topics.output,
        memory: &cfg.topics.memory,
        dlq: &cfg.topics.dlq,
    };
    let src = SourceRef {
        topic: m.topic().to_string(),
        partition: m.partition(),
        offset: m.offset(),
    };
    // one span per record, parented on the producer's `traceparent` when OpenTelemetry is on
    let span = tracing::info_span!(
        "kafka.record",
        otel.kind = "consumer",
        topic = m.topic(),
        partition = m.partition(),
        offset = m.offset()
    );
    if let Some(tp) = parent.as_ref() {
        kompress_telemetry::set_remote_parent(&span, &tp.header_value(), None);
    }
    transform_record(&ctx, m.key(), m.payload().unwrap_or(&[]), src, parent)
        .instrument(span)
        .await
}
