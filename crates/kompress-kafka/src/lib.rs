//! Kafka stream processor for kompress: consumes transcript envelopes, produces the
//! compressed transcript (same key), one memory record per eviction and dead letters for bad
//! input, exactly once by default (one transaction per batch) or at least once with
//! deterministic record ids.

mod batch;
pub mod bench;
pub mod cli;
pub mod client;
pub mod compressor;
pub mod config;
pub mod envelope;
mod error;
pub mod line_sampler;
pub mod pipeline_compressor;
pub mod processor;
pub mod recompress;
mod recompress_sink;
pub mod records;
pub mod sink;
pub mod trace;
pub mod transform;
mod txn;

pub use compressor::{CompressFailure, Compressed, TranscriptCompressor};
pub use config::{Delivery, StreamConfig};
pub use error::KafkaError;
pub use line_sampler::LineSampler;
pub use pipeline_compressor::PipelineCompressor;
pub use processor::{run, Metrics};
pub use sink::{run_sink, run_sink_with_store, MemorySinkSettings, SinkMetrics};
