//! Training the pruner (`kompress train`) and self-labelling (`kompress relabel`).
//!
//! Only the heads and LoRA adapters on the last encoder layers train; the base encoder is
//! frozen. Loss per window: token cross-entropy (critical pieces weighted by
//! `critical_weight`) plus `span_weight` times the span head's binary cross-entropy, both
//! averaged over real pieces. Labels come from [`teacher`].

pub mod card;
pub mod config;
pub mod data;
pub mod eval;
pub mod examples;
pub mod relabel;
pub mod teacher;

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tch::nn::OptimizerConfig;
use tch::{nn, Device, Kind, Tensor};

pub use config::{RelabelConfig, TrainConfig};
pub use eval::EvalMetrics;
pub use relabel::{relabel, RelabelReport};

use crate::adapter::AdapterConfig;
use crate::config::ModelConfig;
use crate::error::ModelError;
use crate::hf::HfTokenizer;
use crate::layers::LoraPlan;
use crate::model::PrunerModel;
use crate::pruner::TchPruner;
use data::{is_held_out, read_jsonl, Record};
use examples::{examples_of, Example};
use teacher::Teacher;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    pub records: usize,
    pub windows: usize,
    pub steps: usize,
    /// Mean loss of the first and the last 10% of steps.
    pub loss_start: f64,
    pub loss_end: f64,
    pub seconds: f64,
    pub eval: Option<EvalMetrics>,
    pub out_dir: PathBuf,
}

/// Training records from every file, without the dev set's evaluation split (tool outputs
/// are never held out: the split is defined on dev-set case ids).
pub fn load_training_records(
    files: &[PathBuf],
    max: Option<usize>,
) -> Result<Vec<Record>, ModelError> {
    let mut all = Vec::new();
    for f in files {
        all.extend(read_jsonl(f)?.into_iter().filter(|r| !is_held_out(r)));
    }
    if let Some(m) = max {
        all.truncate(m);
    }
    Ok(all)
}

fn lora_plan(cfg: &TrainConfig, model: &ModelConfig) -> LoraPlan {
    let n = model.num_hidden_layers();
    let targets = cfg.lora_targets.clone().unwrap_or_else(|| match model {
        ModelConfig::Bert(_) => vec!["query".into(), "value".into()],
        ModelConfig::ModernBert(_) => vec!["attn.Wqkv".into()],
    });
    LoraPlan {
        rank: cfg.lora_rank,
        alpha: cfg.lora_alpha,
        targets,
        layers: ((n - cfg.lora_last_layers).max(0)..n).collect(),
    }
}

/// Deterministic xorshift for batch sampling.
struct Rng(u64);
impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

fn batch_tensors(batch: &[&Example], dev: Device) -> (Tensor, Tensor, Tensor, Tensor, Tensor) {
    let len = batch.iter().map(|e| e.ids.len()).max().unwrap_or(0);
    let b = batch.len();
    let (mut ids, mut mask, mut keep) = (
        vec![0i64; b * len],
        vec![0i64; b * len],
        vec![0i64; b * len],
    );
    let (mut weight, mut span) = (vec![0f32; b * len], vec![0f32; b * len]);
    for (r, e) in batch.iter().enumerate() {
        let o = r * len;
        let n = e.ids.len();
        ids[o..o + n].copy_from_slice(&e.ids);
        mask[o..o + n].fill(1);
        keep[o..o + n].copy_from_slice(&e.keep);
        weight[o..o + n].copy_from_slice(&e.weight);
        span[o..o + n].copy_from_slice(&e.span);
    }
    let shape = [b as i64, len as i64];
    let t = |v: Tensor| v.view(shape).to_device(dev);
    (
        t(Tensor::from_slice(&ids)),
        t(Tensor::from_slice(&mask)),
        t(Tensor::from_slice(&keep)),
        t(Tensor::from_slice(&weight)),
        t(Tensor::from_slice(&span)),
    )
}

fn step_loss(model: &PrunerModel, batch: &[&Example], cfg: &TrainConfig) -> Tensor {
    let (ids, mask, keep, weight, span) = batch_tensors(batch, model.device());
    let hidden = model.encode(&ids, &mask);
    let logits = model.heads().token_logits(&hidden); // [b, s, 2]
    let ce = logits
        .log_softmax(-1, Kind::Float)
        .gather(-1, &keep.unsqueeze(-1), false)
        .squeeze_dim(-1)
        .neg();
    let real = weight.gt(0.0).to_kind(Kind::Float);
    let denom = real.sum(Kind::Float).clamp_min(1.0);
    let token_loss = (ce * &weight).sum(Kind::Float) / &denom;
    let span_logit = model.heads().span_logits(&hidden, &mask);
    let bce = span_logit.binary_cross_entropy_with_logits::<Tensor>(
        &span,
        None,
        None,
        tch::Reduction::None,
    );
    let span_loss = (bce * &real).sum(Kind::Float) / &denom;
    token_loss + span_loss * cfg.span_weight
}

/// Trains heads + LoRA and writes the adapter directory (see [`TrainConfig::out_dir`]).
pub fn train(cfg: &TrainConfig) -> Result<TrainReport, ModelError> {
    cfg.validate()?;
    let started = Instant::now();
    tch::set_num_threads(cfg.threads);
    tch::manual_seed(cfg.seed as i64);
    let device = crate::device::best_device();
    let model_cfg = ModelConfig::from_file(&cfg.base_model.join("config.json"))?;
    let plan = lora_plan(cfg, &model_cfg);
    let tok = HfTokenizer::from_file(&cfg.base_model.join("tokenizer.json"), None, None)?;
    let mut model = PrunerModel::new(model_cfg, device, Some(plan.clone()));
    model.load_encoder(&cfg.base_model.join("model.safetensors"))?;
    if let Some(init) = &cfg.init_from {
        model.load_heads(&init.join("heads.safetensors"))?;
        model.load_lora(&init.join("lora.safetensors"))?;
    }
    let teacher = Teacher::new(kompress_floor::Floor::embedded_default());
    let records = load_training_records(&cfg.data, cfg.max_records)?;
    let mut windows = Vec::new();
    for r in &records {
        let doc = kompress_tokenize::tokenize(r.text.as_str());
        windows.extend(examples_of(
            r,
            &doc,
            &teacher,
            &tok,
            cfg.window,
            cfg.critical_weight as f32,
        )?);
    }
    if windows.is_empty() {
        return Err(ModelError::TrainingData {
            path: cfg.data[0].clone(),
            reason: "no training windows (all records empty or in the evaluation split)".into(),
        });
    }
    let mut opt = nn::AdamW::default()
        .build(model.adapter_store(), cfg.learning_rate)
        .map_err(ModelError::torch("building the optimizer"))?;
    let mut rng = Rng(cfg.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut losses = Vec::with_capacity(cfg.steps);
    for step in 0..cfg.steps {
        let batch: Vec<&Example> = (0..cfg.batch_size)
            .map(|_| &windows[rng.next(windows.len())])
            .collect();
        let loss = step_loss(&model, &batch, cfg);
        opt.backward_step(&loss);
        let v = loss.double_value(&[]);
        losses.push(v);
        if step % 10 == 0 || step + 1 == cfg.steps {
            tracing::info!(
                step,
                loss = v,
                elapsed_s = started.elapsed().as_secs_f64(),
                "train"
            );
        }
    }
    let tenth = (cfg.steps / 10).max(1);
    let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
    let (loss_start, loss_end) = (
        mean(&losses[..tenth]),
        mean(&losses[losses.len() - tenth..]),
    );
    std::fs::create_dir_all(&cfg.out_dir).map_err(|source| ModelError::Io {
        path: cfg.out_dir.clone(),
        source,
    })?;
    model.save_adapters(
        &cfg.out_dir.join("heads.safetensors"),
        Some(&cfg.out_dir.join("lora.safetensors")),
    )?;
    let adapter =
        AdapterConfig::from_plan(&plan, Some(relative_base(&cfg.out_dir, &cfg.base_model)));
    write_json(&cfg.out_dir.join("adapter_config.json"), &adapter)?;
    let pruner = TchPruner::new(model, tok);
    let eval = match &cfg.eval_data {
        Some(dev) => Some(eval::evaluate(&pruner, &teacher, &read_jsonl(dev)?)?),
        None => None,
    };
    let report = TrainReport {
        records: records.len(),
        windows: windows.len(),
        steps: cfg.steps,
        loss_start,
        loss_end,
        seconds: started.elapsed().as_secs_f64(),
        eval,
        out_dir: cfg.out_dir.clone(),
    };
    write_json(&cfg.out_dir.join("train_report.json"), &report)?;
    write_json(&cfg.out_dir.join("train_config.json"), cfg)?;
    card::write_card(&cfg.out_dir, cfg, &plan, &report)?;
    Ok(report)
}

/// `base` as seen from `out_dir` (relative when both are relative paths), so a committed
/// adapter directory keeps working from any checkout.
fn relative_base(out_dir: &Path, base: &Path) -> String {
    if out_dir.is_absolute() || base.is_absolute() {
        let abs = std::fs::canonicalize(base).unwrap_or_else(|_| base.to_path_buf());
        return abs.display().to_string();
    }
    let ups = out_dir
        .components()
        .filter(|c| matches!(c, std::path::Component::Normal(_)))
        .count();
    let mut p = PathBuf::new();
    for _ in 0..ups {
        p.push("..");
    }
    p.join(base).display().to_string()
}

pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), ModelError> {
    let text = serde_json::to_string_pretty(value).map_err(|source| ModelError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    std::fs::write(path, text + "\n").map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })
}
