//! The one error type of kompress-eval.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("reading {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: not a case")]
    BadCase {
        path: PathBuf,
        line: usize,
        #[source]
        source: serde_json::Error,
    },
    #[error("invalid setting `{field}`: {reason}")]
    Config { field: &'static str, reason: String },
    #[error("loading the o200k_base tokenizer: {0}")]
    Bpe(String),
    #[error("compressing case {id}")]
    Compress {
        id: String,
        #[source]
        source: kompress_core::CoreError,
    },
    #[error("peer {name}: {reason}")]
    Peer { name: String, reason: String },
    #[error("drawing {path}: {reason}")]
    Plot { path: PathBuf, reason: String },
    #[error("writing JSON")]
    Json(#[from] serde_json::Error),
}

impl EvalError {
    pub fn config(field: &'static str, reason: impl Into<String>) -> EvalError {
        EvalError::Config {
            field,
            reason: reason.into(),
        }
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> EvalError {
        EvalError::Io {
            path: path.into(),
            source,
        }
    }
}
