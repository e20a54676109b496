//! A scripted fake upstream that streams SSE: OpenAI Chat Completions chunks or Anthropic
//! Messages events, per step of a script, cut into 61-byte pieces so events and lines arrive
//! split across reads. Through common/scripted.rs it records every request body and every
//! stream it sent.
#![allow(dead_code)]

use actix_web::{web, HttpRequest, HttpResponse};
use futures::StreamExt;
use serde_json::{json, Value};

pub use crate::common::scripted::{first_handle, Script};
use crate::common::{scripted, Served};

/// What the scripted upstream streams for its n-th request (the last step repeats).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Step {
    /// `kompress_retrieve` for the first `ref=` of the request it got.
    Retrieve,
    /// The same call padded past the proxy's 1 MiB hold limit.
    HugeRetrieve,
    /// `kompress_retrieve` plus the client's own `logs` tool (OpenAI), text first (Anthropic).
    Mixed,
    /// Plain streamed text.
    Text,
    /// Half a retrieve call, then the connection breaks.
    Broken,
    /// `Text` up to its first text delta, then the upstream stays silent.
    TextThenSilence,
    /// A retrieve call, then the start of the client's own `logs` tool, then silence.
    MixedThenSilence,
}

pub fn sse(name: Option<&str>, data: &Value) -> String {
    match name {
        Some(n) => format!("event: {n}\ndata: {data}\n\n"),
        None => format!("data: {data}\n\n"),
    }
}

pub fn oa(n: usize, delta: Value, finish: Value) -> String {
    sse(
        None,
        &json!({"id": format!("r-{n}"), "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}),
    )
}

pub fn oa_call(index: u64, id: &str, name: &str, args: &str) -> Value {
    json!({"tool_calls": [{"index": index, "id": id, "type": "function",
        "function": {"name": name, "arguments": args}}]})
}

/// An OpenAI Chat Completions stream for `step`.
pub fn openai_stream(step: Step, n: usize, handle: &str) -> String {
    let mut s = oa(n, json!({"role": "assistant", "content": ""}), Value::Null);
    match step {
        Step::TextThenSilence => return s + &oa(n, json!({"content": "The pool "}), Value::Null),
        Step::MixedThenSilence => {
            s += &oa(
                n,
                oa_call(0, "call-r", "kompress_retrieve", "{}"),
                Value::Null,
            );
            return s + &oa(n, oa_call(1, "call-ls", "logs", "{}"), Value::Null);
        }
        _ => {}
    }
    if step == Step::Text {
        for piece in ["The pool ", "refused ", "connections."] {
            s += &oa(n, json!({"content": piece}), Value::Null);
        }
        s += &oa(n, json!({}), json!("stop"));
        return s + "data: [DONE]\n\n";
    }
    s += &oa(
        n,
        oa_call(0, &format!("call-{n}"), "kompress_retrieve", ""),
        Value::Null,
    );
    let pad = if step == Step::HugeRetrieve {
        format!(",\"pad\":\"{}\"", "x".repeat(1_100_000))
    } else {
        String::new()
    };
    let args = format!("{{\"handle\":\"{handle}\"{pad}}}");
    for piece in args.as_bytes().chunks(50_000) {
        let piece = std::str::from_utf8(piece).unwrap();
        s += &oa(
            n,
            json!({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}),
            Value::Null,
        );
    }
    if step == Step::Mixed {
        s += &oa(n, oa_call(1, "call-ls", "logs", "{}"), Value::Null);
    }
    s += &oa(n, json!({}), json!("tool_calls"));
    s + "data: [DONE]\n\n"
}

pub fn an(kind: &str, mut data: Value) -> String {
    data["type"] = json!(kind);
    sse(Some(kind), &data)
}

/// An Anthropic Messages stream for `step`.
pub fn anthropic_stream(step: Step, n: usize, handle: &str) -> String {
    let mut s = an(
        "message_start",
        json!({"message": {"id": format!("r-{n}"), "type": "message", "role": "assistant",
            "content": [], "stop_reason": null, "usage": {"input_tokens": 10, "output_tokens": 1}}}),
    );
    let tool_start = |index: u64, id: &str, name: &str| {
        an(
            "content_block_start",
            json!({"index": index, "content_block":
                {"type": "tool_use", "id": id, "name": name, "input": {}}}),
        )
    };
    match step {
        Step::TextThenSilence => {
            s += &an(
                "content_block_start",
                json!({"index": 0, "content_block": {"type": "text", "text": ""}}),
            );
            return s + &an(
                "content_block_delta",
                json!({"index": 0, "delta": {"type": "text_delta", "text": "The pool "}}),
            );
        }
        Step::MixedThenSilence => {
            s += &tool_start(0, "tu-r", "kompress_retrieve");
            s += &an("content_block_stop", json!({"index": 0}));
            return s + &tool_start(1, "tu-ls", "logs");
        }
        _ => {}
    }
    let mut index = 0;
    if matches!(step, Step::Text | Step::Mixed) {
        s += &an(
            "content_block_start",
            json!({"index": 0, "content_block": {"type": "text", "text": ""}}),
        );
        for piece in ["The pool ", "refused."] {
            s += &an(
                "content_block_delta",
                json!({"index": 0, "delta": {"type": "text_delta", "text": piece}}),
            );
        }
        s += &an("content_block_stop", json!({"index": 0}));
        index = 1;
    }
    if step == Step::Text {
        s += &an(
            "message_delta",
            json!({"delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 5}}),
        );
        return s + &an("message_stop", json!({}));
    }
    s += &an(
        "content_block_start",
        json!({"index": index, "content_block":
        {"type": "tool_use", "id": format!("tu-{n}"), "name": "kompress_retrieve", "input": {}}}),
    );
    s += &an("ping", json!({}));
    for piece in [
        "{\"handle\": \"".to_string(),
        handle.to_string(),
        "\"}".to_string(),
    ] {
        s += &an(
            "content_block_delta",
            json!({"index": index, "delta": {"type": "input_json_delta", "partial_json": piece}}),
        );
    }
    s += &an("content_block_stop", json!({"index": index}));
    s += &an(
        "message_delta",
        json!({"delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 7}}),
    );
    s + &an("message_stop", json!({}))
}

/// Streams the step's events (OpenAI or Anthropic by the request's path) and records the
/// whole stream in `sent`.
fn stream_reply(
    s: &Script<Step>,
    req: &HttpRequest,
    step: Step,
    n: usize,
    text: &str,
) -> HttpResponse {
    let handle = first_handle(text);
    let stream = if req.path() == "/v1/messages" {
        anthropic_stream(step, n, &handle)
    } else {
        openai_stream(step, n, &handle)
    };
    s.sent.lock().unwrap().push(stream.clone());
    // Small pieces, so events and even lines arrive split across reads.
    let mut pieces: Vec<Result<web::Bytes, actix_web::Error>> = stream
        .as_bytes()
        .chunks(61)
        .map(|c| Ok(web::Bytes::copy_from_slice(c)))
        .collect();
    if step == Step::Broken {
        pieces.truncate(pieces.len() / 2);
        pieces.push(Err(actix_web::error::ErrorInternalServerError("cut")));
    }
    let silent = matches!(step, Step::TextThenSilence | Step::MixedThenSilence);
    let body = futures::stream::iter(pieces);
    let mut resp = HttpResponse::Ok();
    resp.content_type("text/event-stream")
        .insert_header(("x-upstream", format!("scripted-{n}")));
    if silent {
        resp.streaming(body.chain(futures::stream::pending()))
    } else {
        resp.streaming(body)
    }
}

pub fn served(
    steps: Vec<Step>,
    rounds: u32,
) -> (Served, web::Data<Script<Step>>, tempfile::TempDir) {
    scripted::served(steps, stream_reply, rounds)
}
