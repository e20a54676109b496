//! The processor's core path against the real broker: round trip with lossless restore,
//! dead letters that do not stall their partition, and flow control under a slow pipeline.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use kompress_core::Eviction;
use kompress_kafka::{Delivery, LineSampler, Metrics};
use rdkafka::message::Message;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn round_trip_outputs_restore_byte_exact_with_their_evictions() {
    let Some(b) = bootstrap("round_trip") else {
        return;
    };
    let t = make_topics(&b, "rt", 2, 1).await;
    let inputs: Vec<(String, Vec<u8>)> = (0..40)
        .map(|i| (format!("k{i}"), envelope(i, 3 + i % 9).into_bytes()))
        .collect();
    let p = producer(&b);
    produce(&p, &t.input, &inputs).await;

    let (stop, metrics, h) = spawn_processor(
        config(&b, &t, Delivery::ExactlyOnce),
        Arc::new(LineSampler::default()),
    );
    let outs = tokio::task::spawn_blocking({
        let (b, o) = (b.clone(), t.output.clone());
        move || read_topic(&b, &o, true, 40, Duration::from_secs(60))
    })
    .await
    .unwrap();
    let mems = tokio::task::spawn_blocking({
        let (b, m) = (b.clone(), t.memory.clone());
        move || read_topic(&b, &m, true, usize::MAX, Duration::from_secs(3))
    })
    .await
    .unwrap();
    let _ = stop.send(());
    h.await.unwrap().expect("processor ran and drained");

    assert_eq!(outs.len(), 40, "one committed output per input");
    let mut evictions: Vec<Eviction> = Vec::new();
    for m in &mems {
        let v: serde_json::Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
        assert_eq!(v["tenant"], "acme");
        let key = String::from_utf8(m.key().unwrap().to_vec()).unwrap();
        assert!(
            key.starts_with(&format!("acme/{}/", v["session_id"].as_str().unwrap())),
            "{key}"
        );
        evictions.push(serde_json::from_value(v["eviction"].clone()).unwrap());
    }
    assert!(!evictions.is_empty());
    let (mut input_bytes, mut compressed_bytes) = (0usize, 0usize);
    for m in &outs {
        let key = String::from_utf8(m.key().unwrap().to_vec()).unwrap();
        let input = &inputs
            .iter()
            .find(|(k, _)| *k == key)
            .expect("output keyed like its input")
            .1;
        let input: Raw = serde_json::from_slice(input).unwrap();
        let out: Raw = serde_json::from_slice(m.payload().unwrap()).unwrap();
        let tid = out.transcript_id.as_str();
        let mine: Vec<Eviction> = evictions
            .iter()
            .filter(|e| e.transcript_id == tid)
            .cloned()
            .collect();
        assert_eq!(
            out.kompress["evictions"].as_u64().unwrap() as usize,
            mine.len()
        );
        let restored = kompress_core::restore(out.messages.get(), &mine).unwrap();
        assert_eq!(
            restored,
            input.messages.get(),
            "transcript {tid} restores byte for byte"
        );
        compressed_bytes += out.messages.get().len();
        input_bytes += input.messages.get().len();
        assert!(header(m, "traceparent").is_some());
        assert!(header(m, "kompress-id").is_some());
    }
    assert_eq!(Metrics::get(&metrics.outputs), 40);
    eprintln!("messages bytes: {input_bytes} in, {compressed_bytes} out");
    assert!(
        compressed_bytes < input_bytes,
        "the pipeline compressed something"
    );
}

/// An envelope with its messages kept as the exact bytes.
#[derive(serde::Deserialize)]
struct Raw {
    transcript_id: String,
    messages: Box<serde_json::value::RawValue>,
    #[serde(default)]
    kompress: serde_json::Value,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn poison_messages_go_to_the_dlq_and_the_partition_keeps_flowing() {
    let Some(b) = bootstrap("poison_to_dlq") else {
        return;
    };
    let t = make_topics(&b, "dlq", 1, 1).await;
    let mut cfg = config(&b, &t, Delivery::ExactlyOnce);
    cfg.processing.max_message_bytes = 64 * 1024;
    let mut records: Vec<(String, Vec<u8>)> = Vec::new();
    let bad: Vec<(&str, Vec<u8>)> = vec![
        ("invalid_utf8", b"{\"version\":1,\"tenant\":\"\xff\"}".to_vec()),
        ("malformed_json", b"{\"version\":1,".to_vec()),
        ("schema", br#"{"version":1,"tenant":"a","session_id":"s","transcript_id":"x","messages":[{"content":"no role"}]}"#.to_vec()),
        ("oversized", envelope(999, 5000).into_bytes()),
    ];
    for i in 0..12 {
        records.push((format!("good{i}"), envelope(i, 6).into_bytes()));
        if i % 3 == 0 {
            let (kind, bytes) = &bad[i / 3];
            records.push((format!("bad-{kind}"), bytes.clone()));
        }
    }
    let traceparent_in = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let p = producer(&b);
    produce(&p, &t.input, &records).await;
    // One more record carrying a trace context, to check it is continued.
    let traced_payload = envelope(100, 4);
    let rec = rdkafka::producer::FutureRecord::to(&t.input)
        .key("traced")
        .payload(traced_payload.as_bytes())
        .headers(
            rdkafka::message::OwnedHeaders::new().insert(rdkafka::message::Header {
                key: "traceparent",
                value: Some(traceparent_in),
            }),
        );
    p.send(rec, Duration::from_secs(5)).await.unwrap();

    let (stop, _m, h) = spawn_processor(cfg, Arc::new(LineSampler::default()));
    let (dlq, outs) = tokio::task::spawn_blocking({
        let (b, d, o) = (b.clone(), t.dlq.clone(), t.output.clone());
        move || {
            (
                read_topic(&b, &d, true, 4, Duration::from_secs(60)),
                read_topic(&b, &o, true, 13, Duration::from_secs(30)),
            )
        }
    })
    .await
    .unwrap();
    let _ = stop.send(());
    h.await.unwrap().expect("processor ran and drained");

    assert_eq!(
        outs.len(),
        13,
        "every good record after a poison one was processed"
    );
    assert_eq!(dlq.len(), 4);
    for m in &dlq {
        let key = String::from_utf8(m.key().unwrap().to_vec()).unwrap();
        let kind = key.strip_prefix("bad-").unwrap();
        assert_eq!(header(m, "kompress-dlq-reason").as_deref(), Some(kind));
        assert!(!header(m, "kompress-dlq-detail").unwrap().is_empty());
        let original = &records.iter().find(|(k, _)| *k == key).unwrap().1;
        assert_eq!(
            m.payload().unwrap(),
            original.as_slice(),
            "original bytes kept"
        );
    }
    let traced = outs
        .iter()
        .find(|m| m.key() == Some(b"traced".as_slice()))
        .unwrap();
    let tp = header(traced, "traceparent").unwrap();
    assert!(
        tp.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
        "{tp}"
    );
    assert_ne!(tp, traceparent_in, "a new span id for the processor's span");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slow_pipeline_pauses_partitions_instead_of_buffering_without_bound() {
    let Some(b) = bootstrap("slow_consumer_pauses") else {
        return;
    };
    let t = make_topics(&b, "slow", 2, 1).await;
    let mut cfg = config(&b, &t, Delivery::ExactlyOnce);
    cfg.processing.max_in_flight_per_partition = 8;
    cfg.processing.batch_max_messages = 8;
    cfg.processing.concurrency = 2;
    let inputs: Vec<(String, Vec<u8>)> = (0..200)
        .map(|i| (format!("k{i}"), envelope(i, 4).into_bytes()))
        .collect();
    produce(&producer(&b), &t.input, &inputs).await;
    let slow = Arc::new(LineSampler {
        delay: Duration::from_millis(15),
    });
    let (stop, metrics, h) = spawn_processor(cfg, slow);
    let outs = tokio::task::spawn_blocking({
        let (b, o) = (b.clone(), t.output.clone());
        move || read_topic(&b, &o, true, 200, Duration::from_secs(90))
    })
    .await
    .unwrap();
    let _ = stop.send(());
    h.await.unwrap().expect("processor ran and drained");
    assert_eq!(outs.len(), 200);
    let pauses = Metrics::get(&metrics.pauses);
    let max_buffered = Metrics::get(&metrics.max_buffered);
    eprintln!(
        "pauses={pauses} resumes={} max_buffered={max_buffered}",
        Metrics::get(&metrics.resumes)
    );
    assert!(pauses > 0, "partitions were paused");
    assert!(Metrics::get(&metrics.resumes) > 0, "and resumed");
    // Bound: per partition at most the in-flight limit plus what librdkafka had already
    // handed over before the pause took effect (one fetch's worth).
    assert!(
        max_buffered <= 2 * 8 + 2 * 64,
        "buffer stayed bounded: {max_buffered}"
    );
}
