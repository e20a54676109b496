//! The playground at `/`: one static page embedded in the binary (no CDN, works offline), and
//! `POST /v1/explain`, which runs a text through the pipeline's roles in the order compress does and
//! returns the input cut into spans (kept by the model, force-kept by the safety floor with its
//! category, kept with its line by the rewriter, evicted with its marker), the rewriter's
//! output, o200k token counts and each stage's time.

mod spans;

use std::sync::OnceLock;

use actix_web::{web, HttpResponse};
use kompress_core::{CompressionConfig, Mode};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::ServeError;
use crate::state::{read_body, utf8, AppState};

pub use spans::{cut, ClassCounts, Span, SpanKind};

const PAGE: &str = include_str!("playground.html");

pub async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(PAGE)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplainBody {
    pub text: String,
    pub mode: Option<Mode>,
    pub target_ratio: Option<f32>,
}

/// o200k_base token counts of the input and the output (what an OpenAI model would be billed).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct O200k {
    pub tokens_in: usize,
    pub tokens_out: usize,
    /// `100 * (1 - out / in)`.
    pub saved_pct: f64,
}

fn o200k() -> Option<&'static tiktoken_rs::CoreBPE> {
    static BPE: OnceLock<Option<tiktoken_rs::CoreBPE>> = OnceLock::new();
    BPE.get_or_init(|| match tiktoken_rs::o200k_base() {
        Ok(b) => Some(b),
        Err(e) => {
            tracing::warn!(error = %e, "o200k_base tokenizer unavailable; playground shows no o200k counts");
            None
        }
    })
    .as_ref()
}

/// Counts both texts in o200k tokens; `None` only if the tokenizer's ranks fail to load.
pub fn o200k_counts(input: &str, output: &str) -> Option<O200k> {
    let bpe = o200k()?;
    let tokens_in = bpe.encode_ordinary(input).len();
    let tokens_out = bpe.encode_ordinary(output).len();
    let saved_pct = if tokens_in == 0 {
        0.0
    } else {
        100.0 * (1.0 - tokens_out as f64 / tokens_in as f64)
    };
    Some(O200k {
        tokens_in,
        tokens_out,
        saved_pct,
    })
}

pub async fn explain(
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ServeError> {
    let body = read_body(payload, state.cfg.max_body_bytes).await?;
    let req: ExplainBody = serde_json::from_str(utf8(&body)?)?;
    let cfg = CompressionConfig {
        mode: req.mode.unwrap_or(state.cfg.compression.mode),
        target_ratio: req.target_ratio,
        min_bytes: 0,
        ..state.cfg.compression.clone()
    };
    let _slot = state.slot()?;
    let ex = state
        .timed(async { Ok(state.compressor.pipeline().explain(&req.text, &cfg).await?) })
        .await?;
    let output = ex.rewritten.text.clone();
    let micros = ex.micros;
    let floor_hits = ex.mask.hits.len();
    // CPU work off the async workers: cutting spans and the o200k counts of both texts
    let (spans, counts, o200k) = web::block(move || {
        let (spans, counts) = cut(&ex);
        let o = o200k_counts(&ex.doc.text, &ex.rewritten.text);
        (spans, counts, o)
    })
    .await
    .map_err(|e| ServeError::Body(e.to_string()))?;
    Ok(HttpResponse::Ok().json(json!({
        "spans": spans,
        "output": output,
        "o200k": o200k,
        "tokens": counts,
        "floor_hits": floor_hits,
        "micros": micros,
        "mode": cfg.mode,
        "target_ratio": cfg.target_ratio,
    })))
}
