//! `adapter_config.json`: how the LoRA adapters in `lora.safetensors` attach, and which base
//! encoder they were trained on. Field names follow PEFT's adapter config where they overlap.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::ModelError;
use crate::layers::LoraPlan;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdapterConfig {
    /// LoRA rank.
    pub r: i64,
    pub lora_alpha: f64,
    /// Module-name suffixes that get adapters (`query`, `value`, `attn.Wqkv`, …).
    pub target_modules: Vec<String>,
    /// Encoder layers with adapters.
    pub layers_to_transform: Vec<i64>,
    /// Directory of the base encoder (`config.json`, `model.safetensors`, `tokenizer.json`),
    /// relative to the adapter directory unless absolute. Absent: the adapter directory itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_model_name_or_path: Option<String>,
}

impl AdapterConfig {
    pub fn from_file(path: &Path) -> Result<AdapterConfig, ModelError> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let cfg: AdapterConfig =
            serde_json::from_str(&text).map_err(|source| ModelError::Json {
                path: path.to_path_buf(),
                source,
            })?;
        cfg.validate(None)?;
        Ok(cfg)
    }

    /// Checks the fields; with `num_layers`, also that every listed layer exists.
    pub fn validate(&self, num_layers: Option<i64>) -> Result<(), ModelError> {
        if self.r <= 0 {
            return Err(ModelError::config(
                "r",
                format!("must be > 0, got {}", self.r),
            ));
        }
        if self.lora_alpha.is_nan() || self.lora_alpha <= 0.0 {
            return Err(ModelError::config("lora_alpha", "must be > 0"));
        }
        if self.target_modules.is_empty() || self.target_modules.iter().any(|t| t.is_empty()) {
            return Err(ModelError::config(
                "target_modules",
                "must list at least one non-empty module name",
            ));
        }
        if let Some(bad) = self
            .layers_to_transform
            .iter()
            .find(|&&l| l < 0 || num_layers.is_some_and(|n| l >= n))
        {
            return Err(ModelError::config(
                "layers_to_transform",
                format!("layer {bad} does not exist in the encoder"),
            ));
        }
        Ok(())
    }

    pub fn plan(&self) -> LoraPlan {
        LoraPlan {
            rank: self.r,
            alpha: self.lora_alpha,
            targets: self.target_modules.clone(),
            layers: self.layers_to_transform.clone(),
        }
    }

    pub fn from_plan(plan: &LoraPlan, base: Option<String>) -> AdapterConfig {
        AdapterConfig {
            r: plan.rank,
            lora_alpha: plan.alpha,
            target_modules: plan.targets.clone(),
            layers_to_transform: plan.layers.clone(),
            base_model_name_or_path: base,
        }
    }

    /// The base model directory for an adapter stored in `adapter_dir`.
    pub fn base_dir(&self, adapter_dir: &Path) -> PathBuf {
        match &self.base_model_name_or_path {
            Some(b) if Path::new(b).is_absolute() => PathBuf::from(b),
            Some(b) => adapter_dir.join(b),
            None => adapter_dir.to_path_buf(),
        }
    }
}
