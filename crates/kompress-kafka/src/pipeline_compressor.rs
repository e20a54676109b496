//! The real compressor: the kompress actor [`Pipeline`] behind the [`TranscriptCompressor`]
//! seam. Input errors of the pipeline (bad roles, bad content blocks, oversized) become dead
//! letters; everything else is internal and retried.

use async_trait::async_trait;
use kompress_core::{CompressionConfig, Format};
use kompress_pipeline::{CompressRequest, Pipeline};

use crate::{CompressFailure, Compressed, TranscriptCompressor};

#[derive(Clone)]
pub struct PipelineCompressor {
    pipeline: Pipeline,
}

impl PipelineCompressor {
    pub fn new(pipeline: Pipeline) -> Self {
        PipelineCompressor { pipeline }
    }
}

#[async_trait]
impl TranscriptCompressor for PipelineCompressor {
    async fn compress(
        &self,
        transcript_id: &str,
        format: Format,
        raw_messages_json: String,
        config: &CompressionConfig,
    ) -> Result<Compressed, CompressFailure> {
        let req = CompressRequest {
            transcript_id: transcript_id.to_string(),
            format,
            input: raw_messages_json,
            config: config.clone(),
        };
        match self.pipeline.compress(req).await {
            Ok(resp) => Ok(Compressed {
                messages_json: resp.output,
                evictions: resp.evictions,
                tokens_in: resp.stats.tokens_in as u64,
                tokens_out: resp.stats.tokens_out as u64,
            }),
            Err(e) if e.is_input_error() => Err(CompressFailure::Input {
                kind: e.kind().to_string(),
                detail: e.to_string(),
            }),
            Err(e) => Err(CompressFailure::Internal {
                detail: format!("{} ({})", e, e.kind()),
            }),
        }
    }

    fn name(&self) -> &'static str {
        "pipeline"
    }

    fn identity(&self) -> u64 {
        self.pipeline.identity()
    }
}
