//! `kompress.toml`: `[compression]` (kompress_core::CompressionConfig), `[stat]`
//! (kompress_stat::StatConfig), `[pruner]` (which pruner, which model), plus the floor file.
//! Layers: defaults, the file, `KOMPRESS__*` variables, then flags.

use std::path::{Path, PathBuf};

use anyhow::Context;
use kompress_core::CompressionConfig;
use kompress_pipeline::{Pipeline, PipelineSettings};
use kompress_stat::StatConfig;
use serde::Deserialize;

use kompress_pruners::{PipelineConfig, PrunerSpec};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileConfig {
    pub compression: CompressionConfig,
    pub stat: StatConfig,
    pub pruner: PrunerSpec,
    /// A floor pattern file (TOML) replacing the embedded default.
    pub floor: Option<PathBuf>,
}

/// kompress.toml: the defaults, then the file (when given), then the `KOMPRESS__*` variables
/// of its keys (`KOMPRESS__COMPRESSION__MODE=ultra`, [`kompress_core::layered`]); each
/// command's flags go on top. Validated; the error names the field.
pub fn load(path: Option<&Path>) -> anyhow::Result<FileConfig> {
    load_layered(path, kompress_core::layered::KOMPRESS_TOML)
}

/// [`load`], with the variables of the keys in `own` only.
fn load_layered(path: Option<&Path>, own: &[&str]) -> anyhow::Result<FileConfig> {
    let source = path.map_or("<environment>".to_string(), |p| p.display().to_string());
    let mut root = match path {
        Some(p) => {
            let src = std::fs::read_to_string(p)
                .with_context(|| format!("reading config {}", p.display()))?;
            toml::from_str::<toml::Table>(&src)
                .map_err(|e| kompress_core::CoreError::config(source.clone(), e.to_string()))?
        }
        None => toml::Table::new(),
    };
    kompress_core::layered::overlay_env(&mut root, std::env::vars(), own)?;
    let cfg: FileConfig = toml::Value::Table(root)
        .try_into()
        .map_err(|e: toml::de::Error| kompress_core::CoreError::config(source, e.to_string()))?;
    cfg.compression.validate()?;
    cfg.pruner.validate()?;
    Ok(cfg)
}

impl FileConfig {
    /// The pipeline part of the file: `[pruner]`, `[stat]`, `floor`.
    pub fn pipeline_config(&self) -> PipelineConfig {
        PipelineConfig {
            pruner: self.pruner.clone(),
            stat: self.stat.clone(),
            floor: self.floor.clone(),
        }
    }
}

/// Pipeline settings for the configured pruner, `[stat]` and floor (other knobs at their
/// defaults), with their identity.
pub fn pipeline_settings(fc: &FileConfig) -> anyhow::Result<PipelineSettings> {
    Ok(fc.pipeline_config().settings()?)
}

/// What the long-running commands (`serve`, `stream`, `recompress`) read for their pipeline:
/// the `[pruner]`, `[stat]` and floor of a kompress.toml (the file `compress --config` takes),
/// then the pruner flags.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ServiceFlags {
    /// A kompress.toml whose `[pruner]`, `[stat]` and `floor` this command's pipeline uses,
    /// as `kompress compress --config` does. Its `[compression]` is not read here: serve and
    /// stream take `[compression]` from their own config file.
    #[arg(long, env = "KOMPRESS_PIPELINE_CONFIG")]
    pub pipeline_config: Option<PathBuf>,
    #[command(flatten)]
    pub pruner: PrunerFlags,
}

/// Pipeline settings for the long-running commands: the `--pipeline-config` file's pruner,
/// `[stat]` and floor, the flags over them, `auto` meaning the statistical pruner (latency per
/// request, throughput per partition); the model is opt-in there (`--pruner blend`, `--model
/// DIR`, or `kind = "blend"` in the file).
pub fn service_pipeline_settings(flags: &ServiceFlags) -> anyhow::Result<PipelineSettings> {
    // `KOMPRESS__COMPRESSION__*` belongs to the command's own config here, not to this file
    let mut fc = load_layered(
        flags.pipeline_config.as_deref(),
        &["stat", "pruner", "floor"],
    )?;
    if fc.compression != CompressionConfig::default() {
        if let Some(p) = &flags.pipeline_config {
            eprintln!(
                "kompress: the [compression] table of {} is not used by this command \
                 (its own config file's [compression] applies)",
                p.display()
            );
        }
    }
    flags.pruner.apply(&mut fc)?;
    if fc.pruner.kind == kompress_pruners::PrunerKind::Auto {
        fc.pruner.kind = kompress_pruners::PrunerKind::Stat;
    }
    pipeline_settings(&fc)
}

pub fn pipeline(fc: &FileConfig) -> anyhow::Result<Pipeline> {
    Ok(Pipeline::start(pipeline_settings(fc)?)?)
}

/// The flags every pipeline-running command shares: `--pruner`, `--model`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct PrunerFlags {
    /// Which pruner scores tokens: auto (the default: routed by kind of text, the blend only
    /// for `[pruner] learned_kinds`, loaded on first use), stat (statistical, no model),
    /// learned (the tch model alone), or blend (learned and statistical logits averaged).
    /// Overrides `[pruner] kind`.
    #[arg(long, value_enum)]
    pub pruner: Option<kompress_pruners::PrunerKind>,
    /// A model directory for the learned pruner (default: models/default, or $KOMPRESS_MODEL).
    /// Implies `--pruner learned` unless --pruner says otherwise.
    #[arg(long, env = "KOMPRESS_MODEL")]
    pub model: Option<PathBuf>,
    /// The model's type: auto (bf16 on CPUs with AVX512-BF16, else f32), f32 or bf16.
    /// Overrides `[pruner] dtype`.
    #[arg(long, value_enum)]
    pub dtype: Option<kompress_pruners::Dtype>,
}

impl PrunerFlags {
    pub fn apply(&self, fc: &mut FileConfig) -> anyhow::Result<()> {
        if let Some(m) = &self.model {
            fc.pruner.model = Some(m.clone());
            use kompress_pruners::PrunerKind;
            if self.pruner.is_none()
                && matches!(fc.pruner.kind, PrunerKind::Stat | PrunerKind::Auto)
            {
                fc.pruner.kind = kompress_pruners::PrunerKind::Learned;
            }
        }
        if let Some(k) = self.pruner {
            fc.pruner.kind = k;
        }
        if let Some(d) = self.dtype {
            fc.pruner.dtype = d;
        }
        Ok(fc.pruner.validate()?)
    }
}

/// The compression flags of the commands that compress text (`compress`, `score`).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct CompressionFlags {
    /// safe | ultra. Overrides `[compression] mode`.
    #[arg(long)]
    pub mode: Option<kompress_core::Mode>,
    /// Fraction of tokens to keep, in (0, 1].
    #[arg(long)]
    pub target_ratio: Option<f32>,
    /// Elide without `[…N lines, ref=…]` markers (restore still works from the records).
    #[arg(long)]
    pub no_markers: bool,
    /// Keep ANSI colour codes.
    #[arg(long)]
    pub keep_ansi: bool,
    /// Compress even texts shorter than this many bytes (default 256).
    #[arg(long)]
    pub min_bytes: Option<usize>,
}

impl CompressionFlags {
    /// Lays the flags over `[compression]` and checks the result.
    pub fn apply(&self, c: &mut CompressionConfig) -> anyhow::Result<()> {
        if let Some(m) = self.mode {
            c.mode = m;
        }
        if self.target_ratio.is_some() {
            c.target_ratio = self.target_ratio;
        }
        if let Some(m) = self.min_bytes {
            c.min_bytes = m;
        }
        c.markers &= !self.no_markers;
        c.strip_ansi &= !self.keep_ansi;
        c.validate()?;
        Ok(())
    }
}
