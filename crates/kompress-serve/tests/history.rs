//! History-aware compaction through the proxy, against a scripted session: an agent that
//! lists a directory on every turn and sends its whole history each time, as clients do.
//! Old tool results are compacted in steps; between steps every forwarded request starts
//! with the previous one byte for byte; an expensive cache write holds compaction back; and a
//! compacted result's markers resolve for its tenant.

mod common;

use common::*;
use kompress_serve::history::Prices;
use serde_json::{json, Value};

/// A `ls -la` of 80 entries whose names depend on `seed`.
fn listing(seed: usize) -> String {
    let mut s = format!("total {}\n", 400 + seed);
    for i in 0..80 {
        let size = 1000 + (seed * 7919 + i * 104_729) % 90_000;
        s.push_str(&format!(
            "-rw-r--r--  1 dev dev {size:>6} Dec  3 10:{:02} module_{seed}_{i}.rs\n",
            i % 60
        ));
    }
    s
}

/// The OpenAI request of turn `turns` (1-based): one call and its result per turn, then the
/// next question. `messages` comes last, so a request without its final `]}` is the prefix
/// the next turn repeats.
fn openai_session(turns: usize) -> String {
    let mut msgs = vec![json!({"role": "user", "content": "tidy the crate"}).to_string()];
    for t in 0..turns {
        msgs.push(json!({"role": "assistant", "content": null, "tool_calls": [
            {"id": format!("c{t}"), "type": "function", "function": {"name": "ls", "arguments": "{}"}}]})
        .to_string());
        msgs.push(
            json!({"role": "tool", "tool_call_id": format!("c{t}"), "content": listing(t)})
                .to_string(),
        );
    }
    format!(r#"{{"model":"gpt-x","messages":[{}]}}"#, msgs.join(","))
}

fn anthropic_session(turns: usize) -> String {
    let mut msgs = vec![json!({"role": "user", "content": "tidy the crate"}).to_string()];
    for t in 0..turns {
        msgs.push(
            json!({"role": "assistant", "content": [
            {"type": "tool_use", "id": format!("t{t}"), "name": "ls", "input": {}}]})
            .to_string(),
        );
        msgs.push(
            json!({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": format!("t{t}"), "content": listing(t)}]})
            .to_string(),
        );
    }
    format!(
        r#"{{"model":"claude-x","max_tokens":64,"messages":[{}]}}"#,
        msgs.join(",")
    )
}

/// A proxy to `up` with a memory store in `dir` (compaction needs one: what it removes must
/// stay retrievable).
fn config(
    up: &str,
    dir: &tempfile::TempDir,
    keep_recent: usize,
    step: usize,
) -> kompress_serve::ServeConfig {
    let mut cfg = proxy_config(up);
    cfg.memory = Some(kompress_memory::MemoryConfig::sqlite(
        dir.path().join("mem.db"),
    ));
    cfg.proxy.history.keep_recent = keep_recent;
    cfg.proxy.history.step = step;
    cfg
}

/// A forwarded request up to the end of its last message: the bytes the next turn must
/// repeat (the proxy may have appended `tools` after the messages).
fn history_part(body: &str) -> &str {
    match body.find(r#"],"tools":["#) {
        Some(at) => &body[..at],
        None => &body[..body.len() - 2],
    }
}

/// The turns (1-based) whose forwarded request does not start with the previous one's.
fn prefix_breaks(bodies: &[String]) -> Vec<usize> {
    (1..bodies.len())
        .filter(|&i| !bodies[i].starts_with(history_part(&bodies[i - 1])))
        .map(|i| i + 1)
        .collect()
}

fn tool_text(body: &str, i: usize) -> String {
    let v: Value = serde_json::from_str(body).unwrap();
    v["messages"][2 + 2 * i]["content"]
        .as_str()
        .unwrap()
        .to_string()
}

#[actix_web::test]
async fn old_tool_results_are_compacted_in_steps_and_the_prefix_breaks_only_there() {
    let (up, log) = fake_upstream();
    let dir = tempfile::tempdir().unwrap();
    let b = serve(config(&up, &dir, 3, 2));
    replay(&b, "/v1/chat/completions", "s-hist", openai_session, 12).await;
    let sent = bodies(&log);
    // OpenAI prices (no write premium): every step pays. The first step is reached with
    // keep_recent + step = 5 results, then every 2 more.
    assert_eq!(prefix_breaks(&sent), [5, 7, 9, 11]);
    let last = sent.last().unwrap();
    let normal = tool_text(&sent[0], 0);
    let compacted = tool_text(last, 0);
    assert!(
        compacted.len() * 2 < normal.len(),
        "compacted {} vs {} bytes",
        compacted.len(),
        normal.len()
    );
    for (t, arrived) in sent.iter().enumerate().skip(9) {
        // the newest keep_recent results compress as usual: as on the turn they arrived
        assert_eq!(tool_text(last, t), tool_text(arrived, t), "result {t}");
    }
    assert_eq!(tool_text(last, 8), tool_text(&sent[8], 8), "not yet a step");
    // the compacted result's handles resolve for the tenant that sent it
    let at = compacted
        .find("ref=")
        .expect("a marker in the compacted result");
    let handle = &compacted[at + 4..at + 12];
    let body = json!({"tenant": "acme", "session": "s-hist", "handle": handle}).to_string();
    let (status, v) = post(&url(&b, "/v1/retrieve"), body).await;
    assert_eq!(status, 200);
    assert!(listing(0).contains(v["text"].as_str().unwrap()));
}

#[actix_web::test]
async fn an_expensive_cache_write_holds_compaction_back_on_a_short_session() {
    // Anthropic's defaults (write 1.25, read 0.1): 12 turns never pay for a re-write
    let (up, log) = fake_upstream();
    let dir = tempfile::tempdir().unwrap();
    let b = serve(config(&up, &dir, 3, 2));
    replay(&b, "/v1/messages", "s-hist", anthropic_session, 12).await;
    assert!(prefix_breaks(&bodies(&log)).is_empty());
}

#[actix_web::test]
async fn an_upstreams_own_prices_decide_its_steps() {
    let (up, log) = fake_upstream();
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&up, &dir, 3, 2);
    let cheap = Prices {
        cache_write: 0.2,
        cache_read: 0.1,
    };
    cfg.proxy.history.prices.insert("fake".into(), cheap);
    let b = serve(cfg);
    replay(&b, "/v1/messages", "s-hist", anthropic_session, 8).await;
    assert_eq!(prefix_breaks(&bodies(&log)), [5, 7]);
}

#[actix_web::test]
async fn compaction_off_keeps_every_prefix() {
    let (up, log) = fake_upstream();
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&up, &dir, 3, 2);
    cfg.proxy.history.enabled = false;
    let b = serve(cfg);
    replay(&b, "/v1/chat/completions", "s-hist", openai_session, 9).await;
    assert!(prefix_breaks(&bodies(&log)).is_empty());
}

#[actix_web::test]
async fn without_a_memory_store_nothing_is_compacted() {
    // what compaction removes could not be retrieved: it does not happen
    let (up, log) = fake_upstream();
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&up, &dir, 3, 2);
    cfg.memory = None;
    let b = serve(cfg);
    replay(&b, "/v1/chat/completions", "s-hist", openai_session, 9).await;
    assert!(prefix_breaks(&bodies(&log)).is_empty());
}

/// As `openai_session`, but the call after the first listing opens one of its entries.
fn openai_session_citing(turns: usize) -> String {
    openai_session(turns).replacen(
        r#""arguments":"{}","name":"ls"},"id":"c1""#,
        r#""arguments":"{\"open\": \"module_0_42.rs\"}","name":"ls"},"id":"c1""#,
        1,
    )
}

#[actix_web::test]
async fn a_compacted_result_keeps_the_lines_the_agent_cited_after_it() {
    let (up, log) = fake_upstream();
    let dir = tempfile::tempdir().unwrap();
    let b = serve(config(&up, &dir, 3, 2));
    replay(
        &b,
        "/v1/chat/completions",
        "s-hist",
        openai_session_citing,
        8,
    )
    .await;
    let sent = bodies(&log);
    assert!(
        sent[1].contains(r#"module_0_42.rs\"}"#),
        "the session cites the entry"
    );
    assert_eq!(prefix_breaks(&sent), [5, 7]);
    let compacted = tool_text(sent.last().unwrap(), 0);
    let line = listing(0)
        .lines()
        .find(|l| l.ends_with(" module_0_42.rs"))
        .unwrap()
        .to_string();
    assert!(compacted.contains(&format!("\n{line}\n")), "{compacted}");
    assert!(compacted.len() * 2 < listing(0).len(), "still compacted");
    // the uncited neighbours are gone from view
    assert!(!compacted.contains(" module_0_41.rs\n"));
}
