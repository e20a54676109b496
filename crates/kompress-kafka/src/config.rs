//! Typed, validated processor settings: a TOML file, then `KOMPRESS__SECTION__FIELD`
//! environment variables on top (`KOMPRESS__KAFKA__BOOTSTRAP_SERVERS=host:9092`).

use std::collections::BTreeMap;

use kompress_core::CompressionConfig;
use serde::{Deserialize, Serialize};

use crate::KafkaError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// Outputs, evictions, dead letters and input offsets in one transaction per batch.
    #[default]
    ExactlyOnce,
    /// Idempotent producer, offsets stored after every record of a message is acknowledged;
    /// redeliveries carry the same `kompress-id`.
    AtLeastOnce,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KafkaSettings {
    pub bootstrap_servers: String,
    pub group_id: String,
    /// Stable name of this replica (pod name); part of the transactional id.
    pub instance_id: Option<String>,
    pub session_timeout_ms: u64,
    pub transaction_timeout_ms: u64,
    /// Extra librdkafka properties; those that the typed settings own are rejected.
    pub client_options: BTreeMap<String, String>,
}

impl Default for KafkaSettings {
    fn default() -> Self {
        KafkaSettings {
            bootstrap_servers: "127.0.0.1:19092".into(),
            group_id: "kompress".into(),
            instance_id: None,
            session_timeout_ms: 45_000,
            transaction_timeout_ms: 60_000,
            client_options: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Topics {
    pub input: String,
    pub output: String,
    pub memory: String,
    pub dlq: String,
}

impl Default for Topics {
    fn default() -> Self {
        Topics {
            input: "kompress.transcripts".into(),
            output: "kompress.compressed".into(),
            memory: "kompress.memory".into(),
            dlq: "kompress.dlq".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Processing {
    pub delivery: Delivery,
    /// Messages buffered per partition before that partition is paused.
    pub max_in_flight_per_partition: usize,
    /// Most messages in one batch (one transaction in exactly-once mode).
    pub batch_max_messages: usize,
    /// How long a batch waits to fill up once it has a message.
    pub batch_linger_ms: u64,
    /// Largest input record accepted; bigger ones are dead-lettered.
    pub max_message_bytes: usize,
    /// Bound on the SIGTERM drain; must be below the session timeout.
    pub drain_timeout_ms: u64,
    /// Attempts per record on internal compression failures before the processor stops.
    pub compress_attempts: u32,
    /// Compressions run at once within a batch.
    pub concurrency: usize,
}

impl Default for Processing {
    fn default() -> Self {
        Processing {
            delivery: Delivery::ExactlyOnce,
            max_in_flight_per_partition: 64,
            batch_max_messages: 256,
            batch_linger_ms: 20,
            max_message_bytes: 4 << 20,
            drain_timeout_ms: 20_000,
            compress_attempts: 3,
            concurrency: 4,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct StreamConfig {
    pub kafka: KafkaSettings,
    pub topics: Topics,
    pub processing: Processing,
    pub compression: CompressionConfig,
    /// The memory sink (`memory-sink` command); the processor ignores it.
    pub memory_sink: crate::sink::MemorySinkSettings,
}

/// librdkafka properties the typed settings decide; passing them raw is an error.
const OWNED_OPTIONS: &[&str] = &[
    "bootstrap.servers",
    "metadata.broker.list",
    "group.id",
    "group.instance.id",
    "transactional.id",
    "transaction.timeout.ms",
    "enable.idempotence",
    "isolation.level",
    "enable.auto.commit",
    "enable.auto.offset.store",
    "session.timeout.ms",
    "auto.offset.reset",
    "acks",
    "request.required.acks",
];

impl StreamConfig {
    /// Reads `path` (if given), applies `KOMPRESS__*` variables from `env`
    /// ([`kompress_core::layered`]), validates.
    pub fn load(
        path: Option<&std::path::Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<StreamConfig, KafkaError> {
        let mut root = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| KafkaError::ConfigFile {
                    path: p.display().to_string(),
                    source,
                })?;
                toml::from_str::<toml::Table>(&text).map_err(|source| KafkaError::ConfigParse {
                    path: p.display().to_string(),
                    source,
                })?
            }
            None => toml::Table::new(),
        };
        kompress_core::layered::overlay_env(&mut root, env, kompress_core::layered::STREAM_TOML)
            .map_err(|e| match e {
                kompress_core::CoreError::InvalidConfig { field, reason } => {
                    KafkaError::config(field, reason)
                }
                other => KafkaError::config("environment", other.to_string()),
            })?;
        let cfg: StreamConfig =
            toml::Value::Table(root)
                .try_into()
                .map_err(|e: toml::de::Error| KafkaError::ConfigParse {
                    path: path.map_or("<environment>".into(), |p| p.display().to_string()),
                    source: e,
                })?;
        cfg.validate()?;
        Ok(cfg)
    }

    pub fn validate(&self) -> Result<(), KafkaError> {
        let k = &self.kafka;
        let p = &self.processing;
        let nonempty = [
            ("kafka.bootstrap_servers", &k.bootstrap_servers),
            ("kafka.group_id", &k.group_id),
            ("topics.input", &self.topics.input),
            ("topics.output", &self.topics.output),
            ("topics.memory", &self.topics.memory),
            ("topics.dlq", &self.topics.dlq),
        ];
        for (field, v) in nonempty {
            if v.trim().is_empty() {
                return Err(KafkaError::config(field, "must not be empty"));
            }
        }
        if self.topics.input == self.topics.output || self.topics.input == self.topics.dlq {
            return Err(KafkaError::config(
                "topics.input",
                "must differ from output and dlq",
            ));
        }
        if !(6_000..=1_800_000).contains(&k.session_timeout_ms) {
            return Err(KafkaError::config(
                "kafka.session_timeout_ms",
                "must be in 6000..=1800000",
            ));
        }
        if p.drain_timeout_ms == 0 || p.drain_timeout_ms >= k.session_timeout_ms {
            return Err(KafkaError::config(
                "processing.drain_timeout_ms",
                format!("{} must be > 0 and below kafka.session_timeout_ms ({}), or the group evicts this member mid-drain", p.drain_timeout_ms, k.session_timeout_ms),
            ));
        }
        if k.transaction_timeout_ms <= p.drain_timeout_ms {
            return Err(KafkaError::config(
                "kafka.transaction_timeout_ms",
                "must exceed processing.drain_timeout_ms",
            ));
        }
        for (field, v) in [
            (
                "processing.max_in_flight_per_partition",
                p.max_in_flight_per_partition,
            ),
            ("processing.batch_max_messages", p.batch_max_messages),
            ("processing.max_message_bytes", p.max_message_bytes),
            ("processing.concurrency", p.concurrency),
            ("processing.compress_attempts", p.compress_attempts as usize),
        ] {
            if v == 0 {
                return Err(KafkaError::config(field, "must be > 0"));
            }
        }
        for key in k.client_options.keys() {
            if OWNED_OPTIONS.contains(&key.as_str()) {
                return Err(KafkaError::config(
                    format!("kafka.client_options.{key}"),
                    "conflicts with a typed setting; set the typed field instead",
                ));
            }
        }
        self.memory_sink.validate(k.session_timeout_ms)?;
        self.compression
            .validate()
            .map_err(|e| KafkaError::config("compression", e.to_string()))
    }

    /// The transactional id of this replica: stable across restarts of the same instance.
    pub fn transactional_id(&self) -> String {
        let inst = self.kafka.instance_id.clone().unwrap_or_else(|| {
            std::env::var("HOSTNAME").unwrap_or_else(|_| format!("pid{}", std::process::id()))
        });
        format!("{}-{}", self.kafka.group_id, inst)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `KEY=value` pairs as the environment iterator `StreamConfig::load` takes.
    pub(crate) fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn environment_overrides_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("k.toml");
        std::fs::write(
            &f,
            "[kafka]\nbootstrap_servers = \"a:1\"\n[processing]\nbatch_max_messages = 10\n",
        )
        .unwrap();
        let cfg = StreamConfig::load(
            Some(&f),
            env(&[
                ("KOMPRESS__KAFKA__BOOTSTRAP_SERVERS", "b:2"),
                ("KOMPRESS__PROCESSING__DELIVERY", "at_least_once"),
                ("KOMPRESS__COMPRESSION__TARGET_RATIO", "0.5"),
                ("OTHER", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(cfg.kafka.bootstrap_servers, "b:2");
        assert_eq!(cfg.processing.batch_max_messages, 10);
        assert_eq!(cfg.processing.delivery, Delivery::AtLeastOnce);
        assert_eq!(cfg.compression.target_ratio, Some(0.5));
    }

    #[test]
    fn unknown_fields_are_named() {
        let e = StreamConfig::load(None, env(&[("KOMPRESS__PROCESSING__BATCH_SIZE", "3")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("batch_size"), "{e}");
    }

    #[test]
    fn drain_timeout_must_fit_in_the_session_timeout() {
        let e = StreamConfig::load(
            None,
            env(&[
                ("KOMPRESS__KAFKA__SESSION_TIMEOUT_MS", "10000"),
                ("KOMPRESS__PROCESSING__DRAIN_TIMEOUT_MS", "10000"),
            ]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("processing.drain_timeout_ms"), "{e}");
    }

    #[test]
    fn pass_through_options_that_conflict_with_typed_ones_are_rejected() {
        let mut cfg = StreamConfig::default();
        cfg.kafka
            .client_options
            .insert("fetch.min.bytes".into(), "1".into());
        cfg.validate().unwrap();
        cfg.kafka
            .client_options
            .insert("isolation.level".into(), "read_uncommitted".into());
        let e = cfg.validate().unwrap_err().to_string();
        assert!(e.contains("kafka.client_options.isolation.level"), "{e}");
    }

    #[test]
    fn the_shipped_deploy_config_loads_and_validates() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../deploy/compose/kompress.toml");
        let cfg = StreamConfig::load(Some(&path), Vec::new()).unwrap();
        assert_eq!(cfg.processing.delivery, Delivery::ExactlyOnce);
        assert_eq!(cfg.topics.input, "kompress.transcripts");
    }
}
