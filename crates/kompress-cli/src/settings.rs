//! `kompress.toml`: `[compression]` (kompress_core::CompressionConfig) and `[stat]`
//! (kompress_stat::StatConfig), plus the floor file. Flags override the file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use kompress_core::CompressionConfig;
use kompress_floor::Floor;
use kompress_pipeline::{Pipeline, PipelineSettings};
use kompress_stat::{StatConfig, StatPruner};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileConfig {
    pub compression: CompressionConfig,
    pub stat: StatConfig,
    /// A floor pattern file (TOML) replacing the embedded default.
    pub floor: Option<PathBuf>,
}

pub fn load(path: Option<&Path>) -> anyhow::Result<FileConfig> {
    let Some(p) = path else {
        return Ok(FileConfig::default());
    };
    let src =
        std::fs::read_to_string(p).with_context(|| format!("reading config {}", p.display()))?;
    let cfg: FileConfig = toml::from_str(&src)
        .map_err(|e| kompress_core::CoreError::config(p.display().to_string(), e.to_string()))?;
    cfg.compression.validate()?;
    Ok(cfg)
}

pub fn pipeline(fc: &FileConfig) -> anyhow::Result<Pipeline> {
    let floor = match &fc.floor {
        Some(p) => Floor::from_file(p).map_err(kompress_pipeline::PipelineError::from)?,
        None => Floor::embedded_default(),
    };
    let stat = fc.stat.clone();
    let settings = PipelineSettings {
        pruner: Box::new(move || Ok(Box::new(StatPruner::new(stat)))),
        floor: Arc::new(floor),
        ..PipelineSettings::default()
    };
    Ok(Pipeline::start(settings)?)
}
