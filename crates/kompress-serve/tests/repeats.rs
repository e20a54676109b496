//! Repeat elision through the proxy: an agent views a file, then views part of it again; the
//! second view's repeated lines become one marker naming the result that shows them, on both
//! APIs, the same bytes on every later turn, retrievable through the marker's handle, and
//! the request is restorable byte for byte from the evictions.

mod common;

use common::*;
use serde_json::{json, Value};

/// `nl -ba file.py | sed -n 'FROM,TOp'`: numbered source lines.
fn view(from: usize, to: usize) -> String {
    (from..=to)
        .map(|i| format!("{i:>6}\t        total_{i} = accumulate(records[{i}], weight_{i})\n"))
        .collect()
}

fn calls() -> Vec<(String, String)> {
    vec![
        ("nl -ba stats.py | sed -n '1,60p'".into(), view(1, 60)),
        ("sed -i 's/x/y/' stats.py".into(), String::new()),
        ("nl -ba stats.py | sed -n '20,40p'".into(), view(20, 40)),
    ]
}

fn openai(turns: usize) -> String {
    let mut msgs = vec![json!({"role": "user", "content": "fix the weights"})];
    for (t, (cmd, out)) in calls().into_iter().take(turns).enumerate() {
        msgs.push(json!({"role": "assistant", "content": null, "tool_calls": [{"id": format!("c{t}"),
            "type": "function", "function": {"name": "bash", "arguments": json!({"command": cmd}).to_string()}}]}));
        msgs.push(json!({"role": "tool", "tool_call_id": format!("c{t}"),
            "content": format!("<returncode>0</returncode>\n{out}")}));
    }
    json!({"model": "gpt-x", "messages": msgs}).to_string()
}

fn anthropic(turns: usize) -> String {
    let mut msgs = vec![json!({"role": "user", "content": "fix the weights"})];
    for (t, (cmd, out)) in calls().into_iter().take(turns).enumerate() {
        msgs.push(
            json!({"role": "assistant", "content": [{"type": "tool_use", "id": format!("t{t}"),
            "name": "bash", "input": {"command": cmd}}]}),
        );
        msgs.push(json!({"role": "user", "content": [{"type": "tool_result", "tool_use_id": format!("t{t}"),
            "content": format!("<returncode>0</returncode>\n{out}")}]}));
    }
    json!({"model": "claude-x", "max_tokens": 64, "messages": msgs}).to_string()
}

fn tool_text(body: &str, anthropic: bool, i: usize) -> String {
    let v: Value = serde_json::from_str(body).unwrap();
    let m = &v["messages"][2 + 2 * i];
    let c = if anthropic {
        &m["content"][0]["content"]
    } else {
        &m["content"]
    };
    c.as_str().unwrap().to_string()
}

async fn replay_view(route: &str, session: fn(usize) -> String, anthropic: bool) {
    let (up, log) = fake_upstream();
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = proxy_config(&up);
    cfg.memory = Some(kompress_memory::MemoryConfig::sqlite(
        dir.path().join("mem.db"),
    ));
    let b = serve(cfg);
    replay(&b, route, "s-rep", session, 3).await;
    let sent = bodies(&log);
    let last = sent.last().unwrap();
    let first_view = tool_text(last, anthropic, 0);
    assert!(first_view.contains(&view(1, 60)), "the first view is whole");
    let again = tool_text(last, anthropic, 2);
    assert!(
        // the status line repeats too: it is part of the run
        again.starts_with("[…22 lines as in tool result 1 above, ref="),
        "{again}"
    );
    assert!(again.len() < 100, "{again}");
    assert_eq!(
        tool_text(&sent[1], anthropic, 0),
        first_view,
        "earlier results keep their bytes on the turn the repeat arrives"
    );
    let at = again.find("ref=").unwrap();
    let handle = &again[at + 4..at + 12];
    let body = json!({"tenant": "acme", "session": "s-rep", "handle": handle}).to_string();
    let (status, v) = post(&url(&b, "/v1/retrieve"), body).await;
    assert_eq!(status, 200);
    let original = format!("<returncode>0</returncode>\n{}", view(20, 40));
    assert_eq!(v["text"].as_str().unwrap(), original);
}

#[actix_web::test]
async fn a_range_viewed_again_is_one_marker_on_chat_completions() {
    replay_view("/v1/chat/completions", openai, false).await;
}

#[actix_web::test]
async fn a_range_viewed_again_is_one_marker_on_messages() {
    replay_view("/v1/messages", anthropic, true).await;
}
