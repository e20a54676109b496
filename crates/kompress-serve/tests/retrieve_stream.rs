//! The retrieve loop for streaming requests: a scripted fake upstream streams SSE (OpenAI
//! chunks or Anthropic events, cut into small pieces) and records what it received; the
//! client must get one unchanged stream, the final round's, with held-back rounds unseen.

mod common;
mod sse_upstream;

use common::*;
use futures::StreamExt;
use serde_json::{json, Value};
use sse_upstream::*;

/// Streams a request through the proxy; returns the status, the `x-upstream` header (which
/// round answered) and the raw body bytes.
async fn stream(b: &Served, path: &str, body: String) -> (u16, String, Vec<u8>) {
    let mut r = awc::Client::default()
        .post(url(b, path))
        .insert_header(("x-kompress-tenant", "acme"))
        .insert_header(("x-kompress-session", "s1"))
        .insert_header(("content-type", "application/json"))
        .send_body(body)
        .await
        .unwrap();
    let who = r
        .headers()
        .get("x-upstream")
        .map_or("", |v| v.to_str().unwrap())
        .to_string();
    let bytes = r.body().limit(1 << 24).await.unwrap();
    (r.status().as_u16(), who, bytes.to_vec())
}

/// The exact evicted bytes stored under `handle` for tenant acme, session s1.
fn evicted(b: &Served, handle: &str) -> String {
    let store = b.state.memory.clone().expect("memory store");
    let rec = store.get_by_handle("acme", Some("s1"), handle).unwrap();
    rec.expect("the handle is stored").text
}

/// The second request is the first with bytes inserted after its last message only.
fn assert_only_appended(first: &str, second: &str, last_message_end: &str) {
    let cut = first.find(last_message_end).unwrap() + last_message_end.len();
    assert!(
        second.starts_with(&first[..cut]) && second.ends_with(&first[cut..]),
        "the new turns are inserted after the last message; every other byte is resent as is"
    );
}

#[actix_web::test]
async fn openai_streamed_retrieve_call_is_answered_and_the_client_sees_only_the_next_stream() {
    let (b, script, _dir) = served(vec![Step::Retrieve, Step::Text], 3);
    let (status, who, bytes) = stream(&b, "/v1/chat/completions", retrieve_openai_body(true)).await;
    assert_eq!(status, 200);
    assert_eq!(who, "scripted-1", "round 0's headers are never shown");
    let got = script.got.lock().unwrap().clone();
    let sent = script.sent.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    assert_eq!(
        String::from_utf8(bytes).unwrap(),
        sent[1],
        "exactly the second stream's bytes"
    );
    let text = evicted(&b, &first_handle(&got[0]));
    assert!(text.lines().count() > 1 && tool_log(7).contains(&text));
    let first: Value = serde_json::from_str(&got[0]).unwrap();
    let second: Value = serde_json::from_str(&got[1]).unwrap();
    assert_eq!(second["stream"], true);
    let n = first["messages"].as_array().unwrap().len();
    let msgs = second["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), n + 2);
    let call = &msgs[n]["tool_calls"][0];
    assert_eq!(call["id"], "call-0");
    assert_eq!(call["function"]["name"], "kompress_retrieve");
    assert_eq!(
        call["function"]["arguments"],
        json!({"handle": first_handle(&got[0])}).to_string(),
        "the arguments are the streamed fragments joined"
    );
    assert_eq!(msgs[n + 1]["role"], "tool");
    assert_eq!(msgs[n + 1]["tool_call_id"], "call-0");
    assert_eq!(msgs[n + 1]["content"].as_str().unwrap(), text);
    assert_only_appended(&got[0], &got[1], r#""so?","role":"user"}"#);
}

#[actix_web::test]
async fn anthropic_streamed_retrieve_call_is_answered_and_the_client_sees_one_message() {
    let (b, script, _dir) = served(vec![Step::Retrieve, Step::Text], 3);
    let (status, who, bytes) = stream(&b, "/v1/messages", retrieve_anthropic_body(true)).await;
    assert_eq!(status, 200);
    assert_eq!(who, "scripted-1");
    let got = script.got.lock().unwrap().clone();
    let sent = script.sent.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    let body = String::from_utf8(bytes).unwrap();
    assert_eq!(body, sent[1], "exactly the second stream's bytes");
    assert_eq!(body.matches("event: message_start").count(), 1);
    assert_eq!(body.matches("event: message_stop").count(), 1);
    let text = evicted(&b, &first_handle(&got[0]));
    let second: Value = serde_json::from_str(&got[1]).unwrap();
    let msgs = second["messages"].as_array().unwrap();
    let turn = &msgs[msgs.len() - 2];
    assert_eq!(turn["role"], "assistant");
    assert_eq!(turn["content"][0]["id"], "tu-0");
    assert_eq!(
        turn["content"][0]["input"],
        json!({"handle": first_handle(&got[0])})
    );
    let last = &msgs[msgs.len() - 1];
    assert_eq!(last["content"][0]["type"], "tool_result");
    assert_eq!(last["content"][0]["tool_use_id"], "tu-0");
    assert_eq!(last["content"][0]["content"].as_str().unwrap(), text);
    assert_only_appended(
        &got[0],
        &got[1],
        r#""what broke?","type":"text"}],"role":"user"}"#,
    );
}

#[actix_web::test]
async fn text_first_streams_pass_through_byte_identical() {
    let (b, script, _dir) = served(vec![Step::Text], 3);
    for (i, (path, body)) in [
        ("/v1/chat/completions", retrieve_openai_body(true)),
        ("/v1/messages", retrieve_anthropic_body(true)),
    ]
    .into_iter()
    .enumerate()
    {
        let (status, who, bytes) = stream(&b, path, body).await;
        assert_eq!(status, 200);
        assert_eq!(who, format!("scripted-{i}"));
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            script.sent.lock().unwrap()[i]
        );
    }
    assert_eq!(script.got.lock().unwrap().len(), 2, "one request each");
}

#[actix_web::test]
async fn mixed_streams_pass_through_with_the_retrieve_call_visible() {
    let (b, script, _dir) = served(vec![Step::Mixed], 3);
    for (i, (path, body)) in [
        ("/v1/chat/completions", retrieve_openai_body(true)),
        ("/v1/messages", retrieve_anthropic_body(true)),
    ]
    .into_iter()
    .enumerate()
    {
        let (_, _, bytes) = stream(&b, path, body).await;
        let body = String::from_utf8(bytes).unwrap();
        assert_eq!(body, script.sent.lock().unwrap()[i], "{path}");
        assert!(body.contains("kompress_retrieve"));
    }
    assert_eq!(script.got.lock().unwrap().len(), 2, "nothing was re-sent");
}

/// Reads the proxied stream until `want` bytes came, while the upstream is still open.
async fn first_bytes(b: &Served, path: &str, body: String, want: usize) -> Vec<u8> {
    let mut r = awc::Client::default()
        .post(url(b, path))
        .insert_header(("x-kompress-tenant", "acme"))
        .insert_header(("x-kompress-session", "s1"))
        .send_body(body)
        .await
        .unwrap();
    let mut got = Vec::new();
    while got.len() < want {
        let next = tokio::time::timeout(std::time::Duration::from_secs(5), r.next()).await;
        let chunk = next.expect("bytes arrive before the upstream finishes");
        got.extend_from_slice(&chunk.expect("the stream is open").unwrap());
    }
    got
}

#[actix_web::test]
async fn text_and_other_tools_reach_the_client_while_the_upstream_still_streams() {
    for step in [Step::TextThenSilence, Step::MixedThenSilence] {
        let (b, script, _dir) = served(vec![step], 3);
        let want = openai_stream(step, 0, "unused").len();
        let got = first_bytes(&b, "/v1/chat/completions", retrieve_openai_body(true), want).await;
        let sent = script.sent.lock().unwrap()[0].clone();
        assert_eq!(String::from_utf8(got).unwrap(), sent, "OpenAI {step:?}");
        let want = anthropic_stream(step, 1, "unused").len();
        let got = first_bytes(&b, "/v1/messages", retrieve_anthropic_body(true), want).await;
        let sent = script.sent.lock().unwrap()[1].clone();
        assert_eq!(String::from_utf8(got).unwrap(), sent, "Anthropic {step:?}");
    }
}

#[actix_web::test]
async fn max_rounds_bound_the_stream_loop_and_the_last_call_reaches_the_client() {
    let (b, script, _dir) = served(vec![Step::Retrieve], 2);
    let (status, who, bytes) = stream(&b, "/v1/chat/completions", retrieve_openai_body(true)).await;
    assert_eq!(status, 200);
    assert_eq!(script.got.lock().unwrap().len(), 3, "first + 2 answered");
    assert_eq!(who, "scripted-2");
    let body = String::from_utf8(bytes).unwrap();
    assert_eq!(body, script.sent.lock().unwrap()[2]);
    assert!(body.contains("call-2") && body.ends_with("data: [DONE]\n\n"));
}

#[actix_web::test]
async fn a_stream_held_past_one_mebibyte_is_forwarded_unanswered() {
    let (b, script, _dir) = served(vec![Step::HugeRetrieve, Step::Text], 3);
    let (status, who, bytes) = stream(&b, "/v1/chat/completions", retrieve_openai_body(true)).await;
    assert_eq!((status, who.as_str()), (200, "scripted-0"));
    assert!(bytes.len() > 1 << 20);
    assert_eq!(
        String::from_utf8(bytes).unwrap(),
        script.sent.lock().unwrap()[0]
    );
    assert_eq!(script.got.lock().unwrap().len(), 1);
}

#[actix_web::test]
async fn an_upstream_break_while_held_is_a_typed_error() {
    let (b, script, _dir) = served(vec![Step::Retrieve, Step::Broken], 3);
    let (status, _, bytes) = stream(&b, "/v1/messages", retrieve_anthropic_body(true)).await;
    assert_eq!(status, 502);
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(v["error"]["kind"], "upstream");
    assert_eq!(script.got.lock().unwrap().len(), 2);
}
