//! The one error type of this crate.

use thiserror::Error;

/// Everything that can go wrong while storing or recalling evictions.
#[derive(Debug, Error)]
pub enum MemoryError {
    #[error("sqlite failed while {context}")]
    Sqlite {
        context: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    #[cfg(feature = "postgres")]
    #[error("postgres failed while {context}")]
    Postgres {
        context: &'static str,
        #[source]
        source: postgres::Error,
    },
    #[error("invalid memory config: field `{field}`: {reason}")]
    Config { field: &'static str, reason: String },
    #[error("invalid record field `{field}`: {reason}")]
    InvalidRecord { field: &'static str, reason: String },
    #[error("the store's writer thread has stopped")]
    WriterGone,
    #[error("restoring transcript {transcript_id:?} from the store failed")]
    Restore {
        transcript_id: String,
        #[source]
        source: kompress_core::CoreError,
    },
    #[error("bad kompress_retrieve tool call: {reason}")]
    ToolCall { reason: String },
    #[error("i/o failed while {context}")]
    Io {
        context: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("blocking task for the store did not finish")]
    Join(#[source] tokio::task::JoinError),
}

impl MemoryError {
    /// The caller's scope (`tenant` or `session`) is unacceptable (empty, too long): a request
    /// error, not a store failure.
    pub fn is_invalid_scope(&self) -> bool {
        matches!(
            self,
            MemoryError::InvalidRecord {
                field: "tenant" | "session",
                ..
            }
        )
    }

    pub(crate) fn sqlite(context: &'static str) -> impl FnOnce(rusqlite::Error) -> MemoryError {
        move |source| MemoryError::Sqlite { context, source }
    }

    #[cfg(feature = "postgres")]
    pub(crate) fn pg(context: &'static str) -> impl FnOnce(postgres::Error) -> MemoryError {
        move |source| MemoryError::Postgres { context, source }
    }
}

pub type Result<T, E = MemoryError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_or_oversized_tenant_or_session_is_an_invalid_scope_and_nothing_else_is() {
        assert!(crate::record::check_scope("tenant", "")
            .unwrap_err()
            .is_invalid_scope());
        assert!(crate::record::check_scope("session", &"s".repeat(100_000))
            .unwrap_err()
            .is_invalid_scope());
        let other = MemoryError::InvalidRecord {
            field: "database",
            reason: "integrity check: tenant table damaged".into(),
        };
        assert!(
            !other.is_invalid_scope(),
            "decided by the field, not the message"
        );
    }
}
