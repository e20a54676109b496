//! The keep mask the running pipeline produces (actors, `Pipeline::explain`) is the CPU twin's
//! (`kompress_core::gate_cpu` / `gate_cpu_top_k`, which the CUDA kernel mirrors bit for bit)
//! on the same scores and floor, for the threshold and for target ratios, on random scores and
//! on the dev set's texts with the statistical pruner's scores.

use kompress_core::gate::keep_count_for_ratio;
use kompress_core::{CompressionConfig, CoreError, Pruner, PrunerScores, TokenizedText};
use kompress_floor::Floor;
use kompress_pipeline::{stages, Pipeline, PipelineSettings};
use kompress_stat::{StatConfig, StatPruner};

/// Scores that are a pure function of the text: seeded by its bytes, drawn per token.
struct RandomPruner;

fn random_scores(doc: &TokenizedText) -> PrunerScores {
    let mut x = doc.text.bytes().fold(0x9E37_79B9_7F4A_7C15u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
    }) | 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // in [-8, 8), with exact ties now and then
        ((x >> 40) % 64) as f32 / 4.0 - 8.0
    };
    let n = doc.tokens.len();
    PrunerScores {
        token_logits: (0..n).map(|_| next()).collect(),
        span_logits: (0..n).map(|_| next()).collect(),
    }
}

impl Pruner for RandomPruner {
    fn name(&self) -> &str {
        "random"
    }
    fn score_batch(&mut self, texts: &[&TokenizedText]) -> Result<Vec<PrunerScores>, CoreError> {
        Ok(texts.iter().map(|d| random_scores(d)).collect())
    }
}

/// The twin's keep mask after the floor's widening, computed without the pipeline.
fn twin_keep(
    doc: &TokenizedText,
    scores: &PrunerScores,
    floor: &Floor,
    cfg: &CompressionConfig,
) -> Vec<u8> {
    let mask = floor.mask(doc);
    let bits = mask.line_bits(doc);
    let params = stages::gate_params(cfg);
    let n = doc.tokens.len();
    let (mut p, mut keep) = (vec![0f32; n], vec![0u8; n]);
    let (tok, span) = (&scores.token_logits, &scores.span_logits);
    match cfg.target_ratio {
        Some(r) => kompress_core::gate::gate_cpu_top_k(
            tok,
            span,
            &bits,
            &params,
            keep_count_for_ratio(n, r),
            &mut p,
            &mut keep,
        ),
        None => kompress_core::gate_cpu(tok, span, &bits, &params, &mut p, &mut keep),
    }
    mask.widen(&mut keep);
    keep
}

fn texts_random() -> Vec<String> {
    let words = [
        "error:",
        "src/lib.rs:42:7",
        "0x7ffd3a",
        "ok",
        "INFO",
        "retry",
        "--force",
        "a1b2c3d",
        "the",
        "value",
        "=",
        "42",
        "https://example.com/x",
        "Traceback",
        "at",
        "foo.bar()",
    ];
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    (0..24)
        .map(|case| {
            let mut s = String::new();
            for _ in 0..(5 + case * 7) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                s.push_str(words[(x % words.len() as u64) as usize]);
                s.push(if x.is_multiple_of(5) { '\n' } else { ' ' });
            }
            s
        })
        .collect()
}

fn texts_dev() -> Vec<String> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/dev.jsonl");
    let Ok(all) = std::fs::read_to_string(&path) else {
        eprintln!(
            "gate_twin: {} not present; dev-set texts skipped",
            path.display()
        );
        return Vec::new();
    };
    all.lines()
        .step_by(7)
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["text"].as_str().map(str::to_string))
        .collect()
}

fn check(
    pipeline: &Pipeline,
    texts: &[String],
    mut score: impl FnMut(&TokenizedText) -> PrunerScores,
) -> usize {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let floor = Floor::embedded_default();
    let mut compared = 0;
    for text in texts {
        for ratio in [None, Some(0.05), Some(0.3), Some(0.5), Some(0.9), Some(1.0)] {
            let cfg = CompressionConfig {
                min_bytes: 0,
                target_ratio: ratio,
                ..Default::default()
            };
            let ex = rt.block_on(pipeline.explain(text, &cfg)).expect("explain");
            let scores = score(&ex.doc);
            let want = twin_keep(&ex.doc, &scores, &floor, &cfg);
            assert_eq!(
                ex.keep,
                want,
                "ratio {ratio:?}, text {:?}",
                &text[..text.len().min(80)]
            );
            compared += want.len();
        }
    }
    compared
}

#[test]
fn pipeline_keep_mask_is_the_cpu_twins_on_random_scores() {
    let pipeline = Pipeline::start(PipelineSettings {
        pruner: Box::new(|| Ok(Box::new(RandomPruner))),
        workers: 1,
        ..Default::default()
    })
    .expect("pipeline starts");
    assert!(check(&pipeline, &texts_random(), random_scores) > 10_000);
}

#[test]
fn pipeline_keep_mask_is_the_cpu_twins_on_dev_set_texts() {
    let pipeline = Pipeline::start(PipelineSettings {
        workers: 1,
        ..Default::default()
    })
    .expect("pipeline starts");
    let mut stat = StatPruner::new(StatConfig::default());
    let texts = texts_dev();
    let n = check(&pipeline, &texts, |d| stat_scores(&mut stat, d));
    if !texts.is_empty() {
        assert!(n > 10_000, "{n} tokens compared");
    }
}

fn stat_scores(stat: &mut StatPruner, doc: &TokenizedText) -> PrunerScores {
    stat.score_batch(&[doc])
        .expect("scores")
        .pop()
        .expect("one")
}
