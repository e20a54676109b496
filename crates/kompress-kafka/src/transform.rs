//! One input record to the records it becomes: validate, compress (retrying internal
//! failures), build the output and eviction records, or a dead letter. Shared by the stream
//! processor and the recompression job.

use std::time::Duration;

use kompress_core::CompressionConfig;
use tracing::Instrument;

use crate::envelope::{self, DeadLetterReason};
use crate::records::{compressed_records, dead_letter, record_id, OutRecord, SourceRef};
use crate::trace::TraceParent;
use crate::{CompressFailure, KafkaError, TranscriptCompressor};

pub struct TransformCtx<'a> {
    pub compressor: &'a dyn TranscriptCompressor,
    pub compression: &'a CompressionConfig,
    pub max_message_bytes: usize,
    pub attempts: u32,
    pub fingerprint: u64,
    pub output: &'a str,
    pub memory: &'a str,
    pub dlq: &'a str,
}

pub async fn transform_record(
    ctx: &TransformCtx<'_>,
    key: Option<&[u8]>,
    payload: &[u8],
    src: SourceRef,
    parent: Option<TraceParent>,
) -> Result<Vec<OutRecord>, KafkaError> {
    // the header written downstream names the exported record span when OpenTelemetry is
    // on, else a fresh child of the incoming context
    let trace = kompress_telemetry::traceparent_of(&tracing::Span::current())
        .and_then(|tp| TraceParent::parse(tp.as_bytes()))
        .unwrap_or_else(|| parent.unwrap_or_else(TraceParent::new_root).child());
    let id = record_id(key, src.partition, src.offset, ctx.fingerprint);
    let parsed = {
        let _s = tracing::info_span!("validate", trace_id = %trace.trace_id, offset = src.offset)
            .entered();
        envelope::parse(payload, ctx.max_message_bytes, ctx.compression)?
    };
    let env = match parsed {
        Ok(env) => env,
        Err(reason) => {
            tracing::info!(reason = reason.kind(), offset = src.offset, "dead letter");
            return Ok(vec![dead_letter(
                ctx.dlq, key, payload, &src, &reason, &id, &trace,
            )]);
        }
    };
    let attempts = ctx.attempts.max(1);
    let mut last = String::new();
    for attempt in 1..=attempts {
        let span = tracing::info_span!("compress", trace_id = %trace.trace_id,
            transcript_id = %env.transcript_id, compressor = ctx.compressor.name(), attempt);
        let res = ctx
            .compressor
            .compress(
                &env.transcript_id,
                env.format,
                env.messages_json.clone(),
                &env.config,
            )
            .instrument(span)
            .await;
        match res {
            Ok(out) => {
                let name = ctx.compressor.name();
                return compressed_records(
                    &env,
                    key,
                    &src,
                    &out,
                    name,
                    &id,
                    &trace,
                    (ctx.output, ctx.memory),
                )
                .map_err(|e| KafkaError::Compress {
                    transcript_id: env.transcript_id.clone(),
                    attempts: attempt,
                    reason: format!("compressor returned messages that are not JSON: {e}"),
                });
            }
            Err(CompressFailure::Input { kind, detail }) => {
                let reason = DeadLetterReason::CompressInput { kind, detail };
                return Ok(vec![dead_letter(
                    ctx.dlq, key, payload, &src, &reason, &id, &trace,
                )]);
            }
            Err(CompressFailure::Internal { detail }) => {
                tracing::warn!(attempt, "internal compression failure: {detail}");
                last = detail;
                if attempt < attempts {
                    tokio::time::sleep(Duration::from_millis(50u64 << attempt.min(6))).await;
                }
            }
        }
    }
    Err(KafkaError::Compress {
        transcript_id: env.transcript_id,
        attempts,
        reason: last,
    })
}
