//! The one error enum of the core crate. Every variant says what was wrong and where.

use thiserror::Error;

/// Where an error belongs, so callers (HTTP, Kafka DLQ) can map it without string matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorDomain {
    /// The caller sent something we cannot accept (bad bytes, bad JSON, bad config).
    Input,
    /// Something inside kompress failed; retrying the same input may help.
    Internal,
}

#[derive(Debug, Error)]
pub enum CoreError {
    #[error("input is not valid UTF-8: invalid byte at offset {offset} (line {line})")]
    InvalidUtf8 { offset: usize, line: usize },

    #[error("malformed JSON at line {line}, column {column}: {reason}")]
    MalformedJson {
        line: usize,
        column: usize,
        reason: String,
    },

    #[error("unknown role {role:?} in message {index} (expected one of: {expected})")]
    UnknownRole {
        index: usize,
        role: String,
        expected: &'static str,
    },

    #[error("transcript does not match the {format} schema: {reason}")]
    Schema {
        format: &'static str,
        reason: String,
    },

    #[error("input is empty")]
    EmptyInput,

    #[error("input of {size} bytes exceeds the limit of {limit} bytes")]
    Oversized { size: usize, limit: usize },

    #[error("invalid configuration: field `{field}`: {reason}")]
    InvalidConfig { field: String, reason: String },

    #[error("cannot restore: {reason}")]
    Restore { reason: String },

    #[error("pruner `{pruner}` failed: {reason}")]
    Pruner { pruner: String, reason: String },
}

impl CoreError {
    pub fn domain(&self) -> ErrorDomain {
        match self {
            CoreError::Pruner { .. } => ErrorDomain::Internal,
            _ => ErrorDomain::Input,
        }
    }

    /// A short stable name for metrics, DLQ headers and HTTP error bodies.
    pub fn kind(&self) -> &'static str {
        match self {
            CoreError::InvalidUtf8 { .. } => "invalid_utf8",
            CoreError::MalformedJson { .. } => "malformed_json",
            CoreError::UnknownRole { .. } => "unknown_role",
            CoreError::Schema { .. } => "schema",
            CoreError::EmptyInput => "empty_input",
            CoreError::Oversized { .. } => "oversized",
            CoreError::InvalidConfig { .. } => "invalid_config",
            CoreError::Restore { .. } => "restore",
            CoreError::Pruner { .. } => "pruner",
        }
    }

    pub fn config(field: impl Into<String>, reason: impl Into<String>) -> Self {
        CoreError::InvalidConfig {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Checks bytes are UTF-8 and returns the text, or a typed error naming the offset and line.
pub fn utf8(bytes: &[u8]) -> Result<&str, CoreError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        let line = 1 + bytes[..offset].iter().filter(|b| **b == b'\n').count();
        CoreError::InvalidUtf8 { offset, line }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_names_offset_and_line() {
        let err = utf8(b"ok\nbad \xff here").unwrap_err();
        assert!(matches!(err, CoreError::InvalidUtf8 { offset: 7, line: 2 }));
        assert_eq!(err.kind(), "invalid_utf8");
    }
}
