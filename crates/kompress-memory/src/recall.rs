//! Recall for the proxy and the CLI: retrieval by handle, the `kompress_retrieve` tool the
//! proxy injects (OpenAI and Anthropic shapes) with the code that answers its calls, and the
//! rebuild of a whole transcript from the store.

use serde::Serialize;
use serde_json::{json, Value};

use crate::{MemoryError, MemoryStore, Recalled, Result};

/// Name of the retrieval tool.
pub const RETRIEVE_TOOL_NAME: &str = "kompress_retrieve";

/// Most hits a query-style tool call returns.
pub const TOOL_SEARCH_LIMIT: usize = 5;

/// Longest tool answer in bytes; longer answers are cut at a line end with a note.
pub const TOOL_ANSWER_MAX_BYTES: usize = 32 * 1024;

const TOOL_DESCRIPTION: &str = "Fetch text that was elided from earlier tool output or \
messages to save context. Elisions are marked like `[…12 lines, ref=ab12cd34]`: pass the ref \
as `handle` to get exactly the original text back. Or pass `query` (words, identifiers, error \
names) to search all elided text of this conversation.";

/// The newest live record with `handle` in the tenant (and session, when given).
pub fn retrieve(
    store: &dyn MemoryStore,
    tenant: &str,
    session: Option<&str>,
    handle: &str,
) -> Result<Option<Recalled>> {
    store.get_by_handle(tenant, session, handle)
}

fn parameters_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "handle": {
                "type": "string",
                "description": "The ref of an elision marker, 8 hex digits (e.g. ab12cd34).",
                "pattern": "^[0-9a-f]{8}$"
            },
            "query": {
                "type": "string",
                "description": "Words to search for in elided text, when no ref is known."
            }
        },
        "additionalProperties": false
    })
}

/// The tool in OpenAI's function-tool shape (`tools: [...]` of chat completions).
pub fn retrieve_tool_openai() -> Value {
    json!({
        "type": "function",
        "function": {
            "name": RETRIEVE_TOOL_NAME,
            "description": TOOL_DESCRIPTION,
            "parameters": parameters_schema()
        }
    })
}

/// The tool in Anthropic's Messages API shape.
pub fn retrieve_tool_anthropic() -> Value {
    json!({
        "name": RETRIEVE_TOOL_NAME,
        "description": TOOL_DESCRIPTION,
        "input_schema": parameters_schema()
    })
}

/// Answers a `kompress_retrieve` call. `arguments` is the call's arguments as either an object
/// (Anthropic's `input`) or a JSON string holding one (OpenAI's `function.arguments`). A handle
/// or query that finds nothing is answered in words for the model; malformed arguments are an
/// error.
pub fn answer_tool_call(
    store: &dyn MemoryStore,
    tenant: &str,
    session: Option<&str>,
    arguments: &Value,
) -> Result<String> {
    let parsed;
    let args = match arguments {
        Value::String(s) => {
            parsed = serde_json::from_str::<Value>(s).map_err(|e| MemoryError::ToolCall {
                reason: format!("arguments are not JSON: {e}"),
            })?;
            &parsed
        }
        other => other,
    };
    let obj = args.as_object().ok_or_else(|| MemoryError::ToolCall {
        reason: "arguments must be an object".into(),
    })?;
    if let Some(key) = obj.keys().find(|k| *k != "handle" && *k != "query") {
        return Err(MemoryError::ToolCall {
            reason: format!("unknown argument `{key}`"),
        });
    }
    let field = |name: &str| -> Result<Option<&str>> {
        match obj.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim())),
            Some(_) => Err(MemoryError::ToolCall {
                reason: format!("`{name}` must be a non-empty string"),
            }),
        }
    };
    if let Some(handle) = field("handle")? {
        let handle = handle.trim_start_matches("ref=");
        return Ok(match store.get_by_handle(tenant, session, handle)? {
            Some(r) => cap(r.text),
            None => format!("No elided text with ref={handle} is stored for this conversation."),
        });
    }
    let Some(query) = field("query")? else {
        return Err(MemoryError::ToolCall {
            reason: "give `handle` or `query`".into(),
        });
    };
    let hits = store.search(tenant, session, query, TOOL_SEARCH_LIMIT)?;
    if hits.is_empty() {
        return Ok(format!("No elided text matches {query:?}."));
    }
    let mut out = String::new();
    for h in hits {
        out.push_str(&format!(
            "--- ref={} (message {})\n",
            h.handle, h.message_index
        ));
        out.push_str(&h.text);
        if !h.text.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(cap(out))
}

fn cap(mut text: String) -> String {
    if text.len() <= TOOL_ANSWER_MAX_BYTES {
        return text;
    }
    let mut cut = TOOL_ANSWER_MAX_BYTES;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    if let Some(nl) = text[..cut].rfind('\n') {
        cut = nl + 1;
    }
    let dropped = text.len() - cut;
    text.truncate(cut);
    text.push_str(&format!("[… {dropped} more bytes not shown]\n"));
    text
}

/// A record whose text the scrubber changed: its range restores with placeholders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScrubbedRange {
    pub handle: String,
    pub message_index: u32,
    pub start: u64,
    pub end: u64,
}

/// A rebuilt transcript; byte-exact unless `scrubbed` lists records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestoredTranscript {
    pub text: String,
    pub scrubbed: Vec<ScrubbedRange>,
}

impl RestoredTranscript {
    pub fn is_byte_exact(&self) -> bool {
        self.scrubbed.is_empty()
    }
}

/// Rebuilds the original transcript from its compressed form and the tenant's stored
/// evictions, and says which records (if any) the scrubber changed.
pub fn restore_transcript_report(
    store: &dyn MemoryStore,
    tenant: &str,
    transcript_id: &str,
    compressed: &str,
) -> Result<RestoredTranscript> {
    let records = store.transcript_records(tenant, transcript_id)?;
    let scrubbed = records
        .iter()
        .filter(|r| r.scrubbed)
        .map(|r| ScrubbedRange {
            handle: r.eviction.handle.clone(),
            message_index: r.eviction.message_index,
            start: r.eviction.start,
            end: r.eviction.end,
        })
        .collect();
    let evictions: Vec<_> = records.into_iter().map(|r| r.eviction).collect();
    let text =
        kompress_core::restore(compressed, &evictions).map_err(|source| MemoryError::Restore {
            transcript_id: transcript_id.to_owned(),
            source,
        })?;
    Ok(RestoredTranscript { text, scrubbed })
}

/// Rebuilds the original transcript; see [`restore_transcript_report`] to learn whether
/// scrubbed records make it differ from the original.
pub fn restore_transcript(
    store: &dyn MemoryStore,
    tenant: &str,
    transcript_id: &str,
    compressed: &str,
) -> Result<String> {
    restore_transcript_report(store, tenant, transcript_id, compressed).map(|r| r.text)
}
