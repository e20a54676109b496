//! Proxy mode against a fake upstream (a real HTTP server that records what it got).

mod common;

use common::*;
use serde_json::{json, Value};

fn openai_request(stream: bool) -> String {
    json!({
        "model": "gpt-x",
        "stream": stream,
        "messages": [
            {"role": "system", "content": "You are terse.   Keep   spacing."},
            {"role": "user", "content": "why did the job fail?"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "logs", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": tool_log(7)},
            {"role": "user", "content": tool_log(8)}
        ]
    })
    .to_string()
}

/// The raw range of the first occurrence of `text` JSON-encoded inside `doc`.
fn literal_range(doc: &str, text: &str) -> std::ops::Range<usize> {
    let lit = serde_json::to_string(text).unwrap();
    let lit = &lit[1..lit.len() - 1];
    let at = doc.find(lit).expect("literal present");
    at..at + lit.len()
}

#[actix_web::test]
async fn tool_results_are_compressed_and_every_other_byte_is_forwarded_unchanged() {
    let (up, log) = fake_upstream();
    let b = serve(proxy_config(&up));
    let body = openai_request(false);
    let mut r = awc::Client::default()
        .post(url(&b, "/v1/chat/completions?trace=1"))
        .insert_header(("authorization", "Bearer sk-test-123"))
        .insert_header(("content-type", "application/json"))
        .insert_header(("openai-organization", "org-9"))
        .send_body(body.clone())
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers().get("x-upstream").unwrap(), "fake");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["id"], "resp-1");

    let got = log.lock().unwrap()[0].clone();
    assert_eq!(got.path, "/v1/chat/completions?trace=1");
    assert_eq!(got.header("authorization"), Some("Bearer sk-test-123"));
    assert_eq!(got.header("openai-organization"), Some("org-9"));
    let sent = String::from_utf8(got.body).unwrap();
    let tool = literal_range(&body, &tool_log(7));
    assert!(sent.len() < body.len(), "the tool result shrank");
    assert_eq!(
        &sent[..tool.start],
        &body[..tool.start],
        "bytes before the tool result are identical"
    );
    let tail = &body[tool.end..];
    assert!(
        sent.ends_with(tail),
        "bytes after the tool result (latest user turn included) are identical"
    );
    let msgs: Value = serde_json::from_str(&sent).unwrap();
    assert!(msgs["messages"][3]["content"]
        .as_str()
        .unwrap()
        .contains("ERROR db-pool-7"));
}

#[actix_web::test]
async fn sse_stream_comes_back_byte_for_byte() {
    let (up, _log) = fake_upstream();
    let b = serve(proxy_config(&up));
    let mut r = awc::Client::default()
        .post(url(&b, "/v1/chat/completions"))
        .insert_header(("authorization", "Bearer sk-test"))
        .send_body(openai_request(true))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers().get("content-type").unwrap(),
        "text/event-stream"
    );
    let got = r.body().await.unwrap();
    assert_eq!(std::str::from_utf8(&got).unwrap(), SSE.concat());
}

#[actix_web::test]
async fn anthropic_tool_results_are_compressed_and_api_key_forwarded() {
    let (up, log) = fake_upstream();
    let b = serve(proxy_config(&up));
    let body = json!({
        "model": "claude-x", "max_tokens": 64, "system": "Be brief.",
        "messages": [
            {"role": "user", "content": "check the logs"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "logs", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": tool_log(9)}, {"type": "text", "text": "what broke?"}]}
        ]
    })
    .to_string();
    let r = awc::Client::default()
        .post(url(&b, "/v1/messages"))
        .insert_header(("x-api-key", "ak-secret"))
        .insert_header(("anthropic-version", "2023-06-01"))
        .send_body(body.clone())
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let got = log.lock().unwrap()[0].clone();
    assert_eq!(got.header("x-api-key"), Some("ak-secret"));
    assert_eq!(got.header("anthropic-version"), Some("2023-06-01"));
    let sent: Value = serde_json::from_slice(&got.body).unwrap();
    let orig: Value = serde_json::from_str(&body).unwrap();
    assert!(got.body.len() < body.len());
    assert_eq!(sent["system"], orig["system"]);
    assert_eq!(sent["messages"][0], orig["messages"][0]);
    assert_eq!(sent["messages"][1], orig["messages"][1]);
    assert_eq!(
        sent["messages"][2]["content"][1], orig["messages"][2]["content"][1],
        "latest user text untouched"
    );
}

#[actix_web::test]
async fn upstream_outside_the_allow_list_is_refused_and_never_contacted() {
    let (up, log) = fake_upstream();
    let b = serve(proxy_config(&up));
    let mut r = awc::Client::default()
        .post(url(&b, "/v1/chat/completions"))
        .insert_header(("x-kompress-upstream", "http://evil.example"))
        .send_body(openai_request(false))
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["kind"], "upstream_not_allowed");
    assert!(log.lock().unwrap().is_empty());
}

#[actix_web::test]
async fn skipped_tool_results_are_forwarded_untouched() {
    let (up, log) = fake_upstream();
    let mut cfg = proxy_config(&up);
    cfg.proxy.skip_tools = vec!["logs".into()];
    let b = serve(cfg);
    let body = openai_request(false);
    awc::Client::default()
        .post(url(&b, "/v1/chat/completions"))
        .send_body(body.clone())
        .await
        .unwrap();
    assert_eq!(log.lock().unwrap()[0].body, body.as_bytes());
}

#[actix_web::test]
async fn markers_inject_the_retrieve_tool_and_handles_resolve_from_memory() {
    let dir = tempfile::tempdir().unwrap();
    let (up, log) = fake_upstream();
    let mut cfg = proxy_config(&up);
    cfg.memory = Some(kompress_memory::MemoryConfig::sqlite(
        dir.path().join("mem.db"),
    ));
    let b = serve(cfg);
    awc::Client::default()
        .post(url(&b, "/v1/chat/completions"))
        .insert_header(("x-kompress-tenant", "acme"))
        .insert_header(("x-kompress-session", "s1"))
        .send_body(openai_request(false))
        .await
        .unwrap();
    let got = log.lock().unwrap()[0].clone();
    let sent: Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(sent["tools"][0]["function"]["name"], "kompress_retrieve");
    assert!(
        got.header("x-kompress-tenant").is_none(),
        "kompress headers stay here"
    );
    let tool = sent["messages"][3]["content"].as_str().unwrap();
    let at = tool.find("ref=").expect("a marker");
    let handle = &tool[at + 4..at + 12];
    let mut r = awc::Client::default()
        .post(url(&b, "/v1/retrieve"))
        .send_body(json!({"tenant": "acme", "session": "s1", "handle": handle}).to_string())
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert!(tool_log(7).contains(v["text"].as_str().unwrap()));
    let mut r = awc::Client::default()
        .post(url(&b, "/v1/retrieve"))
        .send_body(json!({"tenant": "other", "handle": handle}).to_string())
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "another tenant sees nothing");
    let _ = r.body().await;
}

/// A Codex-CLI-shaped Responses request: instructions, a user message, a shell call and its
/// output, then the latest user message.
fn responses_request() -> String {
    json!({
        "model": "gpt-x",
        "instructions": "You are a coding agent.   Keep   spacing.",
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "why did the job fail?"}]},
            {"type": "function_call", "call_id": "call_1", "name": "shell", "arguments": "{\"command\":[\"mvn\",\"verify\"]}"},
            {"type": "function_call_output", "call_id": "call_1", "output": tool_log(11)},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": tool_log(12)}]}
        ],
        "tools": [{"type": "function", "name": "shell", "parameters": {"type": "object"}}],
        "stream": false
    })
    .to_string()
}

#[actix_web::test]
async fn responses_tool_outputs_are_compressed_and_every_other_byte_is_forwarded_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let (up, log) = fake_upstream();
    let mut cfg = proxy_config(&up);
    // a memory store would make the chat routes offer kompress_retrieve; this one must not
    cfg.memory = Some(kompress_memory::MemoryConfig::sqlite(
        dir.path().join("mem.db"),
    ));
    let b = serve(cfg);
    let body = responses_request();
    let r = awc::Client::default()
        .post(url(&b, "/v1/responses"))
        .insert_header(("authorization", "Bearer sk-codex"))
        .send_body(body.clone())
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let got = log.lock().unwrap()[0].clone();
    assert_eq!(got.path, "/v1/responses");
    assert_eq!(got.header("authorization"), Some("Bearer sk-codex"));
    let sent = String::from_utf8(got.body).unwrap();
    let out = literal_range(&body, &tool_log(11));
    assert!(sent.len() < body.len(), "the tool output shrank");
    assert_eq!(&sent[..out.start], &body[..out.start], "bytes before it");
    assert!(
        sent.ends_with(&body[out.end..]),
        "bytes after it (latest user message and tools included) are identical"
    );
    let v: Value = serde_json::from_str(&sent).unwrap();
    assert!(v["input"][2]["output"]
        .as_str()
        .unwrap()
        .contains("ERROR db-pool-11"));
    assert_eq!(v["tools"].as_array().unwrap().len(), 1, "no tool injected");
}

#[actix_web::test]
async fn a_skipped_tools_responses_output_is_forwarded_untouched() {
    let (up, log) = fake_upstream();
    let mut cfg = proxy_config(&up);
    cfg.proxy.skip_tools = vec!["shell".into()];
    let b = serve(cfg);
    let body = responses_request();
    awc::Client::default()
        .post(url(&b, "/v1/responses"))
        .send_body(body.clone())
        .await
        .unwrap();
    assert_eq!(log.lock().unwrap()[0].body, body.as_bytes());
}
