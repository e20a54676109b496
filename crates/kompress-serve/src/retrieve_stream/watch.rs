//! Watches an upstream SSE response event by event and decides whether the proxy may hold it
//! back: only while everything seen so far is invisible framing or a `kompress_retrieve`
//! tool call. The first sign of anything else (a text or refusal delta, another tool, a
//! thinking block, an error event, an unknown event or field, a second choice, a stop for
//! another reason) makes it [`Verdict::Forward`]. When the turn completes as retrieve calls
//! only, [`Watch::response`] rebuilds the same turn in its non-streaming shape, so the
//! non-streaming loop's functions (`retrieve_loop`) decide and answer it unchanged.
//!
//! OpenAI Chat Completions chunks: `choices[0].delta` with `role`, `content`, `refusal`,
//! `tool_calls[]` fragments (`index`, then `id`, `function.name`, `function.arguments`
//! pieces), `finish_reason: "tool_calls"`, usage-only chunks with `choices: []`, `[DONE]`.
//! Anthropic Messages events: `message_start`, `ping`, `content_block_start` (a `tool_use`
//! block with `id` and `name`), `content_block_delta` with `input_json_delta.partial_json`,
//! `content_block_stop`, `message_delta` with `stop_reason: "tool_use"`, `message_stop`.

use std::collections::BTreeMap;

use kompress_core::Format;
use kompress_memory::RETRIEVE_TOOL_NAME;
use serde_json::{json, Value};

use super::sse::SseEvent;

/// What one event means for the stream as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing the client must see yet: keep holding.
    Hold,
    /// Not the proxy's turn to answer: forward everything held and the rest unchanged.
    Forward,
    /// The turn ended as a tool-use turn whose every call so far is `kompress_retrieve`.
    Complete,
}

/// One tool call being assembled from its fragments.
#[derive(Debug, Default)]
struct Call {
    id: String,
    name: String,
    args: String,
    /// Anthropic: the `input` of `content_block_start` (used when no delta follows).
    input: Option<Value>,
}

/// The per-response state: calls by their stream index and whether the turn ended for tools.
#[derive(Debug)]
pub struct Watch {
    format: Format,
    calls: BTreeMap<u64, Call>,
    tool_stop: bool,
}

fn nonempty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(_) => true,
    }
}

/// A name seen so far may still become `kompress_retrieve` (names can come in pieces).
fn may_be_retrieve(name: &str) -> bool {
    RETRIEVE_TOOL_NAME.starts_with(name)
}

impl Watch {
    pub fn new(format: Format) -> Watch {
        Watch {
            format,
            calls: BTreeMap::new(),
            tool_stop: false,
        }
    }

    /// True once the turn has said it stops for tool use (the stream may still be closing).
    pub fn finished(&self) -> bool {
        self.tool_stop
    }

    pub fn see(&mut self, ev: &SseEvent) -> Verdict {
        match self.format {
            Format::Anthropic => self.see_anthropic(ev).unwrap_or(Verdict::Forward),
            _ => self.see_openai(ev).unwrap_or(Verdict::Forward),
        }
    }

    fn see_openai(&mut self, ev: &SseEvent) -> Option<Verdict> {
        if ev.data.trim() == "[DONE]" {
            return Some(if self.tool_stop {
                Verdict::Complete
            } else {
                Verdict::Forward
            });
        }
        let v: Value = serde_json::from_str(&ev.data).ok()?;
        if nonempty(v.get("error")) {
            return None;
        }
        for choice in v.get("choices")?.as_array()? {
            if choice.get("index").and_then(Value::as_u64).unwrap_or(0) != 0 {
                return None;
            }
            let empty = serde_json::Map::new();
            let delta = match choice.get("delta") {
                None | Some(Value::Null) => &empty,
                Some(d) => d.as_object()?,
            };
            for (key, val) in delta {
                match key.as_str() {
                    "role" => {}
                    "tool_calls" => {
                        for (pos, tc) in val.as_array()?.iter().enumerate() {
                            self.openai_fragment(pos as u64, tc)?;
                        }
                    }
                    _ if nonempty(Some(val)) => return None,
                    _ => {}
                }
            }
            match choice.get("finish_reason") {
                None | Some(Value::Null) => {}
                Some(r) if r.as_str() == Some("tool_calls") => self.tool_stop = true,
                Some(_) => return None,
            }
        }
        Some(Verdict::Hold)
    }

    /// Adds one `tool_calls` fragment; `None` when it names another tool.
    fn openai_fragment(&mut self, pos: u64, tc: &Value) -> Option<()> {
        let index = tc.get("index").and_then(Value::as_u64).unwrap_or(pos);
        let call = self.calls.entry(index).or_default();
        if let Some(id) = tc.get("id").and_then(Value::as_str) {
            call.id.push_str(id);
        }
        let f = tc.get("function");
        if let Some(name) = f.and_then(|f| f.get("name")).and_then(Value::as_str) {
            call.name.push_str(name);
        }
        if let Some(a) = f.and_then(|f| f.get("arguments")).and_then(Value::as_str) {
            call.args.push_str(a);
        }
        may_be_retrieve(&call.name).then_some(())
    }

    fn see_anthropic(&mut self, ev: &SseEvent) -> Option<Verdict> {
        let v: Value = serde_json::from_str(&ev.data).ok()?;
        let kind = v
            .get("type")
            .and_then(Value::as_str)
            .or(ev.event.as_deref())?;
        match kind {
            "ping" | "content_block_stop" => {}
            "message_start" => {
                if nonempty(v.get("message").and_then(|m| m.get("content"))) {
                    return None;
                }
            }
            "content_block_start" => {
                let block = v.get("content_block")?;
                let is_retrieve = block.get("type").and_then(Value::as_str) == Some("tool_use")
                    && block.get("name").and_then(Value::as_str) == Some(RETRIEVE_TOOL_NAME);
                if !is_retrieve {
                    return None;
                }
                let index = v.get("index")?.as_u64()?;
                let call = self.calls.entry(index).or_default();
                call.id = block.get("id")?.as_str()?.to_string();
                call.name = RETRIEVE_TOOL_NAME.to_string();
                call.input = block.get("input").cloned();
            }
            "content_block_delta" => {
                let d = v.get("delta")?;
                if d.get("type").and_then(Value::as_str) != Some("input_json_delta") {
                    return None;
                }
                let call = self.calls.get_mut(&v.get("index")?.as_u64()?)?;
                call.args.push_str(d.get("partial_json")?.as_str()?);
            }
            "message_delta" => match v.get("delta").and_then(|d| d.get("stop_reason")) {
                None | Some(Value::Null) => {}
                Some(r) if r.as_str() == Some("tool_use") => self.tool_stop = true,
                Some(_) => return None,
            },
            "message_stop" if self.tool_stop => return Some(Verdict::Complete),
            _ => return None,
        }
        Some(Verdict::Hold)
    }

    /// The finished turn as the non-streaming API would have returned it, or `None` when a
    /// call is incomplete (no id, a name other than the tool, Anthropic input not JSON).
    pub fn response(&self) -> Option<Value> {
        if !self.tool_stop || self.calls.is_empty() {
            return None;
        }
        let complete = |c: &Call| !c.id.is_empty() && c.name == RETRIEVE_TOOL_NAME;
        if !self.calls.values().all(complete) {
            return None;
        }
        match self.format {
            Format::Anthropic => {
                let blocks = self
                    .calls
                    .values()
                    .map(|c| {
                        let input = if c.args.trim().is_empty() {
                            c.input.clone().unwrap_or_else(|| json!({}))
                        } else {
                            serde_json::from_str::<Value>(&c.args).ok()?
                        };
                        input.is_object().then(|| {
                            json!({"type": "tool_use", "id": c.id, "name": c.name, "input": input})
                        })
                    })
                    .collect::<Option<Vec<Value>>>()?;
                Some(json!({"type": "message", "role": "assistant",
                    "stop_reason": "tool_use", "content": blocks}))
            }
            _ => {
                let calls: Vec<Value> = self
                    .calls
                    .values()
                    .map(|c| {
                        json!({"id": c.id, "type": "function",
                            "function": {"name": c.name, "arguments": c.args}})
                    })
                    .collect();
                Some(
                    json!({"choices": [{"index": 0, "finish_reason": "tool_calls",
                    "message": {"role": "assistant", "content": null, "tool_calls": calls}}]}),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests;
