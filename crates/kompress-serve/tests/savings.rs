//! Savings you can see: proxied requests add to a per-tenant and per-session ledger with the
//! tokens compression removed and the cache reads and writes the upstream reported in its
//! answers' `usage` (plain JSON and SSE), on `/v1/savings`, `/metrics` and the `/savings` page.

mod common;

use std::time::Duration;

use actix_web::{web, HttpRequest, HttpResponse};
use common::*;
use serde_json::{json, Value};

/// Answers like the real APIs do, with their usage fields: Anthropic JSON with cache reads and
/// writes; an OpenAI SSE stream whose last chunk carries the usage.
async fn priced(req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let _ = body;
    if req.path().starts_with("/v1/messages") {
        return HttpResponse::Ok().json(json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
            "content": [{"type": "text", "text": "ok"}], "stop_reason": "end_turn",
            "usage": {"input_tokens": 50, "cache_read_input_tokens": 2000,
                      "cache_creation_input_tokens": 100, "output_tokens": 9}
        }));
    }
    let chunks = [
        r#"data: {"id":"c1","choices":[{"delta":{"content":"ok"}}]}"#.to_string(),
        r#"data: {"id":"c1","choices":[],"usage":{"prompt_tokens":1000,"completion_tokens":4,"prompt_tokens_details":{"cached_tokens":800}}}"#.to_string(),
        "data: [DONE]".to_string(),
    ];
    let sse: String = chunks.iter().map(|c| format!("{c}\n\n")).collect();
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .body(sse)
}

async fn ledger(b: &Served, tenant: &str) -> Value {
    // the answer's usage is recorded when its body stream ends, just after the client has it
    for _ in 0..100 {
        let mut r = awc::Client::default()
            .get(url(b, "/v1/savings"))
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap();
        if v["tenants"][tenant]["upstream"]["cache_read"].as_u64() > Some(0) {
            return v;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no usage recorded for {tenant}");
}

#[actix_web::test]
async fn each_tenant_and_session_shows_tokens_saved_and_the_upstreams_cache_usage() {
    let (addr, _log) = loopback_upstream(priced);
    let b = serve(proxy_config(&format!("http://{addr}")));
    let client = awc::Client::default();
    let r = client
        .post(url(&b, "/v1/messages"))
        .insert_header(("x-kompress-tenant", "acme"))
        .insert_header(("x-kompress-session", "fix-1"))
        .send_body(retrieve_anthropic_body(false))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut r = client
        .post(url(&b, "/v1/chat/completions"))
        .insert_header(("x-kompress-tenant", "zed"))
        .send_body(retrieve_openai_body(true))
        .await
        .unwrap();
    let _ = r.body().await.unwrap();

    let v = ledger(&b, "acme").await;
    let acme = &v["tenants"]["acme"];
    assert_eq!(acme["requests"], 1);
    assert_eq!(acme["upstream"]["uncached"], 50);
    assert_eq!(acme["upstream"]["cache_read"], 2000);
    assert_eq!(acme["upstream"]["cache_write"], 100);
    let saved = acme["tokens_saved"].as_f64().unwrap();
    assert!(saved > 0.0, "the tool result was compressed: {acme}");
    // 50 + 100 * 1.25 + 2000 * 0.1 = 375 billed for 2150 input tokens
    assert!((acme["cost_billed"].as_f64().unwrap() - 375.0).abs() < 1e-6);
    let cost = acme["cost_saved"].as_f64().unwrap();
    assert!((cost - saved * 375.0 / 2150.0).abs() < 1e-6, "{acme}");
    let session = v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["tenant"] == "acme")
        .unwrap();
    assert_eq!(session["session"], "fix-1");

    let zed = &ledger(&b, "zed").await["tenants"]["zed"];
    assert_eq!(zed["upstream"]["cache_read"], 800, "{zed}");
    assert_eq!(zed["upstream"]["uncached"], 200);
    assert_eq!(zed["upstream"]["output"], 4);

    let mut r = client.get(url(&b, "/metrics")).send().await.unwrap();
    let text = String::from_utf8(r.body().await.unwrap().to_vec()).unwrap();
    assert!(text.contains(&format!(
        "kompress_tenant_tokens_saved_total{{tenant=\"acme\"}} {saved}"
    )));
    assert!(text.contains(
        "kompress_tenant_upstream_input_tokens_total{tenant=\"zed\",kind=\"cache_read\"} 800"
    ));
    let mut r = client.get(url(&b, "/savings")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let page = String::from_utf8(r.body().await.unwrap().to_vec()).unwrap();
    assert!(page.contains("/v1/savings") && page.contains("Per session"));
}
