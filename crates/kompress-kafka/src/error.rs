//! The one error enum of the Kafka crate.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum KafkaError {
    #[error("invalid configuration: field `{field}`: {reason}")]
    Config { field: String, reason: String },

    #[error("cannot read config file {path}: {source}")]
    ConfigFile {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("config file {path} is not valid: {source}")]
    ConfigParse {
        path: String,
        #[source]
        source: toml::de::Error,
    },

    #[error("kafka client error during {stage}: {source}")]
    Client {
        stage: &'static str,
        #[source]
        source: rdkafka::error::KafkaError,
    },

    #[error(
        "compression of transcript {transcript_id} failed after {attempts} attempts: {reason}"
    )]
    Compress {
        transcript_id: String,
        attempts: u32,
        reason: String,
    },

    #[error("the JSON schema of the envelope does not compile: {reason}")]
    Schema { reason: String },

    #[error("i/o error on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("bad record in {path} line {line}: {reason}")]
    Record {
        path: String,
        line: usize,
        reason: String,
    },

    #[error(
        "{stage} did not return within {timeout_ms} ms (librdkafka can block past its own \
         timeout after a broker loss); the producer is replaced"
    )]
    TxnStuck {
        stage: &'static str,
        timeout_ms: u64,
    },

    #[error("drain did not finish within {timeout_ms} ms")]
    DrainTimeout { timeout_ms: u64 },

    #[error("memory store failed during {stage}: {source}")]
    Store {
        stage: &'static str,
        #[source]
        source: kompress_memory::MemoryError,
    },

    #[error(transparent)]
    Core(#[from] kompress_core::CoreError),
}

impl KafkaError {
    pub fn config(field: impl Into<String>, reason: impl Into<String>) -> Self {
        KafkaError::Config {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Whether the settings are at fault (bad file, unknown or invalid field).
    pub fn is_config(&self) -> bool {
        matches!(
            self,
            KafkaError::Config { .. }
                | KafkaError::ConfigFile { .. }
                | KafkaError::ConfigParse { .. }
                | KafkaError::Schema { .. }
        )
    }

    pub fn client(stage: &'static str) -> impl FnOnce(rdkafka::error::KafkaError) -> Self {
        move |source| KafkaError::Client { stage, source }
    }
}
