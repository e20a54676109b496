//! Which strings of a JSON transcript get compressed: OpenAI Chat Completions, Anthropic
//! Messages and OpenAI Responses shapes, told apart automatically or by name. Everything else
//! stays byte-identical.

use std::ops::Range;

use kompress_core::{CoreError, Format, KNOWN_ROLES};

use crate::jsonspan::{JNode, JVal};

/// One compressible string of a transcript.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub message_index: u32,
    /// The role used for the compress policy (`tool` for Anthropic tool results).
    pub role: String,
    /// Raw literal range (without quotes) in the document.
    pub raw: Range<usize>,
    pub text: String,
}

const OPENAI_ROLES: &str = "system, developer, user, assistant, tool, function";
const ANTHROPIC_ROLES: &str = "user, assistant";
const RESPONSES_ROLES: &str = "system, developer, user, assistant";

/// Responses items whose `output` is a tool's result.
const RESPONSES_OUTPUTS: [&str; 3] = [
    "function_call_output",
    "custom_tool_call_output",
    "local_shell_call_output",
];

/// The messages array: the document itself, or its `messages` field (Responses: its `input`
/// field, which may also be one string, so no items; or `messages`, as a Kafka envelope
/// carries them).
fn messages<'a>(root: &'a JNode, format: &'static str) -> Result<&'a [JNode], CoreError> {
    let responses = format == "responses";
    let field = if responses { "input" } else { "messages" };
    let msgs = match &root.val {
        JVal::Arr(a) => a.as_slice(),
        JVal::Obj(_) if responses && root.get("input").and_then(JNode::as_str).is_some() => &[],
        JVal::Obj(_) => root
            .get(field)
            .or_else(|| root.get("messages").filter(|_| responses))
            .and_then(JNode::as_array)
            .ok_or_else(|| CoreError::Schema {
                format,
                reason: format!("expected a `{field}` array or a top-level array of messages"),
            })?,
        _ => {
            return Err(CoreError::Schema {
                format,
                reason: "expected a JSON object or array".into(),
            })
        }
    };
    Ok(msgs)
}

/// Tells the shapes apart: a Responses request has `input` and no `messages` (a bare array:
/// items with a `type` such as `function_call_output`); Anthropic has `tool_result`/`tool_use`
/// blocks or a top-level `system`; OpenAI has `tool`/`system` roles and `tool_calls`.
pub fn detect(root: &JNode) -> Format {
    if root.get("messages").is_none() && root.get("input").is_some() {
        return Format::Responses;
    }
    if let JVal::Arr(items) = &root.val {
        let is_item = |m: &JNode| {
            m.get("type").and_then(JNode::as_str).is_some_and(|t| {
                RESPONSES_OUTPUTS.contains(&t) || matches!(t, "function_call" | "reasoning")
            })
        };
        if items.iter().any(is_item) {
            return Format::Responses;
        }
    }
    let Ok(msgs) = messages(root, "auto") else {
        return Format::OpenAi;
    };
    for m in msgs {
        if let Some(blocks) = m.get("content").and_then(JNode::as_array) {
            for b in blocks {
                if matches!(
                    b.get("type").and_then(JNode::as_str),
                    Some("tool_result" | "tool_use")
                ) {
                    return Format::Anthropic;
                }
            }
        }
        if matches!(
            m.get("role").and_then(JNode::as_str),
            Some("tool" | "system" | "function" | "developer")
        ) || m.get("tool_calls").is_some()
        {
            return Format::OpenAi;
        }
    }
    if root.get("system").is_some() {
        return Format::Anthropic;
    }
    Format::OpenAi
}

fn push_str(out: &mut Vec<Segment>, node: &JNode, idx: usize, role: &str) {
    if let JVal::Str { raw, value } = &node.val {
        out.push(Segment {
            message_index: idx as u32,
            role: role.to_string(),
            raw: raw.clone(),
            text: value.clone(),
        });
    }
}

/// Text parts of a content value: a string, or an array of `{"type": "text", "text": …}`
/// (Responses: `input_text`, `output_text`).
fn push_content(out: &mut Vec<Segment>, content: &JNode, idx: usize, role: &str) {
    match &content.val {
        JVal::Str { .. } => push_str(out, content, idx, role),
        JVal::Arr(parts) => {
            for p in parts {
                let kind = p.get("type").and_then(JNode::as_str);
                if matches!(kind, Some("text" | "input_text" | "output_text")) {
                    if let Some(t) = p.get("text") {
                        push_str(out, t, idx, role);
                    }
                }
            }
        }
        _ => {}
    }
}

/// All compressible strings whose role is in `roles`, in document order.
pub fn segments(root: &JNode, format: Format, roles: &[String]) -> Result<Vec<Segment>, CoreError> {
    let format = if format == Format::Auto {
        detect(root)
    } else {
        format
    };
    let (name, expected) = match format {
        Format::Anthropic => ("anthropic", ANTHROPIC_ROLES),
        Format::Responses => return responses_segments(root, roles),
        _ => ("openai", OPENAI_ROLES),
    };
    let msgs = messages(root, name)?;
    let mut out = Vec::new();
    for (i, m) in msgs.iter().enumerate() {
        if !matches!(m.val, JVal::Obj(_)) {
            return Err(CoreError::Schema {
                format: name,
                reason: format!("message {i} is not an object"),
            });
        }
        let role = m
            .get("role")
            .and_then(JNode::as_str)
            .ok_or_else(|| CoreError::Schema {
                format: name,
                reason: format!("message {i} has no string `role`"),
            })?;
        let known = match format {
            Format::Anthropic => matches!(role, "user" | "assistant"),
            _ => KNOWN_ROLES.contains(&role),
        };
        if !known {
            return Err(CoreError::UnknownRole {
                index: i,
                role: role.to_string(),
                expected,
            });
        }
        let Some(content) = m.get("content") else {
            continue;
        };
        let wants = |r: &str| roles.iter().any(|x| x == r);
        match format {
            Format::Anthropic => match &content.val {
                JVal::Arr(blocks) => {
                    for b in blocks {
                        match b.get("type").and_then(JNode::as_str) {
                            Some("text") if wants(role) => {
                                if let Some(t) = b.get("text") {
                                    push_str(&mut out, t, i, role);
                                }
                            }
                            Some("tool_result") if wants("tool") => {
                                if let Some(c) = b.get("content") {
                                    push_content(&mut out, c, i, "tool");
                                }
                            }
                            _ => {}
                        }
                    }
                }
                _ if wants(role) => push_content(&mut out, content, i, role),
                _ => {}
            },
            _ => {
                let policy_role = if role == "function" { "tool" } else { role };
                if wants(policy_role) {
                    push_content(&mut out, content, i, policy_role);
                }
            }
        }
    }
    Ok(out)
}

/// The Responses API's compressible strings: tool outputs (`function_call_output` and its
/// kin, role `tool`) and message items' text (`type: "message"` or a bare `{role, content}`).
/// Other items (calls, reasoning, searches) are copied as they are.
fn responses_segments(root: &JNode, roles: &[String]) -> Result<Vec<Segment>, CoreError> {
    let name = "responses";
    let items = messages(root, name)?;
    let wants = |r: &str| roles.iter().any(|x| x == r);
    let mut out = Vec::new();
    for (i, m) in items.iter().enumerate() {
        if !matches!(m.val, JVal::Obj(_)) {
            return Err(CoreError::Schema {
                format: name,
                reason: format!("input item {i} is not an object"),
            });
        }
        let kind = m.get("type").and_then(JNode::as_str);
        if kind.is_some_and(|k| RESPONSES_OUTPUTS.contains(&k)) {
            if let (true, Some(o)) = (wants("tool"), m.get("output")) {
                push_content(&mut out, o, i, "tool");
            }
            continue;
        }
        if !matches!(kind, None | Some("message")) {
            continue;
        }
        let role = m
            .get("role")
            .and_then(JNode::as_str)
            .ok_or_else(|| CoreError::Schema {
                format: name,
                reason: format!("message item {i} has no string `role`"),
            })?;
        if !matches!(role, "system" | "developer" | "user" | "assistant") {
            return Err(CoreError::UnknownRole {
                index: i,
                role: role.to_string(),
                expected: RESPONSES_ROLES,
            });
        }
        if let (true, Some(c)) = (wants(role), m.get("content")) {
            push_content(&mut out, c, i, role);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsonspan::parse;

    fn roles(r: &[&str]) -> Vec<String> {
        r.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn openai_tool_messages_are_found() {
        let src = r#"{"messages":[{"role":"system","content":"be brief"},{"role":"assistant","content":null,"tool_calls":[{"id":"1"}]},{"role":"tool","tool_call_id":"1","content":"line1\nline2"}]}"#;
        let root = parse(src).unwrap();
        assert_eq!(detect(&root), Format::OpenAi);
        let s = segments(&root, Format::Auto, &roles(&["tool"])).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].message_index, 2);
        assert_eq!(s[0].text, "line1\nline2");
    }

    #[test]
    fn anthropic_tool_results_are_found_in_user_messages() {
        let src = r#"{"system":"x","messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"out"}]},{"type":"text","text":"and?"}]}]}"#;
        let root = parse(src).unwrap();
        assert_eq!(detect(&root), Format::Anthropic);
        let s = segments(&root, Format::Auto, &roles(&["tool"])).unwrap();
        assert_eq!(
            s.iter().map(|s| s.text.as_str()).collect::<Vec<_>>(),
            ["out"]
        );
    }

    #[test]
    fn responses_tool_outputs_and_message_text_are_found_and_calls_are_not() {
        let src = r#"{"model":"m","instructions":"be brief","input":[
            {"type":"message","role":"user","content":[{"type":"input_text","text":"fix it"}]},
            {"type":"function_call","call_id":"c1","name":"shell","arguments":"{\"cmd\":\"ls\"}"},
            {"type":"function_call_output","call_id":"c1","output":"a.rs\nb.rs"},
            {"type":"reasoning","summary":[]},
            {"role":"assistant","content":"done"}]}"#;
        let root = parse(src).unwrap();
        assert_eq!(detect(&root), Format::Responses);
        let tool = segments(&root, Format::Auto, &roles(&["tool"])).unwrap();
        assert_eq!(tool.len(), 1);
        assert_eq!(
            (tool[0].message_index, tool[0].text.as_str()),
            (2, "a.rs\nb.rs")
        );
        let all = segments(
            &root,
            Format::Responses,
            &roles(&["tool", "user", "assistant"]),
        );
        let texts: Vec<_> = all.unwrap().into_iter().map(|s| s.text).collect();
        assert_eq!(texts, ["fix it", "a.rs\nb.rs", "done"]);
    }

    #[test]
    fn a_responses_string_input_has_nothing_to_compress_and_a_bad_role_is_typed() {
        let root = parse(r#"{"model":"m","input":"hello"}"#).unwrap();
        assert_eq!(detect(&root), Format::Responses);
        assert!(segments(&root, Format::Auto, &roles(&["tool"]))
            .unwrap()
            .is_empty());
        let root = parse(r#"{"input":[{"type":"message","role":"tool","content":"x"}]}"#).unwrap();
        let e = segments(&root, Format::Responses, &roles(&["tool"])).unwrap_err();
        assert!(matches!(e, CoreError::UnknownRole { index: 0, .. }), "{e}");
    }

    #[test]
    fn unknown_role_is_a_typed_error() {
        let root = parse(r#"[{"role":"wizard","content":"x"}]"#).unwrap();
        let e = segments(&root, Format::OpenAi, &roles(&["tool"])).unwrap_err();
        assert!(matches!(e, CoreError::UnknownRole { index: 0, .. }), "{e}");
    }

    #[test]
    fn missing_messages_is_a_schema_error() {
        let root = parse(r#"{"model":"x"}"#).unwrap();
        assert!(matches!(
            segments(&root, Format::OpenAi, &[]),
            Err(CoreError::Schema { .. })
        ));
    }
}
