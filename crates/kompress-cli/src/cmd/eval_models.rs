//! The learned models `kompress eval --model LABEL=DIR` puts beside the other systems, and the
//! model-speed row of the report.

use std::path::PathBuf;

#[cfg(feature = "learned")]
use anyhow::Context;
#[cfg(feature = "learned")]
use kompress_eval::data::{load_cases, Split};
use kompress_eval::report::ModelSpeedRow;
use kompress_eval::run::LearnedModel;
#[cfg(feature = "learned")]
use kompress_eval::systems::SharedPruner;
#[cfg(feature = "learned")]
use kompress_stat::StatConfig;

/// `LABEL=DIR` (the model alone), `LABEL=blend:DIR` (the model's logits averaged with the
/// statistical pruner's, as `--pruner blend` does, with `[pruner]`'s default weight and bias) or
/// `LABEL=blend@W,B:DIR` (weight `W` on the model, eviction bias `B`).
#[derive(Debug, Clone)]
pub struct ModelArg {
    pub label: String,
    pub dir: PathBuf,
    /// `Some((weight, bias))` for a blend.
    pub blend: Option<(f32, f32)>,
}

fn parse_blend(spec: &str) -> Result<(f32, f32), String> {
    let d = kompress_pruners::PrunerSpec::default();
    if spec.is_empty() {
        return Ok((d.blend_weight, d.blend_bias));
    }
    let (w, b) = spec
        .strip_prefix('@')
        .and_then(|s| s.split_once(','))
        .ok_or_else(|| format!("{spec:?}: expected blend:DIR or blend@WEIGHT,BIAS:DIR"))?;
    let w: f32 = w.parse().map_err(|e| format!("blend weight {w:?}: {e}"))?;
    let b: f32 = b.parse().map_err(|e| format!("blend bias {b:?}: {e}"))?;
    // the ranges of `[pruner] blend_weight` / `blend_bias`
    kompress_pruners::PrunerSpec {
        blend_weight: w,
        blend_bias: b,
        ..d
    }
    .validate()
    .map_err(|e| e.to_string())?;
    Ok((w, b))
}

pub fn parse_model_arg(s: &str) -> Result<ModelArg, String> {
    let (label, rest) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?}: expected LABEL=DIR or LABEL=blend:DIR"))?;
    if label.is_empty() || label.contains(',') {
        return Err(format!(
            "{s:?}: the label must be non-empty, without commas"
        ));
    }
    let (blend, dir) = match rest.strip_prefix("blend") {
        Some(r) => {
            let (spec, dir) = r
                .split_once(':')
                .ok_or_else(|| format!("{s:?}: expected LABEL=blend[@W,B]:DIR"))?;
            (Some(parse_blend(spec)?), dir)
        }
        None => (None, rest),
    };
    Ok(ModelArg {
        label: label.to_string(),
        dir: PathBuf::from(dir),
        blend,
    })
}

/// Loads a model as `kompress compress` runs it (`[pruner] dtype = "auto"`).
#[cfg(feature = "learned")]
fn load(dir: &std::path::Path) -> anyhow::Result<kompress_model::TchPruner> {
    kompress_pruners::load_model(dir, kompress_pruners::Dtype::Auto)
        .with_context(|| format!("loading model {}", dir.display()))
}

/// Loads each distinct directory once; a blend reuses the plain model's cached scores.
#[cfg(feature = "learned")]
pub fn learned_models(args: &[ModelArg]) -> anyhow::Result<Vec<LearnedModel>> {
    let mut loaded: Vec<(PathBuf, SharedPruner)> = Vec::new();
    let mut out = Vec::new();
    for m in args {
        let model = match loaded.iter().find(|(d, _)| *d == m.dir) {
            Some((_, p)) => p.clone(),
            None => {
                let p = SharedPruner::new(Box::new(load(&m.dir)?));
                loaded.push((m.dir.clone(), p.clone()));
                p
            }
        };
        let pruner = match m.blend {
            Some((weight, bias)) => SharedPruner::new(Box::new(kompress_pruners::blend_with_stat(
                Box::new(model),
                weight,
                bias,
                &StatConfig::default(),
            )?)),
            None => model,
        };
        out.push(LearnedModel {
            label: m.label.clone(),
            pruner,
        });
    }
    Ok(out)
}

/// Throughput of each distinct model directory over the first `bytes` of the eval split.
#[cfg(feature = "learned")]
pub fn model_speed(
    args: &[ModelArg],
    data: &std::path::Path,
    bytes: usize,
) -> anyhow::Result<Vec<ModelSpeedRow>> {
    let cases = load_cases(data, Split::Eval)?;
    let mut texts = Vec::new();
    let mut total = 0;
    for c in &cases {
        if total >= bytes {
            break;
        }
        total += c.text.len();
        texts.push(kompress_tokenize::tokenize(c.text.as_str()));
    }
    let docs: Vec<&kompress_core::TokenizedText> = texts.iter().collect();
    let mut rows = Vec::new();
    let mut seen = Vec::new();
    for m in args.iter().filter(|m| m.blend.is_none()) {
        if seen.contains(&m.dir) {
            continue;
        }
        seen.push(m.dir.clone());
        let s = kompress_model::speed::measure(&load(&m.dir)?, &docs)?;
        rows.push(ModelSpeedRow {
            name: format!("{} ({} KB of eval-split text)", m.label, total / 1000),
            device: format!("{} {}", s.device, s.kind),
            threads: s.threads,
            pieces: s.pieces,
            pieces_per_s: s.pieces_per_s,
            flops_per_piece: s.flops_per_piece,
            achieved_gflops: s.achieved_gflops,
            gemm_gflops: s.gemm_gflops,
        });
    }
    Ok(rows)
}

/// A build without the learned pruner has no model to put beside the other systems.
#[cfg(not(feature = "learned"))]
pub fn learned_models(args: &[ModelArg]) -> anyhow::Result<Vec<LearnedModel>> {
    match args.first() {
        None => Ok(Vec::new()),
        Some(m) => Err(
            anyhow::Error::new(kompress_pruners::not_built()).context(format!(
                "--model {}={}{}",
                m.label,
                if m.blend.is_some() { "blend:" } else { "" },
                m.dir.display()
            )),
        ),
    }
}

/// See [`learned_models`]: no model, no model-speed rows.
#[cfg(not(feature = "learned"))]
pub fn model_speed(
    args: &[ModelArg],
    _data: &std::path::Path,
    _bytes: usize,
) -> anyhow::Result<Vec<ModelSpeedRow>> {
    learned_models(args).map(|_| Vec::new())
}
