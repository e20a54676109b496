//! The compress API: `POST /v1/compress`, `POST /v1/retrieve`, `/healthz`, `/readyz`, `/metrics`.
//! The compress shape follows Headroom's (`messages` in, `messages` + token counts out) and
//! also takes plain `text`.

use actix_web::{web, HttpResponse};
use kompress_core::{CompressionConfig, Format};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ServeError;
use crate::metrics::Scrape;
use crate::stable::Protect;
use crate::state::{read_body, utf8, AppState};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompressBody {
    /// A chat transcript (OpenAI or Anthropic messages). Exactly one of `messages`, `text`.
    pub messages: Option<Value>,
    /// One plain text (a tool output, a log).
    pub text: Option<String>,
    /// Anthropic-style top-level system prompt; never compressed, echoed back.
    pub system: Option<Value>,
    /// `openai`, `anthropic` or `auto` (default) for `messages`.
    pub format: Option<Format>,
    /// Accepted for compatibility; compression does not depend on it.
    pub model: Option<String>,
    /// Compression settings for this request (default: the server's).
    pub config: Option<CompressionConfig>,
    /// Memory scope for the evicted text (stored only when a memory store is configured).
    pub tenant: Option<String>,
    pub session: Option<String>,
    /// Return the eviction records themselves (for a byte-exact restore by the caller).
    #[serde(default)]
    pub return_evictions: bool,
}

fn field(field: &'static str, reason: &str) -> ServeError {
    ServeError::Request {
        field,
        reason: reason.into(),
    }
}

pub async fn compress(
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ServeError> {
    let body = read_body(payload, state.cfg.max_body_bytes).await?;
    let req: CompressBody = serde_json::from_str(utf8(&body)?)?;
    let cfg = req
        .config
        .clone()
        .unwrap_or_else(|| state.cfg.compression.clone());
    let (input, format) = match (&req.messages, &req.text) {
        (Some(m), None) => {
            if !m.is_array() {
                return Err(field("messages", "must be an array of messages"));
            }
            let doc = match &req.system {
                Some(s) => json!({"system": s, "messages": m}),
                None => json!({"messages": m}),
            };
            (
                serde_json::to_string(&doc)?,
                req.format.unwrap_or(Format::Auto),
            )
        }
        (None, Some(t)) => (t.clone(), Format::Text),
        _ => {
            return Err(field(
                "messages",
                "give exactly one of `messages` or `text`",
            ))
        }
    };
    let tenant = req.tenant.as_deref().unwrap_or("default");
    let session = req.session.as_deref().unwrap_or("default");
    let _slot = state.slot()?;
    let out = state
        .timed(
            state
                .compressor
                .compress(&input, format, &cfg, session, &Protect::default()),
        )
        .await?;
    state.remember(tenant, session, &out.evictions).await?;
    let s = &out.stats;
    let mut resp = json!({
        "tokens_before": s.tokens_in,
        "tokens_after": s.tokens_out,
        "tokens_saved": s.tokens_in.saturating_sub(s.tokens_out),
        "compression_ratio": if s.tokens_in == 0 { 1.0 } else { s.tokens_out as f64 / s.tokens_in as f64 },
        "evictions": out.evictions.len(),
        "handles": out.evictions.iter().filter(|e| !e.handle.is_empty()).map(|e| e.handle.as_str()).collect::<Vec<_>>(),
        "stats": s,
    });
    if format == Format::Text {
        resp["text"] = Value::String(out.output);
    } else {
        let doc: Value = serde_json::from_str(&out.output)?;
        resp["messages"] = doc["messages"].clone();
        if req.system.is_some() {
            resp["system"] = doc["system"].clone();
        }
    }
    if req.return_evictions {
        resp["eviction_records"] = serde_json::to_value(&out.evictions)?;
    }
    if let Some(m) = req.model {
        resp["model"] = Value::String(m);
    }
    Ok(HttpResponse::Ok().json(resp))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrieveBody {
    pub tenant: Option<String>,
    pub session: Option<String>,
    pub handle: String,
}

pub async fn retrieve(
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ServeError> {
    let body = read_body(payload, state.cfg.max_body_bytes).await?;
    let req: RetrieveBody = serde_json::from_str(utf8(&body)?)?;
    let store = state.memory.clone().ok_or(ServeError::NoMemory)?;
    let tenant = req.tenant.unwrap_or_else(|| "default".into());
    let handle = req.handle.trim_start_matches("ref=").to_string();
    let (t, s, h) = (tenant.clone(), req.session.clone(), handle.clone());
    let found = web::block(move || kompress_memory::retrieve(store.as_ref(), &t, s.as_deref(), &h))
        .await
        .map_err(|e| ServeError::Body(e.to_string()))??;
    let r = found.ok_or(ServeError::NotFound {
        handle: handle.clone(),
    })?;
    Ok(HttpResponse::Ok().json(json!({"handle": handle, "tenant": tenant, "text": r.text})))
}

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Ready once the pipeline (and its pruner model) is loaded, which `start` does before binding.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .json(json!({"status": "ready", "pruner": state.compressor.pipeline().pruner_name()}))
}

pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let mut body = state.metrics.render(&Scrape {
        pipeline: Some(state.compressor.pipeline()),
        cache: state.compressor.cache_usage(),
    });
    state.savings.render(&mut body);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(body)
}
