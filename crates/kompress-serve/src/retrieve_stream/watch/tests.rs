use super::*;
use crate::retrieve_loop::retrieve_only_calls;

fn run(format: Format, events: &[(&str, Value)]) -> (Vec<Verdict>, Watch) {
    let mut w = Watch::new(format);
    let verdicts = events
        .iter()
        .map(|(name, data)| {
            w.see(&SseEvent {
                event: (!name.is_empty()).then(|| name.to_string()),
                data: match data {
                    Value::String(raw) => raw.clone(),
                    other => other.to_string(),
                },
            })
        })
        .collect();
    (verdicts, w)
}

fn chunk(delta: Value, finish: Value) -> (&'static str, Value) {
    (
        "",
        json!({"id": "x", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}),
    )
}

fn done() -> (&'static str, Value) {
    ("", Value::String("[DONE]".into()))
}

#[test]
fn openai_retrieve_fragments_assemble_into_the_non_streaming_turn() {
    let (v, w) = run(
        Format::OpenAi,
        &[
            chunk(json!({"role": "assistant", "content": ""}), Value::Null),
            chunk(
                json!({"tool_calls": [{"index": 0, "id": "c1", "type": "function",
                    "function": {"name": "kompress_retrieve", "arguments": ""}}]}),
                Value::Null,
            ),
            chunk(
                json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"handle\":"}}]}),
                Value::Null,
            ),
            chunk(
                json!({"tool_calls": [{"index": 0, "function": {"arguments": "\"ab12cd34\"}"}}]}),
                Value::Null,
            ),
            chunk(json!({}), json!("tool_calls")),
            (
                "",
                json!({"id": "x", "choices": [], "usage": {"total_tokens": 9}}),
            ),
            done(),
        ],
    );
    assert_eq!(v[..6], [Verdict::Hold; 6]);
    assert_eq!(v[6], Verdict::Complete);
    let resp = w.response().unwrap();
    let calls = retrieve_only_calls(&resp, Format::OpenAi).unwrap();
    assert_eq!(calls[0].id, "c1");
    assert_eq!(calls[0].arguments, json!("{\"handle\":\"ab12cd34\"}"));
}

#[test]
fn openai_text_another_tool_or_a_plain_stop_is_forwarded_at_once() {
    let text = run(
        Format::OpenAi,
        &[
            chunk(json!({"role": "assistant"}), Value::Null),
            chunk(json!({"content": "Hel"}), Value::Null),
        ],
    )
    .0;
    assert_eq!(text, [Verdict::Hold, Verdict::Forward]);
    let other = run(
        Format::OpenAi,
        &[chunk(
            json!({"tool_calls": [{"index": 1, "id": "c2", "function": {"name": "logs"}}]}),
            Value::Null,
        )],
    )
    .0;
    assert_eq!(other, [Verdict::Forward]);
    let stop = run(Format::OpenAi, &[chunk(json!({}), json!("stop"))]).0;
    assert_eq!(stop, [Verdict::Forward]);
    let unknown = run(
        Format::OpenAi,
        &[chunk(json!({"audio": {"id": "a"}}), Value::Null)],
    )
    .0;
    assert_eq!(unknown, [Verdict::Forward], "an unknown delta is content");
    let garbage = run(Format::OpenAi, &[("", json!("not an object"))]).0;
    assert_eq!(garbage, [Verdict::Forward]);
}

#[test]
fn openai_done_without_a_tool_stop_is_forwarded() {
    let (v, w) = run(Format::OpenAi, &[done()]);
    assert_eq!(v, [Verdict::Forward]);
    assert!(w.response().is_none());
}

fn anth(kind: &'static str, data: Value) -> (&'static str, Value) {
    (kind, data)
}

#[test]
fn anthropic_retrieve_tool_use_assembles_with_its_parsed_input() {
    let (v, w) = run(
        Format::Anthropic,
        &[
            anth(
                "message_start",
                json!({"type": "message_start", "message": {"id": "m", "content": []}}),
            ),
            anth(
                "content_block_start",
                json!({"type": "content_block_start", "index": 0, "content_block":
                {"type": "tool_use", "id": "tu1", "name": "kompress_retrieve", "input": {}}}),
            ),
            anth("ping", json!({"type": "ping"})),
            anth(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0,
                "delta": {"type": "input_json_delta", "partial_json": "{\"handle\": \"ab"}}),
            ),
            anth(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0,
                "delta": {"type": "input_json_delta", "partial_json": "12cd34\"}"}}),
            ),
            anth(
                "content_block_stop",
                json!({"type": "content_block_stop", "index": 0}),
            ),
            anth(
                "message_delta",
                json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"}}),
            ),
            anth("message_stop", json!({"type": "message_stop"})),
        ],
    );
    assert_eq!(v[..7], [Verdict::Hold; 7]);
    assert_eq!(v[7], Verdict::Complete);
    let calls = retrieve_only_calls(&w.response().unwrap(), Format::Anthropic).unwrap();
    assert_eq!(calls[0].id, "tu1");
    assert_eq!(calls[0].arguments, json!({"handle": "ab12cd34"}));
}

#[test]
fn anthropic_text_thinking_or_other_tools_are_forwarded() {
    for block in [
        json!({"type": "text", "text": ""}),
        json!({"type": "thinking", "thinking": ""}),
        json!({"type": "tool_use", "id": "t", "name": "logs", "input": {}}),
    ] {
        let v = run(
            Format::Anthropic,
            &[anth(
                "content_block_start",
                json!({"type": "content_block_start", "index": 0, "content_block": block}),
            )],
        )
        .0;
        assert_eq!(v, [Verdict::Forward], "{block}");
    }
    let end = run(
        Format::Anthropic,
        &[anth(
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}}),
        )],
    )
    .0;
    assert_eq!(end, [Verdict::Forward]);
    let err = run(
        Format::Anthropic,
        &[anth(
            "error",
            json!({"type": "error", "error": {"type": "overloaded_error"}}),
        )],
    )
    .0;
    assert_eq!(err, [Verdict::Forward]);
}

#[test]
fn anthropic_input_that_is_not_a_json_object_is_no_call_to_answer() {
    let (_, w) = run(
        Format::Anthropic,
        &[
            anth(
                "content_block_start",
                json!({"type": "content_block_start", "index": 0, "content_block":
                {"type": "tool_use", "id": "tu1", "name": "kompress_retrieve", "input": {}}}),
            ),
            anth(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0,
                "delta": {"type": "input_json_delta", "partial_json": "{\"handle\": "}}),
            ),
            anth(
                "message_delta",
                json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"}}),
            ),
        ],
    );
    assert!(w.finished());
    assert!(w.response().is_none());
}
