//! Throughput of the actor path (`Pipeline::compress`: tokenizer, pruner, floor, gate and
//! rewriter actors, statistical pruner) on the dev-set texts, median of runs. Two shapes: all
//! texts in flight at once (the service under load) and one text at a time (latency, where a
//! per-message cost shows most). Uses only `Pipeline`'s public API, so the same file measures
//! a build before and after a change to the actors.
//! Run: `cargo bench -p kompress-pipeline --bench actor_path` (KOMPRESS_BENCH_DATA=<jsonl>,
//! KOMPRESS_BENCH_RUNS=<n> to override; default data ../shared/data/dev.jsonl).

use std::path::PathBuf;
use std::time::Instant;

use kompress_core::{CompressionConfig, Format};
use kompress_pipeline::{CompressRequest, Pipeline, PipelineSettings};

fn data_path() -> PathBuf {
    std::env::var_os("KOMPRESS_BENCH_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/dev.jsonl")
        })
}

fn texts(path: &std::path::Path) -> Option<Vec<String>> {
    let src = std::fs::read_to_string(path).ok()?;
    Some(
        src.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["text"].as_str().map(str::to_string))
            .filter(|t| !t.is_empty())
            .collect(),
    )
}

fn request(i: usize, text: &str) -> CompressRequest {
    CompressRequest {
        transcript_id: format!("b{i}"),
        format: Format::Text,
        input: text.to_string(),
        config: CompressionConfig::default(),
    }
}

fn median(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0])
}

fn main() {
    let path = data_path();
    let Some(texts) = texts(&path).filter(|t| !t.is_empty()) else {
        eprintln!(
            "SKIPPED: no texts in {} (set KOMPRESS_BENCH_DATA); the actor path was not measured",
            path.display()
        );
        return;
    };
    let runs: usize = std::env::var("KOMPRESS_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(9);
    let bytes: usize = texts.iter().map(String::len).sum();
    let p = Pipeline::start(PipelineSettings {
        workers: 2,
        ..Default::default()
    })
    .expect("pipeline starts");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mb = bytes as f64 / 1e6;
    // warm-up pass
    rt.block_on(futures::future::join_all(
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| p.compress(request(i, t))),
    ));
    let (mut together, mut one_by_one) = (Vec::new(), Vec::new());
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let outs = rt.block_on(futures::future::join_all(
            texts
                .iter()
                .enumerate()
                .map(|(i, t)| p.compress(request(i, t))),
        ));
        together.push(t.elapsed().as_secs_f64());
        assert!(outs.iter().all(Result::is_ok), "every text compresses");
        let t = Instant::now();
        rt.block_on(async {
            for (i, text) in texts.iter().enumerate() {
                p.compress(request(i, text)).await.expect("compresses");
            }
        });
        one_by_one.push(t.elapsed().as_secs_f64());
    }
    for (shape, secs) in [("all in flight", together), ("one at a time", one_by_one)] {
        let n = secs.len();
        let (med, min) = median(secs);
        println!(
            "actor path, {shape}: {} texts, {mb:.2} MB; median {:.1} ms of {n} runs = {:.2} MB/s (min {:.1} ms)",
            texts.len(),
            med * 1e3,
            mb / med,
            min * 1e3
        );
    }
}
