//! Throughput of the whole CPU path without a model (tokenize, statistical pruner, floor, gate,
//! rewrite) on one core, in bytes of input per second. Target: >= 20 MB/s on the dev-set texts.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kompress_core::CompressionConfig;
use kompress_floor::Floor;
use kompress_pipeline::stages::compress_text_direct;
use kompress_stat::StatPruner;

fn cpu_path(c: &mut Criterion) {
    let (texts, origin) = kompress_benches::corpus();
    let bytes: usize = texts.iter().map(String::len).sum();
    eprintln!(
        "cpu_path: {} texts, {bytes} bytes, from {origin}",
        texts.len()
    );
    let floor = Floor::embedded_default();
    let mut pruner = StatPruner::default();
    let mut g = c.benchmark_group("cpu_path");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    for (name, cfg) in [
        ("safe", CompressionConfig::default()),
        (
            "ultra",
            CompressionConfig {
                mode: kompress_core::Mode::Ultra,
                ..Default::default()
            },
        ),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                for t in &texts {
                    let r = compress_text_direct(t, &mut pruner, &floor, &cfg).expect("compresses");
                    std::hint::black_box(r);
                }
            })
        });
    }
    g.finish();
    let mut g = c.benchmark_group("stages");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    g.bench_function("tokenize", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|t| kompress_tokenize::tokenize(t.as_str()).tokens.len())
                .sum::<usize>()
        })
    });
    g.bench_function("floor_scan", |b| {
        b.iter(|| texts.iter().map(|t| floor.scan(t).len()).sum::<usize>())
    });
    let docs: Vec<_> = texts
        .iter()
        .map(|t| kompress_tokenize::tokenize(t.as_str()))
        .collect();
    g.bench_function("stat_score", |b| {
        b.iter(|| {
            docs.iter()
                .map(|d| pruner.score_one(d).token_logits.len())
                .sum::<usize>()
        })
    });
    g.finish();
}

/// One call on a ~2k-token tool output (o200k; 7-9 KB of a real log, listing, trace or search
/// from the corpus), with the default pruner (`auto`: routed by kind, the model only for
/// `DEFAULT_LEARNED_KINDS`) and with the statistical one, in the same run.
fn call_2k(c: &mut Criterion) {
    let texts = kompress_benches::corpus_texts(7_000, 9_000);
    let pick: Vec<&(String, String)> = ["log_kafka", "ls_la", "pytest", "grep", "git_show"]
        .iter()
        .filter_map(|k| texts.iter().find(|(id, _)| id.contains(k)))
        .collect();
    if pick.is_empty() {
        eprintln!("call_2k: data/corpus/corpus.jsonl not found, skipped");
        return;
    }
    let floor = Floor::embedded_default();
    let cfg = CompressionConfig::default();
    let mut g = c.benchmark_group("call_2k");
    g.sample_size(20);
    for (id, text) in pick {
        let name = id.rsplit('/').nth(1).unwrap_or(id);
        let mut auto = kompress_pipeline::RoutedPruner::new(
            StatPruner::default(),
            kompress_pipeline::DEFAULT_LEARNED_KINDS.to_vec(),
            kompress_pipeline::DEFAULT_LEARNED_MIN_TOKENS,
            Box::new(|| {
                Err(kompress_core::CoreError::Pruner {
                    pruner: "tch".into(),
                    reason: "no model in this benchmark (the default routes no kind to it)".into(),
                })
            }),
        );
        let mut stat = StatPruner::default();
        g.bench_function(format!("{name}/default"), |b| {
            b.iter(|| compress_text_direct(text, &mut auto, &floor, &cfg).expect("compresses"))
        });
        g.bench_function(format!("{name}/stat"), |b| {
            b.iter(|| compress_text_direct(text, &mut stat, &floor, &cfg).expect("compresses"))
        });
    }
    g.finish();
}

criterion_group!(benches, cpu_path, call_2k);
criterion_main!(benches);
