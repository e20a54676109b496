//! What the processor does when the compressor fails: input failures become dead letters,
//! internal failures are retried, and a failure that persists stops the processor without
//! committing, so nothing is lost or dead-lettered by mistake.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use common::*;
use kompress_core::{CompressionConfig, Format};
use kompress_kafka::{
    CompressFailure, Compressed, Delivery, KafkaError, LineSampler, TranscriptCompressor,
};

/// Fails internally `fail_first` times in total, rejects transcripts whose id ends in "x" as
/// bad input, otherwise samples lines.
struct Flaky {
    fail_first: u32,
    calls: AtomicU32,
}

#[async_trait]
impl TranscriptCompressor for Flaky {
    async fn compress(
        &self,
        id: &str,
        f: Format,
        raw: String,
        c: &CompressionConfig,
    ) -> Result<Compressed, CompressFailure> {
        if self.calls.fetch_add(1, Ordering::SeqCst) < self.fail_first {
            return Err(CompressFailure::Internal {
                detail: "model worker crashed".into(),
            });
        }
        if id.ends_with('x') {
            return Err(CompressFailure::Input {
                kind: "unknown_role".into(),
                detail: "role \"robot\"".into(),
            });
        }
        LineSampler::default().compress(id, f, raw, c).await
    }

    fn name(&self) -> &'static str {
        "flaky"
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn internal_failures_are_retried_and_input_failures_are_dead_lettered() {
    let Some(b) = bootstrap("compress_failures_retried") else {
        return;
    };
    let t = make_topics(&b, "flaky", 1, 1).await;
    let mut inputs: Vec<(String, Vec<u8>)> = (0..10)
        .map(|i| (format!("k{i}"), envelope(i, 5).into_bytes()))
        .collect();
    inputs.push((
        "bad".into(),
        envelope(7, 3).replace("\"t7\"", "\"t7x\"").into_bytes(),
    ));
    produce(&producer(&b), &t.input, &inputs).await;
    let mut cfg = config(&b, &t, Delivery::ExactlyOnce);
    cfg.processing.compress_attempts = 3;
    cfg.processing.concurrency = 1;
    let (stop, _m, h) = spawn_processor(
        cfg,
        Arc::new(Flaky {
            fail_first: 2,
            calls: AtomicU32::new(0),
        }),
    );
    let outs = read_topic(&b, &t.output, true, 10, Duration::from_secs(30));
    let dlq = read_topic(&b, &t.dlq, true, 1, Duration::from_secs(10));
    let _ = stop.send(());
    h.await.unwrap().expect("processor drained");
    assert_eq!(
        outputs_by_transcript(&outs).len(),
        10,
        "the retried transcript came through once"
    );
    assert_eq!(outs.len(), 10);
    assert_eq!(dlq.len(), 1);
    assert_eq!(
        header(&dlq[0], "kompress-dlq-reason").as_deref(),
        Some("compress_input")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_persistent_internal_failure_stops_the_processor_without_committing() {
    let Some(b) = bootstrap("compress_failure_stops") else {
        return;
    };
    let t = make_topics(&b, "stuck", 1, 1).await;
    let inputs: Vec<(String, Vec<u8>)> = (0..5)
        .map(|i| (format!("k{i}"), envelope(i, 5).into_bytes()))
        .collect();
    produce(&producer(&b), &t.input, &inputs).await;
    let mut cfg = config(&b, &t, Delivery::ExactlyOnce);
    cfg.processing.compress_attempts = 2;
    let (_stop, _m, h) = spawn_processor(
        cfg.clone(),
        Arc::new(Flaky {
            fail_first: u32::MAX,
            calls: AtomicU32::new(0),
        }),
    );
    let err = tokio::time::timeout(Duration::from_secs(30), h)
        .await
        .expect("stops by itself")
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(err, KafkaError::Compress { attempts: 2, .. }),
        "{err}"
    );
    assert_eq!(
        committed_offsets(&b, &t.group, &t.input, 1),
        vec![0],
        "nothing committed"
    );
    assert!(
        read_topic(&b, &t.dlq, true, 1, Duration::from_secs(2)).is_empty(),
        "nothing dead-lettered"
    );
    // A healthy restart processes everything the failed one left.
    let (stop, _m, h) = spawn_processor(cfg, Arc::new(LineSampler::default()));
    let outs = read_topic(&b, &t.output, true, 5, Duration::from_secs(30));
    let _ = stop.send(());
    h.await.unwrap().expect("processor drained");
    assert_eq!(outs.len(), 5);
}
