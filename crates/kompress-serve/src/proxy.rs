//! Proxy mode: `/v1/chat/completions` (OpenAI) and `/v1/messages` (Anthropic). The outgoing
//! request's tool results are compressed (prefix-stable), every other byte is forwarded as is,
//! the client's headers (auth included, never logged) go to an allow-listed upstream, and the
//! response, SSE streams included, comes back unchanged as it arrives.

use std::time::{Duration, Instant};

use actix_web::http::header::{HeaderName, CONNECTION, CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use actix_web::{web, HttpRequest, HttpResponse};
use futures::StreamExt;
use kompress_core::Format;
use kompress_pipeline::jsonspan::{self, JNode, JVal};

use crate::error::ServeError;
use crate::stable::Protect;
use crate::state::{read_body, utf8, AppState};

/// Headers that belong to one hop and are never forwarded.
fn hop_by_hop(name: &HeaderName) -> bool {
    name == HOST
        || name == CONTENT_LENGTH
        || name == CONNECTION
        || name == TRANSFER_ENCODING
        || matches!(
            name.as_str(),
            "keep-alive"
                | "te"
                | "trailer"
                | "upgrade"
                | "proxy-authorization"
                | "proxy-connection"
        )
        || name.as_str().starts_with("x-kompress-")
}

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

pub async fn openai(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ServeError> {
    forward(req, state, payload, Format::OpenAi).await
}

pub async fn anthropic(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ServeError> {
    forward(req, state, payload, Format::Anthropic).await
}

/// The allow-listed base URL for this request: the route's upstream, or another listed name
/// picked with `x-kompress-upstream`. Never a URL the client supplies.
fn upstream(req: &HttpRequest, state: &AppState, format: Format) -> Result<String, ServeError> {
    let p = &state.cfg.proxy;
    let name = match header(req, "x-kompress-upstream") {
        Some(n) => n.to_string(),
        None => match format {
            Format::Anthropic => p.anthropic.clone(),
            _ => p.openai.clone(),
        }
        .ok_or_else(|| ServeError::UpstreamNotAllowed {
            name: "(no upstream configured for this route)".into(),
        })?,
    };
    p.upstreams
        .get(&name)
        .cloned()
        .ok_or(ServeError::UpstreamNotAllowed { name })
}

async fn forward(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
    format: Format,
) -> Result<HttpResponse, ServeError> {
    let base = upstream(&req, &state, format)?;
    let body = read_body(payload, state.cfg.max_body_bytes).await?;
    let text = utf8(&body)?;
    let tenant = header(&req, "x-kompress-tenant")
        .unwrap_or("default")
        .to_string();
    let session = header(&req, "x-kompress-session")
        .unwrap_or("proxy")
        .to_string();
    let mut cfg = state.cfg.compression.clone();
    cfg.roles = state.cfg.proxy.roles.clone();
    let protect = Protect {
        latest_user: true,
        skip_tools: state.cfg.proxy.skip_tools.clone(),
    };
    let slot = state.slot()?;
    let out = state
        .timed(
            state
                .compressor
                .compress(text, format, &cfg, &session, &protect),
        )
        .await?;
    state.remember(&tenant, &session, &out.evictions).await?;
    drop(slot);
    let marked = out.evictions.iter().any(|e| !e.handle.is_empty());
    let outgoing = if marked && state.memory.is_some() && state.cfg.proxy.inject_retrieve_tool {
        inject_retrieve_tool(&out.output, format)?
    } else {
        out.output
    };

    let path_q = req
        .uri()
        .path_and_query()
        .map_or(req.path(), |p| p.as_str());
    let url = format!("{}{}", base.trim_end_matches('/'), path_q);
    let client = req.app_data::<awc::Client>().cloned().unwrap_or_default();
    let mut up = client
        .request(req.method().clone(), url)
        .timeout(Duration::from_secs(state.cfg.proxy.upstream_timeout_secs));
    for (k, v) in req.headers() {
        if !hop_by_hop(k) {
            up = up.append_header((k.clone(), v.clone()));
        }
    }
    let t = Instant::now();
    let resp = up
        .send_body(outgoing)
        .await
        .map_err(|e| ServeError::Upstream(e.to_string()))?;
    state.metrics.observe("stage:upstream", t.elapsed());
    let mut back = HttpResponse::build(resp.status());
    for (k, v) in resp.headers() {
        if !hop_by_hop(k) {
            back.append_header((k.clone(), v.clone()));
        }
    }
    let stream =
        resp.map(|chunk| chunk.map_err(|e| actix_web::error::ErrorBadGateway(e.to_string())));
    Ok(back.streaming(stream))
}

/// Adds the `kompress_retrieve` tool to the request's `tools` (creating the array when
/// absent) by inserting bytes; every existing byte stays where it was. A request that already
/// lists the tool is returned unchanged.
pub fn inject_retrieve_tool(doc: &str, format: Format) -> Result<String, ServeError> {
    let root = jsonspan::parse(doc).map_err(kompress_pipeline::PipelineError::from)?;
    let JVal::Obj(_) = &root.val else {
        return Ok(doc.to_string());
    };
    let tool = match format {
        Format::Anthropic => kompress_memory::retrieve_tool_anthropic(),
        _ => kompress_memory::retrieve_tool_openai(),
    };
    let tool = serde_json::to_string(&tool)?;
    let mut out = String::with_capacity(doc.len() + tool.len() + 16);
    match root.get("tools") {
        Some(JNode {
            span,
            val: JVal::Arr(items),
        }) => {
            let named = |t: &JNode| {
                let n = t
                    .get("name")
                    .or_else(|| t.get("function").and_then(|f| f.get("name")));
                n.and_then(JNode::as_str) == Some(kompress_memory::RETRIEVE_TOOL_NAME)
            };
            if items.iter().any(named) {
                return Ok(doc.to_string());
            }
            let close = span.end - 1;
            out.push_str(&doc[..close]);
            if !items.is_empty() {
                out.push(',');
            }
            out.push_str(&tool);
            out.push_str(&doc[close..]);
        }
        Some(_) => return Ok(doc.to_string()),
        None => {
            let close = root.span.end - 1;
            let empty = matches!(&root.val, JVal::Obj(kv) if kv.is_empty());
            out.push_str(&doc[..close]);
            out.push_str(if empty { "\"tools\":[" } else { ",\"tools\":[" });
            out.push_str(&tool);
            out.push(']');
            out.push_str(&doc[close..]);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retrieve_tool_is_appended_to_existing_tools_without_moving_other_bytes() {
        let doc =
            r#"{"model":"m","tools":[{"type":"function","function":{"name":"ls"}}],"messages":[]}"#;
        let out = inject_retrieve_tool(doc, Format::OpenAi).unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["tools"].as_array().unwrap().len(), 2);
        assert!(out
            .starts_with(r#"{"model":"m","tools":[{"type":"function","function":{"name":"ls"}},"#));
        assert!(out.ends_with(r#"],"messages":[]}"#));
        assert_eq!(
            inject_retrieve_tool(&out, Format::OpenAi).unwrap(),
            out,
            "injected once"
        );
    }

    #[test]
    fn retrieve_tool_array_is_created_when_absent() {
        let out = inject_retrieve_tool(r#"{"messages":[]}"#, Format::Anthropic).unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["tools"][0]["name"], "kompress_retrieve");
    }
}
