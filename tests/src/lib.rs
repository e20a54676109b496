//! Helpers shared by the end-to-end tests: one pipeline per test binary, the dev set loader.

use std::sync::OnceLock;

use kompress_core::{CompressionConfig, Format};
use kompress_pipeline::{
    CompressRequest, CompressResponse, Pipeline, PipelineError, PipelineSettings,
};
use serde::Deserialize;

pub fn pipeline() -> &'static Pipeline {
    static P: OnceLock<Pipeline> = OnceLock::new();
    P.get_or_init(|| Pipeline::start(PipelineSettings::default()).expect("pipeline starts"))
}

pub fn compress(
    input: &str,
    format: Format,
    config: CompressionConfig,
) -> Result<CompressResponse, PipelineError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(pipeline().compress(CompressRequest {
        transcript_id: "test".into(),
        format,
        input: input.to_string(),
        config,
    }))
}

#[derive(Debug, Deserialize)]
pub struct Case {
    pub id: String,
    pub source: String,
    pub text: String,
}

/// The dev set beside the checkout (`../shared/data/dev.jsonl`), or None with a printed reason.
pub fn dev_set() -> Option<Vec<Case>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/dev.jsonl");
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(
            s.lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| serde_json::from_str(l).expect("dev case parses"))
                .collect(),
        ),
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "CI=true but the dev set is missing at {}: {e}",
                    path.display()
                );
            }
            eprintln!("SKIPPED: dev set not found at {} ({e}); it runs wherever ../shared/data exists (CI has it)", path.display());
            None
        }
    }
}
