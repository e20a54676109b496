//! The compress API over real HTTP on 127.0.0.1: round trip, health, metrics, typed errors,
//! limits.

mod common;

use common::held::held_pipeline;
use common::*;
use kompress_serve::ServeConfig;
use serde_json::json;

#[actix_web::test]
async fn text_compresses_and_restores_byte_exact() {
    let b = serve(ServeConfig::default());
    let text = tool_log(1);
    let (status, v) = post(
        &url(&b, "/v1/compress"),
        json!({"text": text, "return_evictions": true}).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let out = v["text"].as_str().unwrap();
    assert!(out.len() < text.len(), "nothing was evicted");
    assert!(
        out.contains("ERROR db-pool-1: connection refused"),
        "the error line is kept"
    );
    let evictions: Vec<kompress_core::Eviction> =
        serde_json::from_value(v["eviction_records"].clone()).unwrap();
    assert_eq!(kompress_core::restore(out, &evictions).unwrap(), text);
    assert!(v["tokens_after"].as_u64().unwrap() < v["tokens_before"].as_u64().unwrap());
}

#[actix_web::test]
async fn messages_compress_tool_results_and_leave_other_messages_alone() {
    let b = serve(ServeConfig::default());
    let msgs = json!([
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "why did it fail?"},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "logs", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": tool_log(2)}
    ]);
    let (status, v) = post(
        &url(&b, "/v1/compress"),
        json!({"messages": msgs, "model": "gpt-x"}).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let out = v["messages"].as_array().unwrap();
    assert_eq!(out[..3], msgs.as_array().unwrap()[..3]);
    assert!(out[3]["content"].as_str().unwrap().len() < tool_log(2).len());
    assert!(v["evictions"].as_u64().unwrap() > 0);
}

#[actix_web::test]
async fn health_ready_and_metrics_answer() {
    let b = serve(ServeConfig::default());
    let c = awc::Client::default();
    assert_eq!(
        c.get(url(&b, "/healthz")).send().await.unwrap().status(),
        200
    );
    assert_eq!(
        c.get(url(&b, "/readyz")).send().await.unwrap().status(),
        200
    );
    post(
        &url(&b, "/v1/compress"),
        json!({"text": tool_log(3)}).to_string(),
    )
    .await;
    post(&url(&b, "/v1/compress"), "{").await;
    let mut r = c.get(url(&b, "/metrics")).send().await.unwrap();
    let text = String::from_utf8(r.body().await.unwrap().to_vec()).unwrap();
    for needle in [
        "kompress_tokens_in_total",
        "kompress_floor_hits_total",
        "kompress_inflight_requests 0",
        "kompress_requests_total{route=\"/v1/compress\",status=\"200\"} 1",
        "kompress_errors_total{kind=\"malformed_json\"} 1",
        "kompress_latency_seconds_bucket{stage=\"pipeline\"",
        "kompress_latency_seconds_count{route=\"/v1/compress\"} 2",
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
}

#[actix_web::test]
async fn errors_are_typed_json_with_a_status_per_kind() {
    let b = serve(ServeConfig {
        max_body_bytes: 64 * 1024,
        ..Default::default()
    });
    let u = url(&b, "/v1/compress");
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (b"{\"text\": ".to_vec(), 400, "malformed_json"),
        (b"{\"text\": \"\xff\xfe\"}".to_vec(), 400, "invalid_utf8"),
        (
            json!({"text": "x", "messages": []})
                .to_string()
                .into_bytes(),
            400,
            "schema",
        ),
        (
            json!({"text": "x".repeat(70 * 1024)})
                .to_string()
                .into_bytes(),
            413,
            "oversized",
        ),
        (
            json!({"messages": [{"role": "wizard", "content": "x"}]})
                .to_string()
                .into_bytes(),
            422,
            "unknown_role",
        ),
        (
            json!({"text": "abc", "config": {"target_ratio": 3.0}})
                .to_string()
                .into_bytes(),
            422,
            "invalid_config",
        ),
    ];
    for (body, status, kind) in cases {
        let (s, v) = post(&u, body).await;
        assert_eq!(
            (s, v["error"]["kind"].as_str().unwrap()),
            (status, kind),
            "{v}"
        );
        assert!(!v["error"]["message"].as_str().unwrap().is_empty());
    }
}

#[actix_web::test]
async fn saturated_service_answers_429_at_once() {
    let b = serve(ServeConfig {
        max_inflight: 1,
        ..Default::default()
    });
    let held = b.state.slot().expect("first slot");
    let (s, v) = post(
        &url(&b, "/v1/compress"),
        json!({"text": tool_log(4)}).to_string(),
    )
    .await;
    assert_eq!(
        (s, v["error"]["kind"].as_str().unwrap()),
        (429, "busy"),
        "{v}"
    );
    drop(held);
    let (s, _) = post(
        &url(&b, "/v1/compress"),
        json!({"text": tool_log(4)}).to_string(),
    )
    .await;
    assert_eq!(s, 200);
}

#[actix_web::test]
async fn shutdown_drains_a_request_in_flight() {
    let (pipeline, mut gate) = held_pipeline();
    let b = serve_with(
        ServeConfig {
            shutdown_timeout_secs: 30,
            ..Default::default()
        },
        pipeline,
    );
    let u = url(&b, "/v1/compress");
    let body = json!({"text": tool_log(5)}).to_string();
    let req = actix_web::rt::spawn(async move { post(&u, body).await });
    gate.entered().await;
    let handle = b.handle.clone();
    let stopping = actix_web::rt::spawn(async move { handle.stop(true).await });
    let health = url(&b, "/healthz");
    let refused_by = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while awc::Client::default().get(&health).send().await.is_ok() {
        assert!(
            std::time::Instant::now() < refused_by,
            "a stopping server still accepts connections"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    gate.release();
    let (s, v) = req.await.unwrap();
    assert_eq!(s, 200, "the request that was in flight completes: {v}");
    assert!(
        v["tokens_after"].as_u64().unwrap() < v["tokens_before"].as_u64().unwrap(),
        "{v}"
    );
    stopping.await.unwrap();
    assert!(
        awc::Client::default().get(&health).send().await.is_err(),
        "new connections are refused"
    );
}
