//! The seam between the stream processor and the compression pipeline.

use async_trait::async_trait;
use kompress_core::{CompressionConfig, Eviction, Format};

/// What one compression produced: the compressed messages JSON (same shape as the input
/// JSON) and the evictions that restore it.
#[derive(Debug, Clone, PartialEq)]
pub struct Compressed {
    pub messages_json: String,
    pub evictions: Vec<Eviction>,
    pub tokens_in: u64,
    pub tokens_out: u64,
}

/// Why a compression failed, decided by who is at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompressFailure {
    /// The transcript itself is unacceptable (unknown role, bad content blocks, too big):
    /// retrying cannot help, the record goes to the dead-letter topic.
    Input { kind: String, detail: String },
    /// Something inside kompress failed: the record is retried with backoff; after the
    /// configured attempts the processor stops without committing, so a restart (or another
    /// group member) processes it again. Nothing is lost and nothing is dead-lettered.
    Internal { detail: String },
}

impl std::fmt::Display for CompressFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CompressFailure::Input { kind, detail } => write!(f, "input error ({kind}): {detail}"),
            CompressFailure::Internal { detail } => write!(f, "internal error: {detail}"),
        }
    }
}

/// Compresses one transcript's messages array. Implemented by the real pipeline adapter and
/// by [`crate::LineSampler`]; must be cheap to share across tasks.
#[async_trait]
pub trait TranscriptCompressor: Send + Sync + 'static {
    async fn compress(
        &self,
        transcript_id: &str,
        format: Format,
        raw_messages_json: String,
        config: &CompressionConfig,
    ) -> Result<Compressed, CompressFailure>;

    /// A short name for logs and the output record.
    fn name(&self) -> &'static str;

    /// What this compressor computes beyond `[compression]`: for the pipeline, its identity
    /// (pruner, `[stat]`, floor). It goes into every output record id
    /// ([`crate::records::output_fingerprint`]), so another pruner or floor never reuses the ids
    /// of outputs made under the old one. 0 (the default): the output depends on the input and
    /// `[compression]` alone.
    fn identity(&self) -> u64 {
        0
    }
}
