//! The playground at `/`: one static page embedded in the binary (no CDN), and
//! `POST /v1/explain`, which returns the input cut into kept and evicted spans with the
//! markers that replaced them, so the page can colour every byte.

use actix_web::{web, HttpResponse};
use kompress_core::{CompressionConfig, Format, Mode};
use serde::Deserialize;
use serde_json::json;

use crate::error::ServeError;
use crate::stable::Protect;
use crate::state::{read_body, utf8, AppState};

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
    let out = state
        .timed(state.compressor.compress(
            &req.text,
            Format::Text,
            &cfg,
            "playground",
            &Protect::default(),
        ))
        .await?;
    let mut spans = Vec::new();
    let mut pos = 0usize;
    for e in &out.evictions {
        let (s, t) = (e.start as usize, e.end as usize);
        if s > pos {
            spans.push(json!({"kind": "kept", "text": &req.text[pos..s]}));
        }
        spans.push(json!({"kind": "evicted", "text": &req.text[s..t], "marker": e.replacement, "handle": e.handle, "eviction": e.kind}));
        pos = t;
    }
    if pos < req.text.len() {
        spans.push(json!({"kind": "kept", "text": &req.text[pos..]}));
    }
    Ok(HttpResponse::Ok().json(json!({"spans": spans, "output": out.output, "stats": out.stats})))
}
