//! One trace from producer to output across Kafka: a record carrying a W3C `traceparent`
//! header goes through the processor (real broker, real actor pipeline) with OpenTelemetry
//! export pointed at an in-process OTLP/HTTP collector; the record span joins the producer's
//! trace, every pipeline stage span links up to it, and the output's `traceparent` names it.
//! One test per binary: telemetry installs the process-wide subscriber.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use kompress_kafka::{Delivery, PipelineCompressor};
use kompress_telemetry::{LogFormat, TelemetryConfig};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message as _;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::FutureRecord;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PRODUCER_SPAN: &str = "00f067aa0ba902b7";

type Received = Arc<Mutex<Vec<Span>>>;

/// A minimal blocking OTLP/HTTP receiver: reads each request's body by Content-Length,
/// decodes it as an `ExportTraceServiceRequest` and answers 200 with an empty body.
fn start_collector(got: Received) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("collector binds");
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            loop {
                let mut len = 0usize;
                let mut line = String::new();
                let mut saw_request = false;
                while reader.read_line(&mut line).unwrap_or(0) > 0 {
                    saw_request = true;
                    let l = line.trim_end().to_ascii_lowercase();
                    if l.is_empty() {
                        break;
                    }
                    if let Some(v) = l.strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                    line.clear();
                }
                if !saw_request {
                    break;
                }
                let mut body = vec![0u8; len];
                if reader.read_exact(&mut body).is_err() {
                    break;
                }
                if let Ok(req) = ExportTraceServiceRequest::decode(body.as_slice()) {
                    let spans = req
                        .resource_spans
                        .into_iter()
                        .flat_map(|r| r.scope_spans)
                        .flat_map(|s| s.spans);
                    got.lock().unwrap().extend(spans);
                }
                let out = reader.get_mut();
                let _ = out.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n",
                );
            }
        }
    });
    format!("http://{addr}")
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn record_and_stage_spans_join_the_producers_trace_and_the_output_names_the_record_span() {
    let Some(b) = bootstrap("stream_otel") else {
        return;
    };
    let got: Received = Arc::default();
    let guard = kompress_telemetry::init_as(
        &TelemetryConfig {
            otlp_endpoint: Some(start_collector(got.clone())),
            log_format: LogFormat::Off,
            ..Default::default()
        },
        "kompress-stream-test",
    )
    .expect("telemetry installs");

    let t = make_topics(&b, "otel", 1, 1).await;
    let payload = envelope(1, 40);
    let tp = format!("00-{TRACE_ID}-{PRODUCER_SPAN}-01");
    producer(&b)
        .send(
            FutureRecord::to(&t.input)
                .key("k1")
                .payload(&payload)
                .headers(OwnedHeaders::new().insert(Header {
                    key: "traceparent",
                    value: Some(&tp),
                })),
            Duration::from_secs(10),
        )
        .await
        .expect("produced");
    let pipeline = kompress_pipeline::Pipeline::start(Default::default()).unwrap();
    let (stop, _, h) = spawn_processor(
        config(&b, &t, Delivery::ExactlyOnce),
        Arc::new(PipelineCompressor::new(pipeline)),
    );
    let outs = tokio::task::spawn_blocking({
        let (b, o) = (b.clone(), t.output.clone());
        move || read_topic(&b, &o, true, 1, Duration::from_secs(60))
    })
    .await
    .unwrap();
    let _ = stop.send(());
    h.await.unwrap().expect("processor ran and drained");
    assert_eq!(outs.len(), 1, "one committed output");
    guard.flush().expect("spans flushed to the collector");

    let spans = got.lock().unwrap().clone();
    let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
    let record = spans
        .iter()
        .find(|s| s.name == "kafka.record")
        .unwrap_or_else(|| panic!("no kafka.record span among {names:?}"));
    assert_eq!(
        hex(&record.trace_id),
        TRACE_ID,
        "record joins the producer's trace"
    );
    assert_eq!(
        hex(&record.parent_span_id),
        PRODUCER_SPAN,
        "the producer's span is the record's parent"
    );
    let record_id = hex(&record.span_id);
    let out_tp = header(&outs[0], "traceparent").expect("output carries traceparent");
    assert_eq!(
        out_tp,
        format!("00-{TRACE_ID}-{record_id}-01"),
        "the output's traceparent names the exported record span"
    );

    let by_id: HashMap<String, &Span> = spans.iter().map(|s| (hex(&s.span_id), s)).collect();
    let under_record = |s: &Span| {
        let mut parent = hex(&s.parent_span_id);
        for _ in 0..16 {
            if parent == record_id {
                return true;
            }
            match by_id.get(&parent) {
                Some(p) => parent = hex(&p.parent_span_id),
                None => return false,
            }
        }
        false
    };
    for stage in ["tokenize", "prune", "floor", "gate", "rewrite"] {
        let found: Vec<&Span> = spans.iter().filter(|s| s.name == stage).collect();
        assert!(!found.is_empty(), "no {stage} span among {names:?}");
        for s in found {
            assert_eq!(hex(&s.trace_id), TRACE_ID, "{stage} span in the trace");
            assert!(under_record(s), "{stage} span links up to the record span");
        }
    }
    guard.shutdown().expect("exporter shuts down");
}
