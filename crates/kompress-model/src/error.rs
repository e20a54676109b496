//! The one error enum of the model crate. Every variant names what was wrong: the file, the
//! config field or the tensor.

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum ModelError {
    #[error("cannot read {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot parse {path}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },

    #[error("invalid model configuration: field `{field}`: {reason}")]
    InvalidConfig { field: String, reason: String },

    #[error("unsupported model_type {model_type:?} (supported: bert, modernbert)")]
    UnsupportedModelType { model_type: String },

    #[error("checkpoint {file}: tensor `{name}` is missing")]
    MissingTensor { file: PathBuf, name: String },

    #[error("checkpoint {file}: unexpected tensor `{name}` (not part of the model)")]
    UnexpectedTensor { file: PathBuf, name: String },

    #[error(
        "checkpoint {file}: tensor `{name}` has shape {found:?}, the model expects {expected:?}"
    )]
    ShapeMismatch {
        file: PathBuf,
        name: String,
        expected: Vec<i64>,
        found: Vec<i64>,
    },

    #[error("tokenizer {path}: {reason}")]
    Tokenizer { path: PathBuf, reason: String },

    #[error("tokenizer failed on the input: {reason}")]
    Tokenize { reason: String },

    #[error("libtorch: {context}")]
    Torch {
        context: String,
        #[source]
        source: tch::TchError,
    },

    #[error("training data {path}: {reason}")]
    TrainingData { path: PathBuf, reason: String },
}

impl ModelError {
    pub(crate) fn torch(context: impl Into<String>) -> impl FnOnce(tch::TchError) -> ModelError {
        let context = context.into();
        move |source| ModelError::Torch { context, source }
    }

    pub(crate) fn config(field: &str, reason: impl Into<String>) -> ModelError {
        ModelError::InvalidConfig {
            field: field.to_string(),
            reason: reason.into(),
        }
    }

    /// Short machine-readable kind, for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            ModelError::Io { .. } => "io",
            ModelError::Json { .. } => "json",
            ModelError::InvalidConfig { .. } => "invalid_config",
            ModelError::UnsupportedModelType { .. } => "unsupported_model_type",
            ModelError::MissingTensor { .. } => "missing_tensor",
            ModelError::UnexpectedTensor { .. } => "unexpected_tensor",
            ModelError::ShapeMismatch { .. } => "shape_mismatch",
            ModelError::Tokenizer { .. } => "tokenizer",
            ModelError::Tokenize { .. } => "tokenize",
            ModelError::Torch { .. } => "torch",
            ModelError::TrainingData { .. } => "training_data",
        }
    }
}

impl From<ModelError> for kompress_core::CoreError {
    fn from(e: ModelError) -> Self {
        let mut reason = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            reason.push_str(": ");
            reason.push_str(&s.to_string());
            src = s.source();
        }
        kompress_core::CoreError::Pruner {
            pruner: "tch".to_string(),
            reason,
        }
    }
}
