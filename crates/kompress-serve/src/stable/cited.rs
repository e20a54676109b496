//! What the agent cited: when history compaction hides most of an old tool result, the lines
//! that hold a word the agent itself wrote afterwards (in its reasoning, its commands, its
//! edits) stay. A file path it opened, a function it patched, a line number it jumped to:
//! the agent has shown those lines matter. A word pins a line only where it is rare in that
//! result (on at most [`MAX_LINES`] lines), so `self` or `return` pin nothing.
//!
//! Prefix stability: the citations that count for result `j` are the assistant messages
//! between it and the end of the window of the first step that can compact it, so every
//! later request sees the same ones.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use kompress_core::EvictionKind;
use kompress_pipeline::jsonspan::{JNode, JVal};
use kompress_rewrite::marker::lines_marker;

use super::compact::Result1;
use super::edit::{line_run, lines, removed, touched};
use super::Compressed;

/// A cited word pins the lines that hold it when it is on at most this many of them.
pub const MAX_LINES: usize = 3;

/// Words worth citing: identifier runs of 3+ characters, and numbers of 2+ digits, also
/// inside a run (`sed -n '12,14p'` cites lines 12 and 14).
fn words(s: &str) -> impl Iterator<Item = &str> {
    let ident = s
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.len() >= 3);
    let digits = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| w.len() >= 2);
    ident.chain(digits)
}

fn strings<'a>(n: &'a JNode, out: &mut Vec<&'a str>) {
    match &n.val {
        JVal::Str { value, .. } => out.push(value),
        JVal::Arr(a) => a.iter().for_each(|x| strings(x, out)),
        JVal::Obj(o) => o.iter().for_each(|(_, x)| strings(x, out)),
        _ => {}
    }
}

/// The words of every assistant message (and Responses call item), with the message's start.
pub(super) fn assistant_words(messages: &[JNode]) -> Vec<(usize, HashSet<String>)> {
    messages
        .iter()
        .filter(|m| {
            m.get("role").and_then(JNode::as_str) == Some("assistant")
                || matches!(
                    m.get("type").and_then(JNode::as_str),
                    Some("function_call" | "custom_tool_call" | "local_shell_call")
                )
        })
        .map(|m| {
            let mut s = Vec::new();
            strings(m, &mut s);
            let w = s
                .iter()
                .flat_map(|t| words(t))
                .map(str::to_string)
                .collect();
            (m.span.start, w)
        })
        .collect()
}

/// `c` (a compacted version of `text`) with the lines that hold a rare cited word kept.
pub(super) fn keep_cited(text: &str, c: Result1, cited: &HashSet<&str>) -> Result1 {
    let Some(comp) = c.0.as_ref() else { return c };
    if cited.is_empty() || comp.edits.is_empty() {
        return c;
    }
    let spans = lines(text);
    let mut on: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, line) in spans.iter().enumerate() {
        let mut seen = HashSet::new();
        for w in words(line.with_terminator(text)) {
            if cited.contains(w) && seen.insert(w) {
                on.entry(w).or_default().push(i);
            }
        }
    }
    let pinned: HashSet<usize> = on
        .values()
        .filter(|l| l.len() <= MAX_LINES)
        .flatten()
        .copied()
        .collect();
    if pinned.is_empty() {
        return c;
    }
    let mut edits = Vec::with_capacity(comp.edits.len());
    for ev in &comp.edits {
        let lines_hit = touched(&spans, ev.start as usize, ev.end as usize);
        if !lines_hit.clone().any(|i| pinned.contains(&i)) {
            edits.push(ev.clone());
            continue;
        }
        if ev.kind != EvictionKind::Lines {
            continue; // an inline elision on a pinned line: the line stays whole
        }
        // split the run around its pinned lines
        let mut from = lines_hit.start;
        for i in lines_hit.clone().chain([lines_hit.end]) {
            if i == lines_hit.end || pinned.contains(&i) {
                if from < i {
                    edits.push(line_run(text, &spans, from..i, |h| {
                        lines_marker(i - from, h)
                    }));
                }
                from = i + 1;
            }
        }
    }
    // what the edits removed before, less what they remove now, is what is put back
    let back = (removed(&comp.edits) - removed(&edits)).max(0) as usize;
    let out = Compressed {
        edits,
        tokens_in: comp.tokens_in,
        tokens_out: comp.tokens_out + back,
        floor_hits: comp.floor_hits,
    };
    (Some(Arc::new(out)), c.1)
}

#[cfg(test)]
mod tests {
    use super::super::edit::{render as apply, tokens};
    use super::*;
    use kompress_core::restore;

    fn text() -> String {
        (1..=20)
            .map(|i| format!("{i:>4}  def helper_{i}(self):\n"))
            .collect()
    }

    fn all_elided(t: &str) -> Result1 {
        let ev = line_run(t, &lines(t), 0..20, |h| lines_marker(20, h));
        let c = Compressed {
            edits: vec![ev],
            tokens_in: tokens(t),
            tokens_out: 6,
            floor_hits: 0,
        };
        (Some(Arc::new(c)), false)
    }

    fn render(t: &str, r: &Result1) -> String {
        apply(t, &r.0.as_ref().unwrap().edits)
    }

    #[test]
    fn a_cited_line_survives_compaction_between_two_markers() {
        let t = text();
        let cited: HashSet<&str> = ["helper_7"].into_iter().collect();
        let r = keep_cited(&t, all_elided(&t), &cited);
        let out = render(&t, &r);
        assert!(out.starts_with("[…6 lines, ref="), "{out}");
        assert!(
            out.contains("\n   7  def helper_7(self):\n[…13 lines, ref="),
            "{out}"
        );
        let c = r.0.as_ref().unwrap();
        assert_eq!(restore(&out, &c.edits).unwrap(), t);
        assert!(c.tokens_out > 6);
    }

    #[test]
    fn a_word_on_many_lines_pins_nothing() {
        let t = text();
        let cited: HashSet<&str> = ["self", "def"].into_iter().collect();
        let r = keep_cited(&t, all_elided(&t), &cited);
        assert_eq!(render(&t, &r), render(&t, &all_elided(&t)));
    }

    #[test]
    fn assistant_words_come_from_calls_and_text_only() {
        let src = r#"{"messages":[{"role":"user","content":"fix helper_3"},
            {"role":"assistant","content":"look at helper_7","tool_calls":[{"id":"c1","type":"function",
             "function":{"name":"bash","arguments":"{\"command\":\"sed -n '12,14p' a.py\"}"}}]},
            {"role":"tool","tool_call_id":"c1","content":"helper_9"}]}"#;
        let root = kompress_pipeline::jsonspan::parse(src).unwrap();
        let msgs = root.get("messages").unwrap().as_array().unwrap();
        let w = assistant_words(msgs);
        assert_eq!(w.len(), 1);
        for x in ["helper_7", "sed", "12", "14", "command"] {
            assert!(w[0].1.contains(x), "{x}");
        }
        assert!(!w[0].1.contains("helper_3") && !w[0].1.contains("helper_9"));
    }
}
