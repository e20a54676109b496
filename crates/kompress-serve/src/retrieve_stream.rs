//! The retrieve loop for streaming requests (`"stream": true`, SSE), OpenAI and Anthropic.
//!
//! Design. Each round's upstream response is read event by event ([`SseReader`]) and watched
//! ([`Watch`]) while its raw bytes are kept exactly as received:
//! - As soon as the stream shows anything the client must see (text, a refusal, another
//!   tool, thinking, an error event, an unknown event) the proxy answers the client with that
//!   response's status and headers, the bytes held so far and then the rest of the upstream
//!   body as it arrives: byte-identical, as a plain passthrough would have sent it. What was
//!   held is only invisible framing (OpenAI's role chunk, Anthropic's `message_start`/`ping`)
//!   or retrieve-call fragments, so text reaches the client without added delay.
//! - When the turn ends as `kompress_retrieve` calls only (OpenAI `finish_reason:
//!   "tool_calls"` then `[DONE]`; Anthropic `stop_reason: "tool_use"` then `message_stop`),
//!   the calls assembled from the deltas are answered from the store exactly like the
//!   non-streaming loop (`retrieve_loop`: same checks, same appended turn, same bytes
//!   inserted), and the extended request, still `stream: true`, is sent again.
//! - A round that is held back is never shown: not its headers, not one byte. The client gets
//!   the final round's response unchanged, so it sees exactly one well-formed stream (for
//!   Anthropic one `message_start` … `message_stop`), as if the proxy had sent that request
//!   first.
//! - Not held, passed through as they come: non-2xx answers, non-SSE bodies, and the response
//!   after the last allowed round (`proxy.retrieve_max_rounds`).
//! - Bounded memory: at most [`HOLD_LIMIT`] bytes (1 MiB) are held per round. Past it the
//!   proxy gives up holding that response and forwards it (the client then sees the
//!   retrieve call and may answer it through `POST /v1/retrieve`); a warning is logged.
//! - Errors: the upstream failing (connection, mid-stream break) while nothing of that round
//!   was forwarded is a typed 502 `upstream` error to the client; a store failure is 500
//!   `memory`. Once bytes were forwarded, errors end the stream as in a passthrough.

pub mod sse;
pub mod watch;

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{web, HttpRequest, HttpResponse};
use futures::{Stream, StreamExt};
use kompress_core::Format;
use serde_json::Value;

use crate::error::ServeError;
use crate::proxy::{relay, send_timed};
use crate::retrieve_loop::{retrieve_only_calls, RetrieveCall, Scope};
use crate::state::AppState;
use sse::SseReader;
use watch::{Verdict, Watch};

/// Most bytes of one upstream stream held back while deciding whether it is the proxy's.
pub const HOLD_LIMIT: usize = 1 << 20;

/// What reading one round's stream came to.
#[derive(Debug)]
pub enum Held {
    /// Not the proxy's to answer: forward these bytes, then the rest of the body.
    Forward(web::Bytes),
    /// A finished turn of `kompress_retrieve` calls only, in its non-streaming shape.
    Retrieve(Value, Vec<RetrieveCall>),
}

/// Streaming requests that got the retrieve tool: sends `body`, and while a response streams
/// `kompress_retrieve` calls only (and rounds are left), answers them and sends again. The
/// client gets the first stream that is not held back, unchanged.
pub async fn answer_rounds(
    req: &HttpRequest,
    state: &AppState,
    client: &awc::Client,
    url: &actix_web::http::Uri,
    mut body: String,
    mut scope: Scope<'_>,
) -> Result<HttpResponse, ServeError> {
    let mut round = 0;
    loop {
        let mut resp = send_timed(req, state, client, url, true, body.clone()).await?;
        let sse = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().starts_with("text/event-stream"));
        if !resp.status().is_success() || !sse || round >= scope.max_rounds {
            return Ok(relay(resp, web::Bytes::new(), scope.tap.take()));
        }
        match hold(&mut resp, scope.format, HOLD_LIMIT).await? {
            Held::Forward(head) => return Ok(relay(resp, head, scope.tap.take())),
            Held::Retrieve(answer, calls) => {
                round += 1;
                body = scope.extend(state, &body, &answer, &calls, round).await?;
            }
        }
    }
}

/// Reads `body` until it is clear whether the proxy answers this turn; the bytes read so far
/// come back with a `Forward` verdict. A read error before then is an `Upstream` error.
pub async fn hold<S, E>(body: &mut S, format: Format, limit: usize) -> Result<Held, ServeError>
where
    S: Stream<Item = Result<web::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut raw = web::BytesMut::new();
    let mut reader = SseReader::default();
    let mut watch = Watch::new(format);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| ServeError::Upstream(format!("stream broke: {e}")))?;
        raw.extend_from_slice(&chunk);
        for ev in reader.push(&chunk) {
            match watch.see(&ev) {
                Verdict::Hold => {}
                Verdict::Forward => return Ok(Held::Forward(raw.freeze())),
                Verdict::Complete => return Ok(finish(&watch, format, raw)),
            }
        }
        if raw.len() > limit {
            tracing::warn!(
                held = raw.len(),
                limit,
                "stream held back past its limit; forwarding it, kompress_retrieve unanswered"
            );
            return Ok(Held::Forward(raw.freeze()));
        }
    }
    // The body ended: a turn that said it stops for tools counts even without the last event.
    Ok(if watch.finished() {
        finish(&watch, format, raw)
    } else {
        Held::Forward(raw.freeze())
    })
}

fn finish(watch: &Watch, format: Format, raw: web::BytesMut) -> Held {
    watch
        .response()
        .and_then(|v| retrieve_only_calls(&v, format).map(|calls| Held::Retrieve(v, calls)))
        .unwrap_or_else(|| Held::Forward(raw.freeze()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(s: &str, step: usize) -> impl Stream<Item = Result<web::Bytes, String>> + Unpin {
        let parts: Vec<Result<web::Bytes, String>> = s
            .as_bytes()
            .chunks(step)
            .map(|c| Ok(web::Bytes::copy_from_slice(c)))
            .collect();
        futures::stream::iter(parts)
    }

    const RETRIEVE: &str = concat!(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c1\",",
        "\"function\":{\"name\":\"kompress_retrieve\",\"arguments\":\"{\\\"handle\\\":\"}}]}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,",
        "\"function\":{\"arguments\":\"\\\"ab12cd34\\\"}\"}}]}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n",
        "data: [DONE]\n\n",
    );

    #[actix_web::test]
    async fn a_retrieve_only_stream_is_held_and_its_calls_assembled() {
        for step in [1, 5, 64, 4096] {
            let held = hold(&mut chunks(RETRIEVE, step), Format::OpenAi, HOLD_LIMIT)
                .await
                .unwrap();
            let Held::Retrieve(_, calls) = held else {
                panic!("split every {step}: {held:?}");
            };
            assert_eq!(calls[0].arguments, "{\"handle\":\"ab12cd34\"}");
        }
    }

    #[actix_web::test]
    async fn text_is_released_with_every_byte_read_so_far() {
        let s = "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\ndata: [DO";
        let Held::Forward(head) = hold(&mut chunks(s, 4096), Format::OpenAi, HOLD_LIMIT)
            .await
            .unwrap()
        else {
            panic!("text is forwarded");
        };
        assert_eq!(&head[..], s.as_bytes());
    }

    #[actix_web::test]
    async fn past_the_limit_the_stream_is_forwarded_not_held() {
        let Held::Forward(head) = hold(&mut chunks(RETRIEVE, 16), Format::OpenAi, 100)
            .await
            .unwrap()
        else {
            panic!("over the limit");
        };
        assert!(head.len() > 100 && head.len() <= 116);
    }

    #[actix_web::test]
    async fn a_break_before_anything_was_forwarded_is_an_upstream_error() {
        let mut s = chunks(&RETRIEVE[..150], 4096)
            .chain(futures::stream::iter([Err("connection reset".to_string())]));
        let e = hold(&mut s, Format::OpenAi, HOLD_LIMIT).await.unwrap_err();
        assert_eq!(e.kind(), "upstream");
    }
}
