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

criterion_group!(benches, cpu_path);
criterion_main!(benches);
