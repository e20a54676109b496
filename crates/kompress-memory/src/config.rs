//! Store configuration (serde, unknown fields rejected) and opening a store from it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{MemoryError, MemoryStore, Result, ScrubConfig};

/// Which backend holds the records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum BackendConfig {
    /// Embedded SQLite file (WAL, FTS5).
    Sqlite {
        path: PathBuf,
        /// Read connections kept open.
        #[serde(default = "default_readers")]
        readers: usize,
        /// Batches that may wait for the writer before `put_batch` blocks.
        #[serde(default = "default_queue")]
        write_queue: usize,
    },
    /// PostgreSQL server (needs the `postgres` feature).
    Postgres {
        url: String,
        #[serde(default = "default_readers")]
        connections: usize,
    },
}

fn default_readers() -> usize {
    4
}

fn default_queue() -> usize {
    64
}

/// Everything needed to open a store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemoryConfig {
    pub backend: BackendConfig,
    /// Expiry given to records that come without one; none: kept until purged by hand.
    #[serde(default)]
    pub default_ttl_secs: Option<u64>,
    #[serde(default)]
    pub scrub: ScrubConfig,
}

impl MemoryConfig {
    pub fn sqlite(path: impl Into<PathBuf>) -> Self {
        MemoryConfig {
            backend: BackendConfig::Sqlite {
                path: path.into(),
                readers: default_readers(),
                write_queue: default_queue(),
            },
            default_ttl_secs: None,
            scrub: ScrubConfig::default(),
        }
    }

    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        let bad = |field: &'static str, reason: &str| {
            Err(MemoryError::Config {
                field,
                reason: reason.to_owned(),
            })
        };
        match &self.backend {
            BackendConfig::Sqlite {
                path,
                readers,
                write_queue,
            } => {
                if path.as_os_str().is_empty() {
                    return bad("backend.path", "must not be empty");
                }
                if !(1..=64).contains(readers) {
                    return bad("backend.readers", "must be between 1 and 64");
                }
                if !(1..=65_536).contains(write_queue) {
                    return bad("backend.write_queue", "must be between 1 and 65536");
                }
            }
            BackendConfig::Postgres { url, connections } => {
                if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                    return bad(
                        "backend.url",
                        "must start with postgres:// or postgresql://",
                    );
                }
                if !(1..=64).contains(connections) {
                    return bad("backend.connections", "must be between 1 and 64");
                }
            }
        }
        if self.default_ttl_secs == Some(0) {
            return bad("default_ttl_secs", "must be positive when set");
        }
        if self.scrub.enabled && self.scrub.kinds.is_empty() {
            return bad("scrub.kinds", "must name at least one kind when enabled");
        }
        Ok(())
    }

    pub fn default_ttl(&self) -> Option<Duration> {
        self.default_ttl_secs.map(Duration::from_secs)
    }
}

/// Opens the configured store.
pub fn open_store(config: &MemoryConfig) -> Result<Arc<dyn MemoryStore>> {
    config.validate()?;
    match &config.backend {
        BackendConfig::Sqlite { .. } => Ok(Arc::new(crate::SqliteStore::open(config)?)),
        #[cfg(feature = "postgres")]
        BackendConfig::Postgres { .. } => Ok(Arc::new(crate::PostgresStore::open(config)?)),
        #[cfg(not(feature = "postgres"))]
        BackendConfig::Postgres { .. } => Err(MemoryError::Config {
            field: "backend.kind",
            reason: "postgres needs kompress-memory built with the `postgres` feature".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_rejected() {
        let err = serde_json::from_str::<MemoryConfig>(
            r#"{"backend":{"kind":"sqlite","path":"x.db"},"ttl":5}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
    }

    #[test]
    fn validation_names_the_offending_field() {
        let mut c = MemoryConfig::sqlite("m.db");
        c.default_ttl_secs = Some(0);
        let err = c.validate().unwrap_err().to_string();
        assert!(err.contains("default_ttl_secs"), "{err}");
        let c = MemoryConfig {
            backend: BackendConfig::Postgres {
                url: "mysql://x".into(),
                connections: 2,
            },
            default_ttl_secs: None,
            scrub: ScrubConfig::default(),
        };
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .contains("backend.url"));
    }

    #[test]
    fn sqlite_defaults_fill_in() {
        let c: MemoryConfig =
            serde_json::from_str(r#"{"backend":{"kind":"sqlite","path":"m.db"}}"#).unwrap();
        assert_eq!(c, MemoryConfig::sqlite("m.db"));
        c.validate().unwrap();
    }
}
