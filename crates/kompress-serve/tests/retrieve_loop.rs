//! The proxy answers `kompress_retrieve` itself: a scripted fake upstream first asks for a
//! handle that really is in the compressed request, then answers normally.

mod common;

use actix_web::{web, HttpRequest, HttpResponse};
use common::scripted::{self, first_handle, Script};
use common::*;
use serde_json::{json, Value};

/// What the scripted upstream answers to its n-th request (the last step repeats).
#[derive(Clone, Copy, Debug)]
enum Step {
    /// A `kompress_retrieve` call for the first `ref=` of the request it got.
    Retrieve,
    /// `kompress_retrieve` plus the client's own `logs` tool.
    Mixed,
    /// A plain assistant answer.
    Final,
}

fn reply(step: Step, anthropic: bool, n: usize, body: &str) -> Value {
    let handle = || first_handle(body);
    match (step, anthropic) {
        (Step::Final, false) => json!({"id": "final", "object": "chat.completion", "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "done"}}]}),
        (Step::Final, true) => json!({"id": "final", "type": "message", "role": "assistant",
            "stop_reason": "end_turn", "content": [{"type": "text", "text": "done"}]}),
        (_, false) => {
            let mut calls = vec![
                json!({"id": format!("call-{n}"), "type": "function", "function": {
                "name": "kompress_retrieve",
                "arguments": json!({"handle": handle()}).to_string()}}),
            ];
            if matches!(step, Step::Mixed) {
                calls.push(json!({"id": "call-ls", "type": "function",
                    "function": {"name": "logs", "arguments": "{}"}}));
            }
            json!({"id": format!("r-{n}"), "choices": [{"index": 0, "finish_reason": "tool_calls",
                "message": {"role": "assistant", "content": null, "tool_calls": calls}}]})
        }
        (_, true) => {
            let mut blocks = vec![json!({"type": "tool_use", "id": format!("tu-{n}"),
                "name": "kompress_retrieve", "input": {"handle": handle()}})];
            if matches!(step, Step::Mixed) {
                blocks
                    .push(json!({"type": "tool_use", "id": "tu-ls", "name": "logs", "input": {}}));
            }
            json!({"id": format!("r-{n}"), "type": "message", "role": "assistant",
                "stop_reason": "tool_use", "content": blocks})
        }
    }
}

/// A JSON answer per step (OpenAI or Anthropic by the request's path).
fn json_reply(
    _: &Script<Step>,
    req: &HttpRequest,
    step: Step,
    n: usize,
    body: &str,
) -> HttpResponse {
    let anthropic = req.path() == "/v1/messages";
    HttpResponse::Ok()
        .insert_header(("x-upstream", "scripted"))
        .json(reply(step, anthropic, n, body))
}

fn served(steps: Vec<Step>, rounds: u32) -> (Served, web::Data<Script<Step>>, tempfile::TempDir) {
    scripted::served(steps, json_reply, rounds)
}

async fn post(b: &Served, path: &str, body: String) -> (u16, Value) {
    let mut r = awc::Client::default()
        .post(url(b, path))
        .insert_header(("x-kompress-tenant", "acme"))
        .insert_header(("x-kompress-session", "s1"))
        .insert_header(("content-type", "application/json"))
        .send_body(body)
        .await
        .unwrap();
    let bytes = r.body().await.unwrap();
    (r.status().as_u16(), serde_json::from_slice(&bytes).unwrap())
}

/// The exact evicted bytes stored under `handle` for tenant acme, session s1.
fn evicted(b: &Served, handle: &str) -> String {
    let store = b.state.memory.clone().expect("memory store");
    let rec = store.get_by_handle("acme", Some("s1"), handle).unwrap();
    rec.expect("the handle is stored").text
}

#[actix_web::test]
async fn openai_retrieve_call_is_answered_by_the_proxy_with_the_exact_evicted_bytes() {
    let (b, script, _dir) = served(vec![Step::Retrieve, Step::Final], 3);
    let (status, v) = post(&b, "/v1/chat/completions", retrieve_openai_body(false)).await;
    assert_eq!(status, 200);
    assert_eq!(v["id"], "final", "the client sees only the final answer");
    let got = script.got.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    let handle = first_handle(&got[0]);
    let text = evicted(&b, &handle);
    assert!(text.lines().count() > 1 && tool_log(7).contains(&text));
    let first: Value = serde_json::from_str(&got[0]).unwrap();
    let second: Value = serde_json::from_str(&got[1]).unwrap();
    let n = first["messages"].as_array().unwrap().len();
    let msgs = second["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), n + 2);
    assert_eq!(msgs[..n], first["messages"].as_array().unwrap()[..]);
    assert_eq!(
        msgs[n]["tool_calls"][0]["function"]["name"],
        "kompress_retrieve"
    );
    assert_eq!(msgs[n + 1]["role"], "tool");
    assert_eq!(msgs[n + 1]["tool_call_id"], "call-0");
    assert_eq!(msgs[n + 1]["content"].as_str().unwrap(), text);
    let cut = got[0].find(r#""so?","role":"user"}"#).unwrap() + r#""so?","role":"user"}"#.len();
    assert!(
        got[1].starts_with(&got[0][..cut]) && got[1].ends_with(&got[0][cut..]),
        "the new turns are inserted after the last message; every other byte is resent as is"
    );
}

#[actix_web::test]
async fn anthropic_retrieve_call_is_answered_with_a_tool_result_turn() {
    let (b, script, _dir) = served(vec![Step::Retrieve, Step::Final], 3);
    let (status, v) = post(&b, "/v1/messages", retrieve_anthropic_body(false)).await;
    assert_eq!(status, 200);
    assert_eq!(v["id"], "final");
    let got = script.got.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    let text = evicted(&b, &first_handle(&got[0]));
    let second: Value = serde_json::from_str(&got[1]).unwrap();
    let msgs = second["messages"].as_array().unwrap();
    let last = &msgs[msgs.len() - 1];
    assert_eq!(msgs[msgs.len() - 2]["role"], "assistant");
    assert_eq!(
        msgs[msgs.len() - 2]["content"][0]["name"],
        "kompress_retrieve"
    );
    assert_eq!(last["role"], "user");
    assert_eq!(last["content"][0]["type"], "tool_result");
    assert_eq!(last["content"][0]["tool_use_id"], "tu-0");
    assert_eq!(last["content"][0]["content"].as_str().unwrap(), text);
}

#[actix_web::test]
async fn max_rounds_bound_the_loop_and_the_last_call_reaches_the_client() {
    let (b, script, _dir) = served(vec![Step::Retrieve], 2);
    let (status, v) = post(&b, "/v1/chat/completions", retrieve_openai_body(false)).await;
    assert_eq!(status, 200);
    assert_eq!(
        script.got.lock().unwrap().len(),
        3,
        "first request + 2 answered rounds"
    );
    assert_eq!(v["id"], "r-2");
    assert_eq!(
        v["choices"][0]["message"]["tool_calls"][0]["function"]["name"],
        "kompress_retrieve"
    );
}

#[actix_web::test]
async fn mixed_tool_calls_pass_through_to_the_client() {
    let (b, script, _dir) = served(vec![Step::Mixed], 3);
    let (_, v) = post(&b, "/v1/chat/completions", retrieve_openai_body(false)).await;
    assert_eq!(script.got.lock().unwrap().len(), 1);
    assert_eq!(v["id"], "r-0");
    assert_eq!(
        v["choices"][0]["message"]["tool_calls"][1]["function"]["name"],
        "logs"
    );
    let (_, v) = post(&b, "/v1/messages", retrieve_anthropic_body(false)).await;
    assert_eq!(script.got.lock().unwrap().len(), 2);
    assert_eq!(v["content"][1]["name"], "logs");
}

/// Streams are looped by `retrieve_stream.rs` (tests/retrieve_stream.rs) only when the
/// upstream answers with SSE; a JSON answer to a streaming request goes back as it came.
#[actix_web::test]
async fn streaming_request_answered_without_sse_passes_through() {
    let (b, script, _dir) = served(vec![Step::Retrieve, Step::Final], 3);
    let (_, v) = post(&b, "/v1/chat/completions", retrieve_openai_body(true)).await;
    assert_eq!(script.got.lock().unwrap().len(), 1);
    assert_eq!(v["id"], "r-0", "the call reaches the client");
}

#[actix_web::test]
async fn zero_rounds_disable_the_loop() {
    let (b, script, _dir) = served(vec![Step::Retrieve, Step::Final], 0);
    let (_, v) = post(&b, "/v1/chat/completions", retrieve_openai_body(false)).await;
    assert_eq!(script.got.lock().unwrap().len(), 1);
    assert_eq!(v["id"], "r-0");
}
