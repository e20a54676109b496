//! `kompress train` and `kompress relabel`: the learned pruner's training round and the
//! self-labelling step (library: kompress_model::train / relabel; settings documented in
//! models/README.md). Both print their JSON report on stdout.

use std::path::{Path, PathBuf};

use anyhow::Context;
use kompress_model::{RelabelConfig, TrainConfig};

#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    /// Settings (JSON, kompress_model::TrainConfig): data, base_model, out_dir, init_from,
    /// eval_data, LoRA rank/alpha/targets/layers, critical_weight, span_weight, steps, …
    pub settings: PathBuf,
    /// Overrides `steps`.
    #[arg(long)]
    pub steps: Option<usize>,
    /// Overrides `out_dir`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Overrides `init_from` (continue from an earlier round's adapter directory).
    #[arg(long)]
    pub init_from: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct RelabelArgs {
    /// Settings (JSON, kompress_model::RelabelConfig): model_dir, data, out, threads.
    pub settings: PathBuf,
    /// Overrides `model_dir` (the oracle: a trained round).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Overrides `out`.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

fn read_settings<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| {
        kompress_core::CoreError::config(path.display().to_string(), e.to_string()).into()
    })
}

pub fn run_train(a: TrainArgs) -> anyhow::Result<()> {
    let mut cfg: TrainConfig = read_settings(&a.settings)?;
    if let Some(s) = a.steps {
        cfg.steps = s;
    }
    if let Some(o) = a.out {
        cfg.out_dir = o;
    }
    if a.init_from.is_some() {
        cfg.init_from = a.init_from;
    }
    let report = kompress_model::train(&cfg).context("training")?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

pub fn run_relabel(a: RelabelArgs) -> anyhow::Result<()> {
    let mut cfg: RelabelConfig = read_settings(&a.settings)?;
    if let Some(m) = a.model {
        cfg.model_dir = m;
    }
    if let Some(o) = a.out {
        cfg.out = o;
    }
    let report = kompress_model::relabel(&cfg).context("relabelling")?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
