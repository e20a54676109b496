//! Which pruner the pipeline's model actor owns (`[pruner]` in kompress.toml): the statistical
//! scorer, the learned tch model, or a blend of both. The model is loaded on the actor's own
//! thread (the factory runs there). The CLI, `serve` and `stream` share this crate.
//!
//! The learned pruner sits behind the cargo feature `learned` (libtorch through tch). Without
//! it nothing here links libtorch; `learned` and `blend` are then a typed
//! [`CoreError::Pruner`] naming the feature, and `auto` is the statistical pruner (its model
//! kinds, when configured, fall back to the statistical pruner with one line on stderr).
//!
//! The default, `auto`, routes by kind of text ([`kompress_pipeline::RoutedPruner`]): the statistical pruner,
//! and the blend of the default model with it (weight 0.3 on the model, eviction bias 1.0)
//! only for the kinds in `learned_kinds` and texts of at least `learned_min_tokens` tokens,
//! the model loaded on first use. Which kinds get the model was decided on the corpus's
//! training split by a rule fixed beforehand (models/README.md). `kompress serve` resolves
//! `auto` to `stat`.

use std::path::{Path, PathBuf};

use kompress_core::{CoreError, Pruner, TextKind};
use kompress_pipeline::BlendPruner;
use kompress_stat::{StatConfig, StatPruner};
use serde::{Deserialize, Serialize};

#[cfg(feature = "learned")]
mod learned;
mod pipeline_config;

#[cfg(feature = "learned")]
pub use learned::load_model;
pub use pipeline_config::PipelineConfig;

/// Whether this build has the learned pruner (the cargo feature `learned`).
pub const LEARNED: bool = cfg!(feature = "learned");
/// Sub-word pieces per window of the model (kompress-model's `DEFAULT_WINDOW`).
pub const MODEL_WINDOW: usize = 512;
/// Padded sub-word pieces per forward pass (kompress-model's `DEFAULT_BATCH_TOKENS`).
pub const MODEL_BATCH_TOKENS: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum PrunerKind {
    /// The blend with the default model when it loads, else the statistical pruner.
    #[default]
    Auto,
    /// Statistical line scorer (no model).
    Stat,
    /// The learned model alone.
    Learned,
    /// Learned and statistical logits averaged (`blend_weight` on the learned side, plus
    /// `blend_bias`).
    Blend,
}

/// The model's weight and activation type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Dtype {
    /// bf16 where the device computes it natively (a CPU with AVX512-BF16), else f32.
    #[default]
    Auto,
    /// fp32.
    F32,
    /// bfloat16 weights and activations, scores read back as fp32.
    Bf16,
}

/// `[pruner]` in kompress.toml.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrunerSpec {
    pub kind: PrunerKind,
    /// Model directory (see models/README.md); default models/default.
    pub model: Option<PathBuf>,
    /// Intra-op threads of the model (0 = libtorch's default).
    pub threads: i32,
    /// Padded sub-word pieces per forward pass.
    pub batch_tokens: usize,
    /// Weight of the learned model in a blend, in (0, 1).
    pub blend_weight: f32,
    /// Added to the blend's eviction logits (positive evicts more; same as a threshold of
    /// `sigmoid(-bias)` for the blend alone).
    pub blend_bias: f32,
    /// The model's type: auto (default: bf16 on CPUs with AVX512-BF16, else f32), f32, bf16.
    pub dtype: Dtype,
    /// `auto`: the kinds of text the learned blend scores (the rest: the statistical pruner).
    pub learned_kinds: Vec<TextKind>,
    /// `auto`: texts with fewer tokens than this never wait for the model.
    pub learned_min_tokens: usize,
}

impl Default for PrunerSpec {
    fn default() -> Self {
        PrunerSpec {
            kind: PrunerKind::default(),
            model: None,
            threads: 0,
            batch_tokens: MODEL_BATCH_TOKENS,
            blend_weight: 0.3,
            blend_bias: 1.0,
            dtype: Dtype::default(),
            learned_kinds: kompress_pipeline::DEFAULT_LEARNED_KINDS.to_vec(),
            learned_min_tokens: kompress_pipeline::DEFAULT_LEARNED_MIN_TOKENS,
        }
    }
}

/// Where the default model lives: `models/default` under the working directory when present,
/// else the one of the source tree this binary was built from.
pub fn default_model_dir() -> PathBuf {
    let local = Path::new("models/default");
    if local.join("adapter_config.json").is_file() {
        return local.to_path_buf();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/default")
}

impl PrunerSpec {
    /// Checks every field; the error names the offending one (`pruner.threads`, …).
    pub fn validate(&self) -> Result<(), CoreError> {
        if self.threads < 0 {
            return Err(CoreError::config(
                "pruner.threads",
                format!("must be 0 (default) or more, got {}", self.threads),
            ));
        }
        if self.batch_tokens < MODEL_WINDOW {
            return Err(CoreError::config(
                "pruner.batch_tokens",
                format!(
                    "must be at least one window ({}), got {}",
                    MODEL_WINDOW, self.batch_tokens
                ),
            ));
        }
        if !(self.blend_weight > 0.0 && self.blend_weight < 1.0) {
            return Err(CoreError::config(
                "pruner.blend_weight",
                format!("must be in (0, 1), got {}", self.blend_weight),
            ));
        }
        if !self.blend_bias.is_finite() {
            return Err(CoreError::config(
                "pruner.blend_bias",
                format!("must be a finite number, got {}", self.blend_bias),
            ));
        }
        if let Some(m) = &self.model {
            if !m.is_dir() {
                return Err(CoreError::config(
                    "pruner.model",
                    format!("{} is not a directory", m.display()),
                ));
            }
        }
        Ok(())
    }

    pub fn model_dir(&self) -> PathBuf {
        self.model.clone().unwrap_or_else(default_model_dir)
    }

    /// The token budget of the pipeline's batches: the statistical pruner takes large batches;
    /// the model's forward passes are bounded by `batch_tokens` inside the pruner.
    pub fn batch_token_budget(&self) -> usize {
        match self.kind {
            PrunerKind::Stat => 16_384,
            // without the model nothing waits for forward passes
            PrunerKind::Auto if !LEARNED => 16_384,
            PrunerKind::Auto | PrunerKind::Learned | PrunerKind::Blend => {
                self.batch_tokens.max(1024) * 2
            }
        }
    }

    /// The learned model as `[pruner]` says (threads, window, batch, dtype).
    pub fn load_learned(&self) -> Result<Box<dyn Pruner>, CoreError> {
        #[cfg(feature = "learned")]
        {
            learned::load(self)
        }
        #[cfg(not(feature = "learned"))]
        {
            Err(not_built())
        }
    }

    /// Builds the pruner (called on the pipeline's model thread).
    pub fn build(&self, stat: &StatConfig) -> Result<Box<dyn Pruner>, CoreError> {
        Ok(match self.kind {
            PrunerKind::Stat => Box::new(StatPruner::new(stat.clone())),
            PrunerKind::Learned => self.load_learned()?,
            PrunerKind::Blend => Box::new(self.blend(self.load_learned()?, stat)?),
            PrunerKind::Auto => {
                let (spec, st) = (self.clone(), stat.clone());
                Box::new(kompress_pipeline::RoutedPruner::new(
                    StatPruner::new(stat.clone()),
                    self.learned_kinds.clone(),
                    self.learned_min_tokens,
                    Box::new(move || {
                        let model = spec.load_learned()?;
                        Ok(Box::new(spec.blend(model, &st)?) as Box<dyn Pruner>)
                    }),
                ))
            }
        })
    }

    fn blend(&self, model: Box<dyn Pruner>, stat: &StatConfig) -> Result<BlendPruner, CoreError> {
        blend_with_stat(model, self.blend_weight, self.blend_bias, stat)
    }
}

/// A learned pruner's logits averaged with the statistical pruner's, `weight` on the model,
/// `bias` added to the eviction logits.
pub fn blend_with_stat(
    model: Box<dyn Pruner>,
    weight: f32,
    bias: f32,
    stat: &StatConfig,
) -> Result<BlendPruner, CoreError> {
    BlendPruner::new(vec![
        (model, weight),
        (Box::new(StatPruner::new(stat.clone())), 1.0 - weight),
    ])?
    .with_bias(bias)
}

/// The error for a learned pruner in a build without the `learned` feature.
pub fn not_built() -> CoreError {
    CoreError::Pruner {
        pruner: "learned".into(),
        reason: "this kompress was built without the `learned` cargo feature (no libtorch); \
                 rebuild with default features for `learned`, `blend` or `learned_kinds`"
            .into(),
    }
}
