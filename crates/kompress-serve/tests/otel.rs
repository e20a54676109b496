//! OpenTelemetry export end to end: an in-process OTLP/HTTP collector (a real actix-web
//! server decoding protobuf `ExportTraceServiceRequest`s on /v1/traces), the service with
//! `kompress_telemetry::init` pointed at it, and a real `POST /v1/compress` carrying a W3C
//! `traceparent`. One test per binary: `init` installs the process-wide subscriber.

mod common;

use std::collections::HashMap;
use std::sync::{mpsc, Arc, Mutex};

use actix_web::{web, App, HttpResponse, HttpServer};
use common::*;
use kompress_serve::ServeConfig;
use kompress_telemetry::{LogFormat, TelemetryConfig};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;

const TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";
const CALLER_SPAN: &str = "b7ad6b7169203331";

type Received = Arc<Mutex<Vec<Span>>>;

async fn receive(body: web::Bytes, got: web::Data<Received>) -> HttpResponse {
    match ExportTraceServiceRequest::decode(body) {
        Ok(req) => {
            let spans = req
                .resource_spans
                .into_iter()
                .flat_map(|r| r.scope_spans)
                .flat_map(|s| s.spans);
            got.lock().expect("collector lock").extend(spans);
            HttpResponse::Ok()
                .content_type("application/x-protobuf")
                .body(ExportTraceServiceResponse::default().encode_to_vec())
        }
        Err(e) => HttpResponse::BadRequest().body(e.to_string()),
    }
}

/// Starts the collector on its own thread and actix system; returns its base URL.
fn start_collector(got: Received) -> String {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let data = web::Data::new(got);
            let srv = HttpServer::new(move || {
                App::new()
                    .app_data(data.clone())
                    .app_data(web::PayloadConfig::new(64 << 20))
                    .route("/v1/traces", web::post().to(receive))
            })
            .workers(1)
            .bind("127.0.0.1:0")
            .expect("collector binds");
            tx.send(srv.addrs()[0]).expect("address sent");
            srv.run().await.expect("collector runs");
        })
    });
    format!("http://{}", rx.recv().expect("collector address"))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn compress_request_and_stage_spans_reach_the_collector_in_the_callers_trace() {
    let got: Received = Arc::default();
    let endpoint = start_collector(got.clone());
    let guard = kompress_telemetry::init(&TelemetryConfig {
        otlp_endpoint: Some(endpoint),
        service_name: Some("kompress-test".into()),
        log_format: LogFormat::Off,
        ..Default::default()
    })
    .expect("telemetry installs");
    assert!(guard
        .traces_url()
        .is_some_and(|u| u.ends_with("/v1/traces")));

    let status = actix_web::rt::System::new().block_on(async {
        let b = serve(ServeConfig::default());
        let resp = awc::Client::default()
            .post(url(&b, "/v1/compress"))
            .insert_header(("content-type", "application/json"))
            .insert_header(("traceparent", format!("00-{TRACE_ID}-{CALLER_SPAN}-01")))
            .send_body(serde_json::json!({"text": tool_log(7)}).to_string())
            .await
            .expect("request");
        b.handle.stop(true).await;
        resp.status().as_u16()
    });
    assert_eq!(status, 200);
    // every span of the request closed before its response was written: export them now
    guard.flush().expect("spans flushed to the collector");

    let spans = got.lock().expect("collector lock").clone();
    let by_id: HashMap<String, &Span> = spans.iter().map(|s| (hex(&s.span_id), s)).collect();
    let request = spans
        .iter()
        .find(|s| s.name == "POST /v1/compress")
        .unwrap_or_else(|| {
            let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
            panic!("no request span among {names:?}")
        });
    assert_eq!(
        hex(&request.trace_id),
        TRACE_ID,
        "request joins the caller's trace"
    );
    assert_eq!(
        hex(&request.parent_span_id),
        CALLER_SPAN,
        "the caller's span is the request's parent"
    );
    let request_id = hex(&request.span_id);

    // walks parent links inside the exported spans; true when they lead to the request span
    let under_request = |s: &Span| {
        let mut parent = hex(&s.parent_span_id);
        for _ in 0..16 {
            if parent == request_id {
                return true;
            }
            match by_id.get(&parent) {
                Some(p) => parent = hex(&p.parent_span_id),
                None => return false,
            }
        }
        false
    };
    for stage in ["compress", "tokenize", "prune", "floor", "gate", "rewrite"] {
        let found: Vec<&Span> = spans.iter().filter(|s| s.name == stage).collect();
        assert!(!found.is_empty(), "no {stage} span exported");
        for s in found {
            assert_eq!(
                hex(&s.trace_id),
                TRACE_ID,
                "{stage} span is in the caller's trace"
            );
            assert!(
                under_request(s),
                "{stage} span's parent links lead to the request span"
            );
        }
    }
    guard.shutdown().expect("exporter shuts down");
}
