//! TchPruner end to end on the tiny fixture model: model directories load (base, heads, LoRA),
//! long texts are chunked with nothing dropped, every token gets a score, and batching does not
//! change scores.

mod common;

use std::path::Path;

use common::{fixture, minilm_dir, tokenize, tool_output};
use kompress_core::{Pruner, TokenKind};
use kompress_model::{AdapterConfig, HfTokenizer, LoraPlan, ModelConfig, PrunerModel, TchPruner};
use tch::{Device, Tensor};

fn plan() -> LoraPlan {
    LoraPlan {
        rank: 4,
        alpha: 8.0,
        targets: vec!["query".into(), "value".into()],
        layers: vec![1, 2],
    }
}

/// Writes an adapter directory over the tiny-bert fixture with random heads and non-zero LoRA.
fn adapter_dir(dir: &Path) -> PrunerModel {
    let base = fixture("tiny-bert");
    let cfg = ModelConfig::from_file(&base.join("config.json")).unwrap();
    let mut m = PrunerModel::new(cfg, Device::Cpu, Some(plan()));
    m.load_encoder(&base.join("model.safetensors")).unwrap();
    tch::manual_seed(5);
    tch::no_grad(|| {
        for (name, mut v) in m.adapter_store().variables() {
            if name.contains("lora_B") {
                v.copy_(&(Tensor::randn_like(&v) * 0.2));
            }
        }
    });
    m.save_adapters(
        &dir.join("heads.safetensors"),
        Some(&dir.join("lora.safetensors")),
    )
    .unwrap();
    let ac = AdapterConfig::from_plan(&plan(), Some(base.display().to_string()));
    std::fs::write(
        dir.join("adapter_config.json"),
        serde_json::to_string_pretty(&ac).unwrap(),
    )
    .unwrap();
    m
}

fn load_pruner(dir: &Path) -> TchPruner {
    TchPruner::load(dir, Device::Cpu).expect("adapter directory loads")
}

#[test]
fn adapter_directory_round_trips_heads_and_lora() {
    let dir = tempfile::tempdir().unwrap();
    let original = adapter_dir(dir.path());
    let loaded = load_pruner(dir.path());
    let ids = Tensor::from_slice(&[2i64, 40, 41, 99, 7, 3]).unsqueeze(0);
    let mask = Tensor::ones_like(&ids);
    let (_, a) = tch::no_grad(|| original.forward(&ids, &mask));
    let (_, b) = tch::no_grad(|| loaded.model().forward(&ids, &mask));
    let d = (a.evict_logit - b.evict_logit)
        .abs()
        .max()
        .double_value(&[]);
    let s = (a.span_logit - b.span_logit).abs().max().double_value(&[]);
    assert!(
        d < 1e-6 && s < 1e-6,
        "scores changed after save/load: {d} {s}"
    );
}

#[test]
fn lora_changes_only_targeted_layers_and_starts_as_identity() {
    let base = fixture("tiny-bert");
    let cfg = ModelConfig::from_file(&base.join("config.json")).unwrap();
    let mut plain = PrunerModel::new(cfg.clone(), Device::Cpu, None);
    plain.load_encoder(&base.join("model.safetensors")).unwrap();
    let mut lora = PrunerModel::new(cfg, Device::Cpu, Some(plan()));
    lora.load_encoder(&base.join("model.safetensors")).unwrap();
    let mut names: Vec<String> = lora
        .adapter_store()
        .variables()
        .into_keys()
        .filter(|n| n.contains("lora_"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 8, "{names:?}");
    assert!(names.contains(&"encoder.layer.1.attention.self.query.lora_A.weight".to_string()));
    assert!(names
        .iter()
        .all(|n| !n.contains("layer.0.") && !n.contains(".key.")));
    // lora_B starts at zero: the adapted encoder equals the base one
    let ids = Tensor::from_slice(&[2i64, 50, 60, 70, 3]).unsqueeze(0);
    let mask = Tensor::ones_like(&ids);
    let d = tch::no_grad(|| {
        (plain.encode(&ids, &mask) - lora.encode(&ids, &mask))
            .abs()
            .max()
            .double_value(&[])
    });
    assert!(d < 1e-6, "fresh LoRA changed the encoder by {d}");
}

#[test]
fn long_text_is_chunked_without_dropping_any_piece() {
    let dir = tempfile::tempdir().unwrap();
    adapter_dir(dir.path());
    let pruner = load_pruner(dir.path());
    let text = tokenize(&tool_output(300));
    let chunks = pruner.chunks(&text).unwrap();
    let all = pruner.tokenizer().pieces(&text.text).unwrap();
    assert!(
        chunks.len() > 10,
        "a 300-line text must need many 128-position windows"
    );
    let joined: Vec<(u32, u32)> = chunks
        .iter()
        .flat_map(|c| c.offsets.iter().copied())
        .collect();
    assert_eq!(joined, all.offsets, "every piece appears once, in order");
    assert!(chunks.iter().all(|c| c.seq_len() <= 128));
    // every line fits a window here, so no line is split across two chunks
    let line_of = |byte: u32| text.lines.partition_point(|l| l.next <= byte);
    for pair in chunks.windows(2) {
        let last = pair[0].offsets.last().unwrap().0;
        let first = pair[1].offsets[0].0;
        assert_ne!(
            line_of(last),
            line_of(first),
            "a line was split between chunks"
        );
    }
}

#[test]
fn every_token_gets_a_finite_score() {
    let dir = tempfile::tempdir().unwrap();
    adapter_dir(dir.path());
    let mut pruner = load_pruner(dir.path());
    let text = tokenize(&tool_output(120));
    let scores = pruner.score_batch(&[&text]).unwrap();
    assert_eq!(scores.len(), 1);
    let s = &scores[0];
    assert_eq!(s.token_logits.len(), text.tokens.len());
    assert_eq!(s.span_logits.len(), text.tokens.len());
    assert!(s
        .token_logits
        .iter()
        .chain(&s.span_logits)
        .all(|v| v.is_finite()));
    // word tokens are scored by the model, so they are not all the same
    let words: Vec<f32> = text
        .tokens
        .iter()
        .zip(&s.token_logits)
        .filter(|(t, _)| t.kind == TokenKind::Word)
        .map(|(_, v)| *v)
        .collect();
    let (lo, hi) = words
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
    assert!(hi - lo > 1e-3, "word scores are constant: {lo}..{hi}");
}

#[test]
fn batching_does_not_change_scores() {
    let dir = tempfile::tempdir().unwrap();
    adapter_dir(dir.path());
    let pruner = load_pruner(dir.path()).with_limits(128, 128 * 4).unwrap();
    let texts = [
        tokenize(&tool_output(3)),
        tokenize(&tool_output(70)),
        tokenize("ok\n"),
    ];
    let refs: Vec<_> = texts.iter().collect();
    let together = pruner.score_texts(&refs).unwrap();
    for (t, batched) in texts.iter().zip(&together) {
        let alone = &pruner.score_texts(&[t]).unwrap()[0];
        for (a, b) in alone.token_logits.iter().zip(&batched.token_logits) {
            assert!((a - b).abs() < 1e-4, "token logit {a} alone vs {b} batched");
        }
        for (a, b) in alone.span_logits.iter().zip(&batched.span_logits) {
            assert!((a - b).abs() < 1e-4, "span logit {a} alone vs {b} batched");
        }
    }
}

#[test]
fn empty_and_blank_texts_score_without_error() {
    let dir = tempfile::tempdir().unwrap();
    adapter_dir(dir.path());
    let pruner = load_pruner(dir.path());
    let texts = [tokenize(""), tokenize("   \n\n  \n")];
    let out = pruner.score_texts(&[&texts[0], &texts[1]]).unwrap();
    assert_eq!(out[0].token_logits.len(), 0);
    assert_eq!(out[1].token_logits.len(), texts[1].tokens.len());
}

#[test]
fn missing_heads_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let base = fixture("tiny-bert");
    for f in ["config.json", "model.safetensors", "tokenizer.json"] {
        std::fs::copy(base.join(f), dir.path().join(f)).unwrap();
    }
    let err = TchPruner::load(dir.path(), Device::Cpu).unwrap_err();
    assert!(err.to_string().contains("heads.safetensors"), "{err}");
}

#[test]
fn minilm_tokenizer_loads_without_built_in_truncation() {
    let Some(d) = minilm_dir() else { return };
    let tok = HfTokenizer::from_file(&d.join("tokenizer.json"), None, None).unwrap();
    let long = "word ".repeat(1000);
    let p = tok.pieces(&long).unwrap();
    assert_eq!(
        p.len(),
        1000,
        "the shipped file truncates at 128 unless disabled"
    );
    assert_eq!((tok.cls_id(), tok.sep_id()), (101, 102));
}

/// bf16 inference (the default on CPUs with AVX512-BF16) tracks fp32: on a tool log, the
/// shipped model's eviction logits move by little and almost never change sign.
#[test]
fn the_shipped_model_in_bf16_tracks_its_fp32_scores() {
    if minilm_dir().is_none() {
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/default");
    let f32p = load_pruner(&dir);
    let bf16p = load_pruner(&dir).with_kind(tch::Kind::BFloat16);
    let text = tokenize(&tool_output(200));
    let a = &f32p.score_texts(&[&text]).unwrap()[0];
    let b = &bf16p.score_texts(&[&text]).unwrap()[0];
    let pairs: Vec<(f32, f32)> = a
        .token_logits
        .iter()
        .copied()
        .zip(b.token_logits.iter().copied())
        .collect();
    let n = pairs.len();
    let max = pairs
        .iter()
        .map(|(x, y)| (x - y).abs())
        .fold(0f32, f32::max);
    let mean = pairs.iter().map(|(x, y)| (x - y).abs()).sum::<f32>() / n as f32;
    let flips = pairs
        .iter()
        .filter(|(x, y)| (*x > 0.0) != (*y > 0.0))
        .count();
    eprintln!("{n} tokens: max |d| {max:.3}, mean |d| {mean:.4}, {flips} signs flipped");
    assert!(n > 1000, "{n} tokens");
    assert!(mean < 0.05, "mean |f32 - bf16| = {mean}");
    assert!(max < 0.25, "max |f32 - bf16| = {max}");
    assert!(
        flips * 100 <= n,
        "{flips} of {n} eviction decisions flipped"
    );
}
