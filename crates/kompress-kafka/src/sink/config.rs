//! Settings of the memory sink (`[memory_sink]` in the processor's TOML file, or
//! `KOMPRESS__MEMORY_SINK__FIELD` variables). The sink reads `topics.memory`, dead-letters to
//! `topics.dlq` and uses the `[kafka]` connection settings of the same file.

use kompress_memory::{BackendConfig, MemoryConfig};
use serde::{Deserialize, Serialize};

use crate::KafkaError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MemorySinkSettings {
    /// Consumer group of the sink (its own group: it reads the memory topic, not the input).
    pub group_id: String,
    /// Most records stored in one `put_batch`.
    pub batch_max_records: usize,
    /// How long a batch waits to fill up once it has a record.
    pub batch_max_wait_ms: u64,
    /// First wait after a failed store write or dead-letter delivery; doubles per failure.
    pub retry_initial_ms: u64,
    /// Longest wait between retries.
    pub retry_max_ms: u64,
    /// Bound on the SIGTERM drain; must be below `kafka.session_timeout_ms`.
    pub drain_timeout_ms: u64,
    /// Where the records go: SQLite file (default `kompress-memory.db`) or PostgreSQL URL
    /// (needs the `postgres` feature).
    pub store: MemoryConfig,
}

impl Default for MemorySinkSettings {
    fn default() -> Self {
        MemorySinkSettings {
            group_id: "kompress-memory-sink".into(),
            batch_max_records: 500,
            batch_max_wait_ms: 50,
            retry_initial_ms: 100,
            retry_max_ms: 5_000,
            // Below the smallest session timeout the processor accepts (6 s), so the
            // default fits any valid `[kafka]` section.
            drain_timeout_ms: 5_000,
            store: MemoryConfig::sqlite("kompress-memory.db"),
        }
    }
}

impl MemorySinkSettings {
    /// Checks the fields; `session_timeout_ms` is the consumer's (from `[kafka]`).
    pub fn validate(&self, session_timeout_ms: u64) -> Result<(), KafkaError> {
        if self.group_id.trim().is_empty() {
            return Err(KafkaError::config(
                "memory_sink.group_id",
                "must not be empty",
            ));
        }
        for (field, v) in [
            (
                "memory_sink.batch_max_records",
                self.batch_max_records as u64,
            ),
            ("memory_sink.batch_max_wait_ms", self.batch_max_wait_ms),
            ("memory_sink.retry_initial_ms", self.retry_initial_ms),
        ] {
            if v == 0 {
                return Err(KafkaError::config(field, "must be > 0"));
            }
        }
        if self.retry_max_ms < self.retry_initial_ms {
            return Err(KafkaError::config(
                "memory_sink.retry_max_ms",
                "must be at least memory_sink.retry_initial_ms",
            ));
        }
        if self.drain_timeout_ms == 0 || self.drain_timeout_ms >= session_timeout_ms {
            return Err(KafkaError::config(
                "memory_sink.drain_timeout_ms",
                format!(
                    "{} must be > 0 and below kafka.session_timeout_ms ({session_timeout_ms})",
                    self.drain_timeout_ms
                ),
            ));
        }
        self.store.validate().map_err(|e| {
            let field = match &e {
                kompress_memory::MemoryError::Config { field, .. } => {
                    format!("memory_sink.store.{field}")
                }
                _ => "memory_sink.store".into(),
            };
            KafkaError::config(field, e.to_string())
        })
    }

    /// Where the store lives, for logs (a PostgreSQL URL loses its password).
    pub fn store_location(&self) -> String {
        match &self.store.backend {
            BackendConfig::Sqlite { path, .. } => format!("sqlite:{}", path.display()),
            BackendConfig::Postgres { url, .. } => match url.split_once('@') {
                Some((_, host)) => format!("postgres://…@{host}"),
                None => url.clone(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::env;
    use crate::StreamConfig;

    #[test]
    fn sink_settings_come_from_the_environment_like_the_processor_settings() {
        let cfg = StreamConfig::load(
            None,
            env(&[
                ("KOMPRESS__MEMORY_SINK__BATCH_MAX_RECORDS", "7"),
                ("KOMPRESS__MEMORY_SINK__STORE__BACKEND__KIND", "sqlite"),
                ("KOMPRESS__MEMORY_SINK__STORE__BACKEND__PATH", "/tmp/m.db"),
                ("KOMPRESS__MEMORY_SINK__STORE__DEFAULT_TTL_SECS", "60"),
            ]),
        )
        .unwrap();
        assert_eq!(cfg.memory_sink.batch_max_records, 7);
        assert_eq!(cfg.memory_sink.store_location(), "sqlite:/tmp/m.db");
        assert_eq!(cfg.memory_sink.store.default_ttl_secs, Some(60));
    }

    #[test]
    fn bad_sink_fields_are_named() {
        let e = StreamConfig::load(
            None,
            env(&[("KOMPRESS__MEMORY_SINK__BATCH_MAX_RECORDS", "0")]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("memory_sink.batch_max_records"), "{e}");
        let e = StreamConfig::load(
            None,
            env(&[
                ("KOMPRESS__MEMORY_SINK__STORE__BACKEND__KIND", "sqlite"),
                ("KOMPRESS__MEMORY_SINK__STORE__BACKEND__PATH", "m.db"),
                ("KOMPRESS__MEMORY_SINK__STORE__BACKEND__READERS", "0"),
            ]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("memory_sink.store.backend.readers"), "{e}");
        let e = StreamConfig::load(None, env(&[("KOMPRESS__MEMORY_SINK__FLUSH", "1")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("flush"), "{e}");
    }

    #[test]
    fn postgres_urls_are_logged_without_credentials() {
        let mut s = MemorySinkSettings::default();
        s.store.backend = BackendConfig::Postgres {
            url: "postgres://u:secret@db:5432/k".into(),
            connections: 2,
        };
        assert_eq!(s.store_location(), "postgres://…@db:5432/k");
    }
}
