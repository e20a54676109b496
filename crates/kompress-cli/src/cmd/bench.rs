//! `kompress bench`: throughput of the CPU path (no model) on a set of texts, median of runs;
//! `--gate` benchmarks the fused CUDA gate kernel against its unfused form and the CPU twin.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use kompress_core::{CompressionConfig, Mode};
use kompress_floor::Floor;
use kompress_pipeline::stages::compress_text_direct;
use kompress_stat::StatPruner;

#[derive(clap::Args)]
pub struct Args {
    /// JSONL with a "text" field per line (e.g. ../shared/data/dev.jsonl), or a plain text file.
    #[arg(long)]
    data: Option<PathBuf>,
    #[arg(long, default_value_t = 7)]
    runs: usize,
    #[arg(long)]
    mode: Option<Mode>,
    /// Benchmark the gate kernel instead (GPU when present, CPU twin always).
    #[arg(long)]
    gate: bool,
}

fn texts(path: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let s = super::read_input(path)?;
    if path.extension().is_some_and(|e| e == "jsonl") {
        s.lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
            .map(|(i, l)| {
                let v: serde_json::Value = serde_json::from_str(l)
                    .with_context(|| format!("{}:{}", path.display(), i + 1))?;
                v["text"]
                    .as_str()
                    .map(str::to_string)
                    .with_context(|| format!("{}:{}: no \"text\" field", path.display(), i + 1))
            })
            .collect()
    } else {
        Ok(vec![s])
    }
}

pub fn run(a: Args) -> anyhow::Result<()> {
    if a.gate {
        let report = kompress_gpu::bench_gate(&kompress_gpu::BenchOptions::default())?;
        println!("{report}");
        return Ok(());
    }
    let path = a
        .data
        .context("--data is required (a JSONL set or a text file)")?;
    let texts = texts(&path)?;
    let bytes: usize = texts.iter().map(String::len).sum();
    let floor = Floor::embedded_default();
    let mut pruner = StatPruner::default();
    let cfg = CompressionConfig {
        mode: a.mode.unwrap_or_default(),
        ..Default::default()
    };
    let mut secs = Vec::with_capacity(a.runs);
    let mut out_bytes = 0;
    for _ in 0..a.runs.max(1) {
        let t0 = Instant::now();
        out_bytes = 0;
        for t in &texts {
            let (_, r) = compress_text_direct(t, &mut pruner, &floor, &cfg)?;
            out_bytes += r.text.len();
        }
        secs.push(t0.elapsed().as_secs_f64());
    }
    secs.sort_by(f64::total_cmp);
    let med = secs[secs.len() / 2];
    println!(
        "cpu path ({:?}, one thread): {} texts, {:.2} MB in, {:.2} MB out; median {:.1} ms of {} runs = {:.1} MB/s (min {:.1} ms)",
        cfg.mode,
        texts.len(),
        bytes as f64 / 1e6,
        out_bytes as f64 / 1e6,
        med * 1e3,
        secs.len(),
        bytes as f64 / 1e6 / med,
        secs[0] * 1e3
    );
    Ok(())
}
