//! Prefix stability: replaying a 50-turn agent transcript, every turn's compressed request
//! starts with the previous turn's compressed request byte for byte, and each turn runs only
//! its new message through the pipeline.

mod common;

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use common::*;
use kompress_core::{CompressionConfig, Format};
use kompress_serve::metrics::Metrics;
use kompress_serve::stable::{Protect, StableCompressor};
use serde_json::json;

fn transcript(turns: usize) -> String {
    let mut msgs = vec![
        json!({"role": "system", "content": "You are an agent."}),
        json!({"role": "user", "content": "fix the build"}),
    ];
    for t in 0..turns {
        let id = format!("c{t}");
        msgs.push(json!({"role": "assistant", "content": null, "tool_calls": [{"id": id, "type": "function", "function": {"name": "run", "arguments": "{}"}}]}));
        msgs.push(json!({"role": "tool", "tool_call_id": id, "content": tool_log(t)}));
    }
    serde_json::Value::Array(msgs).to_string()
}

#[actix_web::test]
async fn fifty_turn_replay_keeps_every_compressed_prefix_and_compresses_each_message_once() {
    let metrics = Arc::new(Metrics::default());
    let c = StableCompressor::new(pipeline(), 1000, metrics.clone());
    let cfg = CompressionConfig::default();
    let mut prev: Option<String> = None;
    for turn in 1..=50 {
        let input = transcript(turn);
        let (calls0, bytes0) = (
            metrics.pipeline_calls.load(Relaxed),
            metrics.pipeline_bytes.load(Relaxed),
        );
        let out = c
            .compress(&input, Format::OpenAi, &cfg, "t", &Protect::default())
            .await
            .unwrap();
        let calls = metrics.pipeline_calls.load(Relaxed) - calls0;
        let bytes = metrics.pipeline_bytes.load(Relaxed) - bytes0;
        assert_eq!(
            calls, 1,
            "turn {turn}: only the new tool result is compressed"
        );
        assert_eq!(
            bytes as usize,
            tool_log(turn - 1).len(),
            "turn {turn}: pipeline bytes = the new message"
        );
        assert_eq!(out.stats.cache_hits, turn - 1);
        assert!(out.output.len() < input.len());
        if let Some(p) = &prev {
            let stem = &p[..p.len() - 1]; // drop the closing `]`
            assert!(
                out.output.starts_with(stem),
                "turn {turn}: compressed prefix changed"
            );
        }
        assert_eq!(
            kompress_core::restore(&out.output, &out.evictions).unwrap(),
            input
        );
        prev = Some(out.output);
    }
}

#[actix_web::test]
async fn a_different_config_is_a_different_cache_entry() {
    let metrics = Arc::new(Metrics::default());
    let c = StableCompressor::new(pipeline(), 10, metrics.clone());
    let text = tool_log(1);
    let a = CompressionConfig::default();
    let b = CompressionConfig {
        target_ratio: Some(0.3),
        ..Default::default()
    };
    c.compress(&text, Format::Text, &a, "t", &Protect::default())
        .await
        .unwrap();
    c.compress(&text, Format::Text, &b, "t", &Protect::default())
        .await
        .unwrap();
    c.compress(&text, Format::Text, &a, "t", &Protect::default())
        .await
        .unwrap();
    assert_eq!(metrics.pipeline_calls.load(Relaxed), 2);
    assert_eq!(metrics.cache_hits.load(Relaxed), 1);
}

#[actix_web::test]
async fn the_cache_is_bounded() {
    let metrics = Arc::new(Metrics::default());
    let c = StableCompressor::new(pipeline(), 3, metrics);
    for i in 0..10 {
        c.compress(
            &tool_log(i),
            Format::Text,
            &CompressionConfig::default(),
            "t",
            &Protect::default(),
        )
        .await
        .unwrap();
    }
    assert_eq!(c.cache_len(), 3);
}

async fn compress_text(c: &StableCompressor, text: &str) {
    c.compress(
        text,
        Format::Text,
        &CompressionConfig::default(),
        "t",
        &Protect::default(),
    )
    .await
    .unwrap();
}

#[actix_web::test]
async fn the_cache_stays_within_its_byte_budget_dropping_the_oldest_first() {
    // one entry's accounted size, from a cache with room to spare
    let probe = StableCompressor::new(pipeline(), 10, Arc::new(Metrics::default()));
    compress_text(&probe, &tool_log(100)).await;
    let one = probe.cache_usage().bytes;
    assert!(
        one > tool_log(100).len() / 4,
        "entry of {one} bytes counts its evicted text"
    );

    let budget = one * 4 + one / 2;
    let metrics = Arc::new(Metrics::default());
    let c = StableCompressor::with_limits(pipeline(), 1000, budget, metrics.clone());
    for i in 0..12 {
        compress_text(&c, &tool_log(i)).await;
        let u = c.cache_usage();
        assert!(
            u.bytes <= budget,
            "after text {i}: {u:?} over {budget} bytes"
        );
    }
    let u = c.cache_usage();
    assert!(
        (3..=4).contains(&u.entries),
        "the byte budget, not the 1000-entry bound, limits the cache: {u:?}"
    );
    assert_eq!(u.evictions as usize, 12 - u.entries);

    // the newest are still cached; the oldest went first and is compressed again
    let (calls, hits) = (
        metrics.pipeline_calls.load(Relaxed),
        metrics.cache_hits.load(Relaxed),
    );
    for i in (12 - u.entries)..12 {
        compress_text(&c, &tool_log(i)).await;
    }
    assert_eq!(metrics.cache_hits.load(Relaxed) - hits, u.entries as u64);
    assert_eq!(metrics.pipeline_calls.load(Relaxed), calls);
    compress_text(&c, &tool_log(0)).await;
    assert_eq!(
        metrics.pipeline_calls.load(Relaxed),
        calls + 1,
        "text 0, the oldest, was evicted"
    );
}
