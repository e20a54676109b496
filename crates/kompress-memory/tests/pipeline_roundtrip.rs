//! The real pipeline's evictions, stored and recalled: every marker it writes resolves to the
//! exact evicted text, and every transcript restores byte-exact from the store.

use kompress_core::{CompressionConfig, Format};
use kompress_memory::{records_for, restore_transcript, MemoryStore, SqliteStore};
use kompress_pipeline::{CompressRequest, Pipeline, PipelineSettings};

const DEV_SET: &str = "/work/shared/data/dev.jsonl";

fn refs_in(text: &str) -> Vec<String> {
    text.match_indices("ref=")
        .filter_map(|(i, _)| text.get(i + 4..i + 12))
        .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_owned)
        .collect()
}

fn compress_store_restore(
    rt: &tokio::runtime::Runtime,
    pipeline: &Pipeline,
    store: &SqliteStore,
    id: &str,
    format: Format,
    input: &str,
) -> usize {
    let resp = rt
        .block_on(pipeline.compress(CompressRequest {
            transcript_id: id.to_owned(),
            format,
            input: input.to_owned(),
            config: CompressionConfig::default(),
        }))
        .unwrap_or_else(|e| panic!("{id}: pipeline failed: {e}"));
    store
        .put_batch(&records_for("dev", "s", &resp.evictions, None).unwrap())
        .unwrap();
    for handle in refs_in(&resp.output) {
        let got = store.get_by_handle("dev", Some("s"), &handle).unwrap();
        let want = resp.evictions.iter().find(|e| e.handle == handle);
        match (got, want) {
            (Some(g), Some(w)) => assert_eq!(g.text, w.text(), "{id}: ref={handle}"),
            (g, w) => panic!("{id}: marker ref={handle} unresolved (store {g:?}, record {w:?})"),
        }
    }
    let restored = restore_transcript(store, "dev", id, &resp.output).unwrap();
    assert!(
        restored == input,
        "{id}: restore from the store differs from the input"
    );
    resp.evictions.len()
}

#[test]
fn pipeline_markers_resolve_and_dev_set_restores_from_the_store() {
    let path = std::path::Path::new(DEV_SET);
    if !path.exists() {
        eprintln!("SKIPPED: dev set {DEV_SET} is not on this machine; nothing was checked");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let pipeline = Pipeline::start(PipelineSettings::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_path(dir.path().join("m.db")).unwrap();
    let data = std::fs::read_to_string(path).unwrap();
    let (mut cases, mut chats, mut evictions) = (0, 0, 0);
    for line in data.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = v["id"].as_str().unwrap();
        let text = v["text"].as_str().unwrap();
        evictions += compress_store_restore(&rt, &pipeline, &store, id, Format::Text, text);
        cases += 1;
        if cases % 3 != 1 {
            continue;
        }
        // The same output as a tool message in a chat transcript (JSON-escaped evictions),
        // for every third case to keep the test quick.
        let chat = serde_json::json!({ "messages": [
            { "role": "user", "content": "why does the build fail?" },
            { "role": "tool", "tool_call_id": "c1", "content": text },
        ]})
        .to_string();
        let chat_id = format!("{id}#chat");
        evictions +=
            compress_store_restore(&rt, &pipeline, &store, &chat_id, Format::OpenAi, &chat);
        chats += 1;
    }
    assert!(evictions > 0, "the pipeline evicted nothing");
    eprintln!("{cases} dev cases + {chats} chat transcripts: {evictions} evictions, all restored");
}
