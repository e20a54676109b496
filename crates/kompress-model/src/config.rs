//! Model configuration: mirrors Hugging Face `config.json` for the two supported families,
//! selected by `model_type`. Only the fields the encoder uses are interpreted; the bookkeeping
//! fields that `transformers` writes are accepted (listed explicitly) and ignored, anything else
//! is rejected so a typo never passes silently.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::error::ModelError;

/// The configuration of a supported encoder.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelConfig {
    Bert(BertConfig),
    ModernBert(ModernBertConfig),
}

impl ModelConfig {
    /// Reads and validates `config.json`.
    pub fn from_file(path: &Path) -> Result<ModelConfig, ModelError> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&text).map_err(|e| match e {
            ModelError::Json { source, .. } => ModelError::Json {
                path: path.to_path_buf(),
                source,
            },
            other => other,
        })
    }

    pub fn from_json(text: &str) -> Result<ModelConfig, ModelError> {
        let json_err = |source| ModelError::Json {
            path: "config.json".into(),
            source,
        };
        let mut value: Value = serde_json::from_str(text).map_err(json_err)?;
        if let Some(map) = value.as_object_mut() {
            for key in IGNORED_HF_KEYS {
                map.remove(*key);
            }
        }
        let model_type = value
            .get("model_type")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                ModelError::config(
                    "model_type",
                    "missing (expected \"bert\" or \"modernbert\")",
                )
            })?
            .to_string();
        let cfg = match model_type.as_str() {
            "bert" => ModelConfig::Bert(serde_json::from_value(value).map_err(json_err)?),
            "modernbert" => {
                ModelConfig::ModernBert(serde_json::from_value(value).map_err(json_err)?)
            }
            _ => return Err(ModelError::UnsupportedModelType { model_type }),
        };
        cfg.validate()?;
        Ok(cfg)
    }

    pub fn validate(&self) -> Result<(), ModelError> {
        match self {
            ModelConfig::Bert(c) => c.validate(),
            ModelConfig::ModernBert(c) => c.validate(),
        }
    }

    pub fn hidden_size(&self) -> i64 {
        match self {
            ModelConfig::Bert(c) => c.hidden_size,
            ModelConfig::ModernBert(c) => c.hidden_size,
        }
    }

    pub fn num_hidden_layers(&self) -> i64 {
        match self {
            ModelConfig::Bert(c) => c.num_hidden_layers,
            ModelConfig::ModernBert(c) => c.num_hidden_layers,
        }
    }

    /// Longest sequence (special tokens included) the encoder accepts.
    pub fn max_positions(&self) -> i64 {
        match self {
            ModelConfig::Bert(c) => c.max_position_embeddings,
            ModelConfig::ModernBert(c) => c.max_position_embeddings,
        }
    }

    pub fn pad_token_id(&self) -> i64 {
        match self {
            ModelConfig::Bert(c) => c.pad_token_id.unwrap_or(0),
            ModelConfig::ModernBert(c) => c.pad_token_id.unwrap_or(0),
        }
    }
}

/// `config.json` of a BERT encoder (`model_type: "bert"`), e.g. all-MiniLM-L6-v2.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BertConfig {
    pub model_type: String,
    pub vocab_size: i64,
    pub hidden_size: i64,
    pub num_hidden_layers: i64,
    pub num_attention_heads: i64,
    pub intermediate_size: i64,
    #[serde(default = "default_bert_act")]
    pub hidden_act: String,
    #[serde(default = "default_bert_positions")]
    pub max_position_embeddings: i64,
    #[serde(default = "default_type_vocab")]
    pub type_vocab_size: i64,
    #[serde(default = "default_bert_eps")]
    pub layer_norm_eps: f64,
    #[serde(default)]
    pub pad_token_id: Option<i64>,
    #[serde(default)]
    pub position_embedding_type: Option<String>,
}

fn default_bert_act() -> String {
    "gelu".into()
}
fn default_bert_positions() -> i64 {
    512
}
fn default_type_vocab() -> i64 {
    2
}
fn default_bert_eps() -> f64 {
    1e-12
}

impl BertConfig {
    pub fn validate(&self) -> Result<(), ModelError> {
        positive("vocab_size", self.vocab_size)?;
        positive("hidden_size", self.hidden_size)?;
        positive("num_hidden_layers", self.num_hidden_layers)?;
        positive("num_attention_heads", self.num_attention_heads)?;
        positive("intermediate_size", self.intermediate_size)?;
        positive("max_position_embeddings", self.max_position_embeddings)?;
        positive("type_vocab_size", self.type_vocab_size)?;
        divides("hidden_size", self.hidden_size, self.num_attention_heads)?;
        gelu("hidden_act", &self.hidden_act)?;
        eps("layer_norm_eps", self.layer_norm_eps)?;
        token_id("pad_token_id", self.pad_token_id, self.vocab_size)?;
        if let Some(p) = &self.position_embedding_type {
            if p != "absolute" {
                return Err(ModelError::config(
                    "position_embedding_type",
                    format!("{p:?} is not supported (only \"absolute\")"),
                ));
            }
        }
        Ok(())
    }
}

/// `config.json` of a ModernBERT encoder (`model_type: "modernbert"`). Accepts both the
/// original layout (`global_attn_every_n_layers`, `global_rope_theta`, `local_rope_theta`) and
/// the one `transformers` 5 writes (`layer_types`, `rope_parameters`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModernBertConfig {
    pub model_type: String,
    pub vocab_size: i64,
    pub hidden_size: i64,
    pub num_hidden_layers: i64,
    pub num_attention_heads: i64,
    pub intermediate_size: i64,
    #[serde(default = "default_bert_act")]
    pub hidden_activation: String,
    #[serde(default = "default_mb_positions")]
    pub max_position_embeddings: i64,
    #[serde(default = "default_mb_eps")]
    pub norm_eps: f64,
    #[serde(default)]
    pub norm_bias: bool,
    #[serde(default)]
    pub attention_bias: bool,
    #[serde(default)]
    pub mlp_bias: bool,
    #[serde(default = "default_local_attention")]
    pub local_attention: i64,
    #[serde(default)]
    pub global_attn_every_n_layers: Option<i64>,
    #[serde(default)]
    pub layer_types: Option<Vec<String>>,
    #[serde(default)]
    pub global_rope_theta: Option<f64>,
    #[serde(default)]
    pub local_rope_theta: Option<f64>,
    #[serde(default)]
    pub rope_parameters: Option<Value>,
    #[serde(default)]
    pub pad_token_id: Option<i64>,
    #[serde(default)]
    pub cls_token_id: Option<i64>,
    #[serde(default)]
    pub sep_token_id: Option<i64>,
    /// Written by some ModernBERT exports next to `norm_eps`; unused.
    #[serde(default)]
    pub layer_norm_eps: Option<Value>,
    /// Written by some ModernBERT exports; unused (positions are rotary).
    #[serde(default)]
    pub position_embedding_type: Option<Value>,
}

fn default_mb_positions() -> i64 {
    8192
}
fn default_mb_eps() -> f64 {
    1e-5
}
fn default_local_attention() -> i64 {
    128
}

/// Attention kind of one ModernBERT layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AttentionKind {
    /// Every token sees every token; rotary base `theta`.
    Global { theta: f64 },
    /// A token sees tokens at distance `<= half_window`; rotary base `theta`.
    Local { theta: f64, half_window: i64 },
}

impl ModernBertConfig {
    pub fn validate(&self) -> Result<(), ModelError> {
        positive("vocab_size", self.vocab_size)?;
        positive("hidden_size", self.hidden_size)?;
        positive("num_hidden_layers", self.num_hidden_layers)?;
        positive("num_attention_heads", self.num_attention_heads)?;
        positive("intermediate_size", self.intermediate_size)?;
        positive("max_position_embeddings", self.max_position_embeddings)?;
        positive("local_attention", self.local_attention)?;
        divides("hidden_size", self.hidden_size, self.num_attention_heads)?;
        if (self.hidden_size / self.num_attention_heads) % 2 != 0 {
            return Err(ModelError::config(
                "num_attention_heads",
                "head dimension (hidden_size / num_attention_heads) must be even for rotary embeddings",
            ));
        }
        gelu("hidden_activation", &self.hidden_activation)?;
        eps("norm_eps", self.norm_eps)?;
        if let Some(n) = self.global_attn_every_n_layers {
            positive("global_attn_every_n_layers", n)?;
        }
        if let Some(types) = &self.layer_types {
            if types.len() as i64 != self.num_hidden_layers {
                return Err(ModelError::config(
                    "layer_types",
                    format!(
                        "has {} entries for {} layers",
                        types.len(),
                        self.num_hidden_layers
                    ),
                ));
            }
            if let Some(t) = types
                .iter()
                .find(|t| *t != "full_attention" && *t != "sliding_attention")
            {
                return Err(ModelError::config(
                    "layer_types",
                    format!("unknown layer type {t:?}"),
                ));
            }
        }
        for (field, v) in [
            ("global_rope_theta", self.global_rope_theta),
            ("local_rope_theta", self.local_rope_theta),
        ] {
            if v.is_some_and(|t| t.is_nan() || t <= 0.0) {
                return Err(ModelError::config(field, "must be > 0"));
            }
        }
        self.rope_theta("full_attention")?;
        self.rope_theta("sliding_attention")?;
        token_id("pad_token_id", self.pad_token_id, self.vocab_size)?;
        token_id("cls_token_id", self.cls_token_id, self.vocab_size)?;
        token_id("sep_token_id", self.sep_token_id, self.vocab_size)?;
        Ok(())
    }

    fn rope_theta(&self, layer_type: &str) -> Result<f64, ModelError> {
        if let Some(params) = &self.rope_parameters {
            let entry = params.get(layer_type).unwrap_or(params);
            if let Some(rt) = entry.get("rope_type").and_then(Value::as_str) {
                if rt != "default" {
                    return Err(ModelError::config(
                        "rope_parameters",
                        format!(
                            "rope_type {rt:?} for {layer_type} is not supported (only \"default\")"
                        ),
                    ));
                }
            }
            if let Some(theta) = entry.get("rope_theta").and_then(Value::as_f64) {
                if theta.is_nan() || theta <= 0.0 {
                    return Err(ModelError::config(
                        "rope_parameters",
                        "rope_theta must be > 0",
                    ));
                }
                return Ok(theta);
            }
        }
        Ok(match layer_type {
            "full_attention" => self.global_rope_theta.unwrap_or(160_000.0),
            _ => self.local_rope_theta.unwrap_or(10_000.0),
        })
    }

    /// The attention kind of every layer, in order.
    pub fn attention_kinds(&self) -> Vec<AttentionKind> {
        let global = self.rope_theta("full_attention").unwrap_or(160_000.0);
        let local = self.rope_theta("sliding_attention").unwrap_or(10_000.0);
        let half_window = self.local_attention / 2;
        let every = self.global_attn_every_n_layers.unwrap_or(3);
        (0..self.num_hidden_layers)
            .map(|i| {
                let is_global = match &self.layer_types {
                    Some(t) => t[i as usize] == "full_attention",
                    None => i % every == 0,
                };
                if is_global {
                    AttentionKind::Global { theta: global }
                } else {
                    AttentionKind::Local {
                        theta: local,
                        half_window,
                    }
                }
            })
            .collect()
    }
}

/// Keys `transformers` writes into `config.json` that do not change the encoder's forward
/// pass (training settings, heads we do not build, provenance). They are removed before the
/// strict parse; every other unknown key is an error.
pub const IGNORED_HF_KEYS: &[&str] = &[
    "_name_or_path",
    "architectures",
    "transformers_version",
    "torch_dtype",
    "dtype",
    "initializer_range",
    "initializer_cutoff_factor",
    "gradient_checkpointing",
    "use_cache",
    "hidden_dropout_prob",
    "attention_probs_dropout_prob",
    "attention_dropout",
    "embedding_dropout",
    "mlp_dropout",
    "classifier_dropout",
    "classifier_pooling",
    "classifier_bias",
    "classifier_activation",
    "decoder_bias",
    "deterministic_flash_attn",
    "sparse_prediction",
    "sparse_pred_ignore_index",
    "reference_compile",
    "repad_logits_with_grad",
    "tie_word_embeddings",
    "bos_token_id",
    "eos_token_id",
    "is_decoder",
    "add_cross_attention",
    "chunk_size_feed_forward",
    "id2label",
    "label2id",
    "problem_type",
    "output_attentions",
    "output_hidden_states",
    "return_dict",
];

fn positive(field: &str, v: i64) -> Result<(), ModelError> {
    if v <= 0 {
        return Err(ModelError::config(field, format!("must be > 0, got {v}")));
    }
    Ok(())
}

fn divides(field: &str, hidden: i64, heads: i64) -> Result<(), ModelError> {
    if hidden % heads != 0 {
        return Err(ModelError::config(
            field,
            format!("{hidden} is not a multiple of num_attention_heads ({heads})"),
        ));
    }
    Ok(())
}

fn gelu(field: &str, act: &str) -> Result<(), ModelError> {
    if act != "gelu" {
        return Err(ModelError::config(
            field,
            format!("{act:?} is not supported (only \"gelu\")"),
        ));
    }
    Ok(())
}

fn eps(field: &str, v: f64) -> Result<(), ModelError> {
    if !(v > 0.0 && v < 1.0) {
        return Err(ModelError::config(
            field,
            format!("must lie in (0, 1), got {v}"),
        ));
    }
    Ok(())
}

fn token_id(field: &str, id: Option<i64>, vocab: i64) -> Result<(), ModelError> {
    if let Some(id) = id {
        if id < 0 || id >= vocab {
            return Err(ModelError::config(
                field,
                format!("{id} lies outside the vocabulary (size {vocab})"),
            ));
        }
    }
    Ok(())
}
