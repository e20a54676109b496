//! The model card written next to a trained adapter.

use std::fmt::Write as _;
use std::path::Path;

use super::{TrainConfig, TrainReport};
use crate::error::ModelError;
use crate::layers::LoraPlan;

pub fn write_card(
    dir: &Path,
    cfg: &TrainConfig,
    plan: &LoraPlan,
    report: &TrainReport,
) -> Result<(), ModelError> {
    let mut s = String::new();
    let _ = writeln!(s, "# kompress pruner adapter\n");
    let _ = writeln!(
        s,
        "LoRA adapters and pruning heads for the base encoder at `{}` (frozen).\n",
        cfg.base_model.display()
    );
    let _ = writeln!(s, "- Heads: `token_head` Linear(hidden→2) (class 1 = keep), `span_conv` Conv1d(hidden→256,k5)→GELU→Conv1d(256→1,k3); `heads.safetensors`.");
    let _ = writeln!(
        s,
        "- LoRA: rank {}, alpha {}, targets {:?}, layers {:?}; `lora.safetensors`, `adapter_config.json`.",
        plan.rank, plan.alpha, plan.targets, plan.layers
    );
    let _ = writeln!(
        s,
        "- Loss: token cross-entropy (critical pieces × {}) + {} × span BCE.",
        cfg.critical_weight, cfg.span_weight
    );
    let _ = writeln!(
        s,
        "- Data: {} records ({} windows of ≤ {} pieces) from {:?}; dev-set evaluation split excluded. Labels: the teacher described in `models/README.md`.",
        report.records,
        report.windows,
        cfg.window,
        cfg.data
    );
    let _ = writeln!(
        s,
        "- Training: {} steps × batch {}, AdamW lr {}, seed {}, {} threads, {:.0} s; loss {:.4} → {:.4} (mean of first / last 10% of steps).",
        report.steps, cfg.batch_size, cfg.learning_rate, cfg.seed, cfg.threads, report.seconds, report.loss_start, report.loss_end
    );
    if let Some(e) = &report.eval {
        let _ = writeln!(
            s,
            "\n## Dev evaluation split (token level, keep = token-head argmax)\n\n| cases | tokens | critical tokens | critical recall (model) | critical recall (model + floor) | keep rate (model + floor) |\n|---|---|---|---|---|---|\n| {} | {} | {} | {:.4} | {:.4} | {:.4} |",
            e.cases, e.tokens, e.critical_tokens, e.critical_recall_model, e.critical_recall_with_floor, e.keep_rate_with_floor
        );
    }
    let _ = writeln!(s, "\nReproduce: see `models/README.md`. Settings: `train_config.json`; figures: `train_report.json`.");
    let path = dir.join("README.md");
    std::fs::write(&path, s).map_err(|source| ModelError::Io { path, source })
}
