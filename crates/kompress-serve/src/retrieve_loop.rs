//! The proxy's own answers to `kompress_retrieve`: when an upstream response asks for nothing
//! but `kompress_retrieve` calls, the proxy answers them from the memory store, appends the
//! assistant turn and the tool results to the (already compressed) request and sends it
//! again, at most `proxy.retrieve_max_rounds` times. A response that mixes the tool with any
//! other tool is the client's to handle and goes back unchanged.
//!
//! These are the pieces both loops share: the non-streaming one in `proxy.rs` reads the whole
//! response, the streaming one (`retrieve_stream.rs`) rebuilds the same response shape from
//! the SSE events it held back, then both call [`retrieve_only_calls`] and [`Scope::extend`].

use std::sync::Arc;

use kompress_core::Format;
use kompress_memory::{MemoryError, MemoryStore, RETRIEVE_TOOL_NAME};
use kompress_pipeline::jsonspan::{self, JVal};
use serde_json::{json, Value};

use crate::error::ServeError;
use crate::state::AppState;

/// Who the retrieve loop answers for (the evictions' tenant and session) and how often.
pub struct Scope<'a> {
    pub store: Arc<dyn MemoryStore>,
    pub tenant: &'a str,
    pub session: &'a str,
    pub format: Format,
    pub max_rounds: u32,
    /// Reads the usage of the answer the client gets.
    pub tap: Option<crate::usage::Tap>,
}

impl Scope<'_> {
    /// Answers one round's `calls` (of the upstream turn `answer`, in its non-streaming shape)
    /// from the store and returns `body` with the turn and its results appended.
    pub async fn extend(
        &self,
        state: &AppState,
        body: &str,
        answer: &Value,
        calls: &[RetrieveCall],
        round: u32,
    ) -> Result<String, ServeError> {
        let t = std::time::Instant::now();
        let results = answer_calls(self.store.clone(), self.tenant, self.session, calls).await?;
        state.metrics.observe("stage:retrieve", t.elapsed());
        tracing::debug!(
            round,
            calls = calls.len(),
            "proxy answered kompress_retrieve"
        );
        let turn = round_messages(answer, self.format, calls, &results);
        append_messages(body, &turn)
    }
}

/// One `kompress_retrieve` call of an upstream response.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrieveCall {
    /// The call's id (OpenAI `tool_calls[].id`, Anthropic `tool_use.id`).
    pub id: String,
    /// Its arguments: OpenAI's JSON string or Anthropic's `input` object.
    pub arguments: Value,
}

/// True when the request body asks for an SSE stream (`"stream": true`).
pub fn is_streaming(request: &Value) -> bool {
    request.get("stream").and_then(Value::as_bool) == Some(true)
}

/// The response's calls when it asks for `kompress_retrieve` only (at least one call, every
/// call named so, and the turn ending for tool use); `None` for anything else.
pub fn retrieve_only_calls(response: &Value, format: Format) -> Option<Vec<RetrieveCall>> {
    let calls: Vec<RetrieveCall> = match format {
        Format::Anthropic => {
            if response.get("stop_reason")?.as_str()? != "tool_use" {
                return None;
            }
            let blocks = response.get("content")?.as_array()?;
            blocks.iter().map(anthropic_call).collect::<Option<_>>()?
        }
        _ => {
            let choices = response.get("choices")?.as_array()?;
            if choices.len() != 1 {
                return None;
            }
            let choice = &choices[0];
            if choice.get("finish_reason")?.as_str()? != "tool_calls" {
                return None;
            }
            let calls = choice.get("message")?.get("tool_calls")?.as_array()?;
            calls.iter().map(openai_call).collect::<Option<_>>()?
        }
    };
    (!calls.is_empty()).then_some(calls)
}

/// An Anthropic content block that is a `kompress_retrieve` tool_use, else `None`.
fn anthropic_call(block: &Value) -> Option<RetrieveCall> {
    if block.get("type")?.as_str()? != "tool_use"
        || block.get("name")?.as_str()? != RETRIEVE_TOOL_NAME
    {
        return None;
    }
    Some(RetrieveCall {
        id: block.get("id")?.as_str()?.to_string(),
        arguments: block.get("input").cloned().unwrap_or(Value::Null),
    })
}

/// An OpenAI `tool_calls` entry that calls `kompress_retrieve`, else `None`.
fn openai_call(call: &Value) -> Option<RetrieveCall> {
    let f = call.get("function")?;
    if f.get("name")?.as_str()? != RETRIEVE_TOOL_NAME {
        return None;
    }
    Some(RetrieveCall {
        id: call.get("id")?.as_str()?.to_string(),
        arguments: f.get("arguments").cloned().unwrap_or(Value::Null),
    })
}

/// Answers every call from the store, scoped to the tenant and session. Malformed arguments
/// are answered in words so the model can try again; store failures are errors.
pub async fn answer_calls(
    store: Arc<dyn MemoryStore>,
    tenant: &str,
    session: &str,
    calls: &[RetrieveCall],
) -> Result<Vec<String>, ServeError> {
    let tenant = tenant.to_string();
    let session = session.to_string();
    let args: Vec<Value> = calls.iter().map(|c| c.arguments.clone()).collect();
    let answers = kompress_memory::with_store_blocking(store, move |s| {
        args.iter()
            .map(
                |a| match kompress_memory::answer_tool_call(s, &tenant, Some(&session), a) {
                    Err(MemoryError::ToolCall { reason }) => {
                        Ok(format!("kompress_retrieve was called wrongly: {reason}"))
                    }
                    other => other,
                },
            )
            .collect::<Result<Vec<String>, MemoryError>>()
    })
    .await?;
    Ok(answers)
}

/// The messages to append for one answered round: the assistant's turn as the upstream sent
/// it, then the tool results (OpenAI: one `tool` message per call; Anthropic: one user turn of
/// `tool_result` blocks).
pub fn round_messages(
    response: &Value,
    format: Format,
    calls: &[RetrieveCall],
    answers: &[String],
) -> Vec<Value> {
    match format {
        Format::Anthropic => {
            let results: Vec<Value> = calls
                .iter()
                .zip(answers)
                .map(|(c, a)| json!({"type": "tool_result", "tool_use_id": c.id, "content": a}))
                .collect();
            vec![
                json!({"role": "assistant", "content": response["content"].clone()}),
                json!({"role": "user", "content": results}),
            ]
        }
        _ => {
            let mut out = vec![response["choices"][0]["message"].clone()];
            out.extend(
                calls
                    .iter()
                    .zip(answers)
                    .map(|(c, a)| json!({"role": "tool", "tool_call_id": c.id, "content": a})),
            );
            out
        }
    }
}

/// Appends `messages` to the request's `messages` array by inserting bytes before its closing
/// bracket: every earlier byte stays as it was, so the provider's prompt cache keeps hitting.
pub fn append_messages(doc: &str, messages: &[Value]) -> Result<String, ServeError> {
    let root = jsonspan::parse(doc).map_err(kompress_pipeline::PipelineError::from)?;
    let Some(node) = root.get("messages") else {
        return Err(ServeError::Request {
            field: "messages",
            reason: "missing; the retrieve loop cannot continue the conversation".into(),
        });
    };
    let JVal::Arr(items) = &node.val else {
        return Err(ServeError::Request {
            field: "messages",
            reason: "must be an array".into(),
        });
    };
    let close = node.span.end - 1;
    let mut out = String::with_capacity(doc.len() + 256);
    out.push_str(&doc[..close]);
    for (i, m) in messages.iter().enumerate() {
        if i > 0 || !items.is_empty() {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(m)?);
    }
    out.push_str(&doc[close..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn openai_call(name: &str) -> Value {
        json!({"id": format!("c-{name}"), "type": "function",
               "function": {"name": name, "arguments": "{\"handle\":\"ab12cd34\"}"}})
    }

    #[test]
    fn openai_response_of_only_retrieve_calls_yields_them() {
        let r = json!({"choices": [{"finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": null,
            "tool_calls": [openai_call(RETRIEVE_TOOL_NAME), openai_call(RETRIEVE_TOOL_NAME)]}}]});
        let calls = retrieve_only_calls(&r, Format::OpenAi).unwrap();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].arguments, json!("{\"handle\":\"ab12cd34\"}"));
    }

    #[test]
    fn mixed_tools_or_plain_answers_are_not_the_proxys() {
        let mixed = json!({"choices": [{"finish_reason": "tool_calls", "message": {
            "tool_calls": [openai_call(RETRIEVE_TOOL_NAME), openai_call("ls")]}}]});
        assert!(retrieve_only_calls(&mixed, Format::OpenAi).is_none());
        let plain = json!({"choices": [{"finish_reason": "stop", "message": {"content": "hi"}}]});
        assert!(retrieve_only_calls(&plain, Format::OpenAi).is_none());
        let anth = json!({"stop_reason": "tool_use", "content": [
            {"type": "text", "text": "let me look"},
            {"type": "tool_use", "id": "t1", "name": RETRIEVE_TOOL_NAME, "input": {}}]});
        assert!(retrieve_only_calls(&anth, Format::Anthropic).is_none());
    }

    #[test]
    fn anthropic_retrieve_only_turn_yields_its_calls() {
        let r = json!({"stop_reason": "tool_use", "content": [
            {"type": "tool_use", "id": "t1", "name": RETRIEVE_TOOL_NAME,
             "input": {"handle": "ab12cd34"}}]});
        let calls = retrieve_only_calls(&r, Format::Anthropic).unwrap();
        assert_eq!(calls[0].id, "t1");
        assert_eq!(calls[0].arguments, json!({"handle": "ab12cd34"}));
    }

    #[test]
    fn appended_messages_leave_every_earlier_byte_in_place() {
        let doc = r#"{"messages":[ {"role":"user","content":"a"} ],"model":"m"}"#;
        let out = append_messages(doc, &[json!({"role": "tool"})]).unwrap();
        assert_eq!(
            out,
            r#"{"messages":[ {"role":"user","content":"a"} ,{"role":"tool"}],"model":"m"}"#
        );
        let empty = append_messages(r#"{"messages":[]}"#, &[json!(1), json!(2)]).unwrap();
        assert_eq!(empty, r#"{"messages":[1,2]}"#);
    }
}
