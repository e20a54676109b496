//! Proxy mode: `/v1/chat/completions` (OpenAI), `/v1/responses` (OpenAI Responses, what Codex
//! CLI speaks; it goes to the `proxy.openai` upstream) and `/v1/messages` (Anthropic). The outgoing
//! request's tool results are compressed (prefix-stable), every other byte is forwarded as is,
//! the client's headers (auth included, never logged) go to an allow-listed upstream, and the
//! response, SSE streams included, comes back unchanged as it arrives.
//!
//! One exception, the retrieve loop: for a request that got the injected `kompress_retrieve`
//! tool, a response asking for that tool only is answered here from memory and the request
//! is re-sent (at most `proxy.retrieve_max_rounds` times); those requests ask the upstream for
//! `accept-encoding: identity` so the proxy can read the answers. Non-streaming requests
//! (here, `retrieve_loop.rs`) get the final response, buffered. Streaming requests
//! (`retrieve_stream.rs`) are read event by event: a stream that shows anything but
//! retrieve calls is forwarded as it arrives, byte for byte, and a stream of retrieve calls
//! only is held back, answered and never shown, so the client sees the final round's stream
//! unchanged. Responses mixing in other tools or text go back unchanged.
//!
//! Every request goes to the origin of an allow-listed upstream (`allow.rs`) and nowhere
//! else: the client's path and query are appended to that upstream's base and the result
//! checked again before sending, and a redirect is never followed. An upstream 3xx (other
//! than 304) is answered with a typed 502 `upstream_redirect`, on every path (plain,
//! streaming, each send of the retrieve loops): passing it back would hand the client a
//! `Location` off the allow-list to follow with its key.

use std::time::{Duration, Instant};

use actix_web::http::header::{
    HeaderName, ACCEPT_ENCODING, CONNECTION, CONTENT_LENGTH, HOST, TRANSFER_ENCODING,
};
use actix_web::http::{StatusCode, Uri};
use actix_web::{web, HttpRequest, HttpResponse};
use futures::StreamExt;
use kompress_core::Format;
use kompress_pipeline::jsonspan::{self, JNode, JVal};

use crate::allow::Upstream;
use crate::error::ServeError;
use crate::retrieve_loop::{self, Scope};
use crate::retrieve_stream;
use crate::stable::Protect;
use crate::state::{read_body, utf8, AppState};
use crate::usage::Tap;

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

pub async fn responses(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ServeError> {
    forward(req, state, payload, Format::Responses).await
}

pub async fn anthropic(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ServeError> {
    forward(req, state, payload, Format::Anthropic).await
}

/// The allow-listed upstream for this request and its name: the route's upstream, or another
/// listed name picked with `x-kompress-upstream`. Never a URL the client supplies.
fn upstream(
    req: &HttpRequest,
    state: &AppState,
    format: Format,
) -> Result<(String, Upstream), ServeError> {
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
    // validated at start; a value that no longer parses is refused like an unknown name
    match p.upstreams.get(&name).map(|url| Upstream::parse(url)) {
        Some(Ok(up)) => Ok((name, up)),
        _ => Err(ServeError::UpstreamNotAllowed { name }),
    }
}

async fn forward(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
    format: Format,
) -> Result<HttpResponse, ServeError> {
    let (name, up) = upstream(&req, &state, format)?;
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
        // compacted text must stay retrievable by the model: only with a memory store
        history: state.memory.as_ref().and_then(|_| {
            state
                .cfg
                .proxy
                .history
                .policy(&name, format == Format::Anthropic)
        }),
        repeats: state
            .cfg
            .proxy
            .repeats
            .enabled
            .then_some(state.cfg.proxy.repeats),
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
    let tap = savings_tap(
        &state,
        &tenant,
        &session,
        &out.stats,
        state
            .cfg
            .proxy
            .history
            .prices_for(&name, format == Format::Anthropic),
    );
    // Offered on every request while a memory store is set, markers or not: the tool list is
    // part of the cached prompt prefix (before the messages), so adding it on the first turn
    // with a marker would re-write the provider's whole cache. The Responses API gets no
    // injected tool: the retrieve loop reads Chat Completions and Messages answers only, and
    // a client must never see a call to a tool it does not know.
    let offered = state.memory.is_some()
        && state.cfg.proxy.inject_retrieve_tool
        && format != Format::Responses;
    let outgoing = if offered {
        inject_retrieve_tool(&out.output, format)?
    } else {
        out.output
    };

    let path_q = req
        .uri()
        .path_and_query()
        .map_or(req.path(), |p| p.as_str());
    let url = up
        .uri(path_q)
        .ok_or(ServeError::UpstreamNotAllowed { name })?;
    let client = req
        .app_data::<awc::Client>()
        .cloned()
        .unwrap_or_else(|| crate::server::UpstreamClient::default().build());
    // The proxy answers the tool it offered: buffered for plain requests, held back event by
    // event for streams (`retrieve_stream.rs`).
    let max_rounds = state.cfg.proxy.retrieve_max_rounds;
    let streaming = serde_json::from_str::<serde_json::Value>(&outgoing)
        .map(|v| retrieve_loop::is_streaming(&v));
    if let (true, Ok(streaming), Some(store)) =
        (offered && max_rounds > 0, streaming, state.memory.clone())
    {
        let scope = Scope {
            store,
            tenant: &tenant,
            session: &session,
            format,
            max_rounds,
            tap: Some(tap),
        };
        return if streaming {
            retrieve_stream::answer_rounds(&req, &state, &client, &url, outgoing, scope).await
        } else {
            answer_retrieve_rounds(&req, &state, &client, &url, outgoing, scope).await
        };
    }
    let resp = send_timed(&req, &state, &client, &url, false, outgoing).await?;
    Ok(relay(resp, web::Bytes::new(), Some(tap)))
}

/// Watches the answer for its usage and adds the request to the savings ledger when the
/// answer ends (or the client leaves).
fn savings_tap(
    state: &web::Data<AppState>,
    tenant: &str,
    session: &str,
    stats: &crate::stable::StableStats,
    prices: crate::history::Prices,
) -> Tap {
    let (state, tenant, session) = (state.clone(), tenant.to_string(), session.to_string());
    let (tokens_in, tokens_out) = (stats.tokens_in as u64, stats.tokens_out as u64);
    Tap::new(move |usage| {
        let r = crate::savings::Request {
            tokens_in,
            tokens_out,
            usage,
            prices,
        };
        state.savings.record(&tenant, &session, &r);
    })
}

/// Sends `body` to `url` (an allow-listed origin): the only place the proxy sends. The client
/// follows no redirect and a 3xx other than 304 is refused here, its `Location` unread.
async fn send(
    req: &HttpRequest,
    state: &AppState,
    client: &awc::Client,
    url: &Uri,
    identity: bool,
    body: String,
) -> Result<
    awc::ClientResponse<
        impl futures::Stream<Item = Result<web::Bytes, awc::error::PayloadError>> + Unpin,
    >,
    ServeError,
> {
    let resp = upstream_request(req, state, client, url, identity)
        .send_body(body)
        .await
        .map_err(|e| ServeError::Upstream(e.to_string()))?;
    let status = resp.status();
    if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
        tracing::warn!(
            status = status.as_u16(),
            "upstream answered a redirect; not followed"
        );
        return Err(ServeError::UpstreamRedirect {
            status: status.as_u16(),
        });
    }
    Ok(resp)
}

/// Sends `body` upstream; the time to the response head is `stage:upstream`.
pub(crate) async fn send_timed(
    req: &HttpRequest,
    state: &AppState,
    client: &awc::Client,
    url: &Uri,
    identity: bool,
    body: String,
) -> Result<
    awc::ClientResponse<
        impl futures::Stream<Item = Result<web::Bytes, awc::error::PayloadError>> + Unpin,
    >,
    ServeError,
> {
    let t = Instant::now();
    let resp = send(req, state, client, url, identity, body).await?;
    state.metrics.observe("stage:upstream", t.elapsed());
    Ok(resp)
}

/// The client's response: the upstream's status and end-to-end headers, then `head` (bytes
/// already read from the upstream body) and the rest of its body as it arrives.
pub(crate) fn relay<S>(
    resp: awc::ClientResponse<S>,
    head: web::Bytes,
    mut tap: Option<Tap>,
) -> HttpResponse
where
    S: futures::Stream<Item = Result<web::Bytes, awc::error::PayloadError>> + Unpin + 'static,
{
    let mut back = HttpResponse::build(resp.status());
    for (k, v) in resp.headers() {
        if !hop_by_hop(k) {
            back.append_header((k.clone(), v.clone()));
        }
    }
    if let Some(t) = &mut tap {
        t.push(&head);
    }
    let head = (!head.is_empty()).then_some(Ok(head));
    // the tap lives as long as the body stream: dropped when the answer ends or the client
    // goes away, it records the usage it saw
    let rest = resp.map(move |chunk| {
        if let (Some(t), Ok(bytes)) = (&mut tap, &chunk) {
            t.push(bytes);
        }
        chunk.map_err(|e| actix_web::error::ErrorBadGateway(e.to_string()))
    });
    back.streaming(futures::stream::iter(head).chain(rest))
}

/// The upstream request with the client's headers (hop-by-hop and `x-kompress-*` dropped).
/// `identity` asks for an uncompressed body, which the retrieve loop must read.
fn upstream_request(
    req: &HttpRequest,
    state: &AppState,
    client: &awc::Client,
    url: &Uri,
    identity: bool,
) -> awc::ClientRequest {
    let mut up = client
        .request(req.method().clone(), url.clone())
        .timeout(Duration::from_secs(state.cfg.proxy.upstream_timeout_secs));
    for (k, v) in req.headers() {
        let dropped = hop_by_hop(k) || (identity && k == ACCEPT_ENCODING);
        if !dropped {
            up = up.append_header((k.clone(), v.clone()));
        }
    }
    if identity {
        up = up.insert_header((ACCEPT_ENCODING, "identity"));
    }
    up
}

/// Largest upstream response the retrieve loop reads into memory.
const LOOP_RESPONSE_LIMIT: usize = 64 << 20;

/// Non-streaming requests whose compression emitted markers: sends `body`, and while the
/// response asks for `kompress_retrieve` only (and rounds are left), answers the calls from
/// memory, appends the turn and its results, and sends again. The client gets the last
/// response, buffered, with its status and headers.
async fn answer_retrieve_rounds(
    req: &HttpRequest,
    state: &AppState,
    client: &awc::Client,
    url: &Uri,
    mut body: String,
    mut scope: Scope<'_>,
) -> Result<HttpResponse, ServeError> {
    let mut round = 0;
    loop {
        let t = Instant::now();
        let mut resp = send(req, state, client, url, true, body.clone()).await?;
        let bytes = resp
            .body()
            .limit(LOOP_RESPONSE_LIMIT)
            .await
            .map_err(|e| ServeError::Upstream(e.to_string()))?;
        state.metrics.observe("stage:upstream", t.elapsed());
        let calls = if resp.status().is_success() && round < scope.max_rounds {
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| retrieve_loop::retrieve_only_calls(&v, scope.format).map(|c| (v, c)))
        } else {
            None
        };
        let Some((answer, calls)) = calls else {
            if let Some(t) = &mut scope.tap {
                t.push(&bytes);
            }
            let mut back = HttpResponse::build(resp.status());
            for (k, v) in resp.headers() {
                if !hop_by_hop(k) {
                    back.append_header((k.clone(), v.clone()));
                }
            }
            return Ok(back.body(bytes));
        };
        round += 1;
        body = scope.extend(state, &body, &answer, &calls, round).await?;
    }
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
