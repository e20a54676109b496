//! The `kompress_retrieve` tool: its definitions and the answers the store gives to its calls.

mod common;

use common::{evict_alternate_runs, log_text, open, records};
use kompress_memory::{
    answer_tool_call, retrieve, retrieve_tool_anthropic, retrieve_tool_openai, MemoryError,
    MemoryStore, RETRIEVE_TOOL_NAME,
};
use serde_json::json;

fn stored(dir: &std::path::Path) -> (kompress_memory::SqliteStore, Vec<kompress_core::Eviction>) {
    let store = open(dir);
    let text = log_text("ConnectionResetError", 12);
    let (_, ev) = evict_alternate_runs("t", 0, &text, 3);
    store.put_batch(&records("acme", "s1", &ev)).unwrap();
    (store, ev)
}

#[test]
fn tool_definitions_have_the_openai_and_anthropic_shapes() {
    let openai = retrieve_tool_openai();
    assert_eq!(openai["type"], "function");
    assert_eq!(openai["function"]["name"], RETRIEVE_TOOL_NAME);
    assert_eq!(openai["function"]["parameters"]["type"], "object");
    assert!(openai["function"]["parameters"]["properties"]["handle"].is_object());
    let anthropic = retrieve_tool_anthropic();
    assert_eq!(anthropic["name"], RETRIEVE_TOOL_NAME);
    assert_eq!(anthropic["input_schema"], openai["function"]["parameters"]);
    assert!(anthropic["description"].as_str().unwrap().contains("ref="));
}

#[test]
fn a_handle_call_returns_the_exact_evicted_text() {
    let dir = tempfile::tempdir().unwrap();
    let (store, ev) = stored(dir.path());
    for e in &ev {
        // Anthropic passes an object, OpenAI a JSON string; both work.
        let obj = answer_tool_call(&store, "acme", Some("s1"), &json!({ "handle": e.handle }));
        assert_eq!(obj.unwrap(), e.original);
        let s = json!(format!("{{\"handle\": \"ref={}\"}}", e.handle));
        assert_eq!(
            answer_tool_call(&store, "acme", Some("s1"), &s).unwrap(),
            e.original
        );
        let r = retrieve(&store, "acme", Some("s1"), &e.handle)
            .unwrap()
            .unwrap();
        assert_eq!(
            (r.text.as_str(), r.start, r.end),
            (e.original.as_str(), e.start, e.end)
        );
    }
}

#[test]
fn a_query_call_returns_ranked_hits_with_their_refs() {
    let dir = tempfile::tempdir().unwrap();
    let (store, ev) = stored(dir.path());
    let answer = answer_tool_call(
        &store,
        "acme",
        None,
        &json!({ "query": "ConnectionResetError" }),
    )
    .unwrap();
    assert!(
        answer.contains(&format!("ref={}", ev[0].handle)),
        "{answer}"
    );
    let hits = store
        .search("acme", None, "line 4 ConnectionResetError", 10)
        .unwrap();
    assert!(hits[0].text.contains("line 4 "), "best hit first: {hits:?}");
    assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn unknown_handles_and_queries_are_answered_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = stored(dir.path());
    let a = answer_tool_call(&store, "acme", None, &json!({ "handle": "ffffffff" })).unwrap();
    assert!(a.starts_with("No elided text with ref=ffffffff"), "{a}");
    let a = answer_tool_call(&store, "acme", None, &json!({ "query": "zzzunknown" })).unwrap();
    assert!(a.starts_with("No elided text matches"), "{a}");
}

#[test]
fn malformed_tool_calls_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = stored(dir.path());
    for args in [
        json!("not json"),
        json!([1, 2]),
        json!({}),
        json!({ "handle": 7 }),
        json!({ "handle": "ab12cd34", "path": "/etc/passwd" }),
    ] {
        let err = answer_tool_call(&store, "acme", None, &args).unwrap_err();
        assert!(matches!(err, MemoryError::ToolCall { .. }), "{args}: {err}");
    }
}
