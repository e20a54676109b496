//! The proxy's security promises (SECURITY.md at the repository root names the test of each).
//! Every server is on 127.0.0.1 and every loop is bounded.
//!
//! - Redirects (this file): an allow-listed upstream answering 301, 302, 303, 307 or 308 with
//!   an absolute, scheme-relative or relative `Location` (another port, another name of the
//!   same host, the same host and port, a path of its own) is never followed: the client gets
//!   a typed 502 `upstream_redirect` without the `Location`, the other server receives
//!   nothing, the allow-listed one only the request the client sent. Plain and streaming
//!   requests, both routes, the retrieve loop's first send and its re-sends.
//! - Configured upstreams (this file): userinfo, a query or a fragment in a configured URL
//!   stop the service at start with an error naming `proxy.upstreams`.
//! - Relay attempts through the request line and headers (`security/relay.rs`).
//! - No credential in any log line or span attribute at `trace` (`security/logs.rs`).

mod common;
#[path = "security/logs.rs"]
mod logs;
#[path = "security/relay.rs"]
mod relay;
mod sse_upstream;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use common::scripted::{self, first_handle, Script};
use common::*;
use serde_json::{json, Value};

pub const STATUSES: [u16; 5] = [301, 302, 303, 307, 308];

/// The two proxy routes with the credential header each client sends.
pub const ROUTES: [(&str, &str, &str); 2] = [
    ("/v1/messages", "x-api-key", "ak-redirect-9d3f"),
    (
        "/v1/chat/completions",
        "authorization",
        "Bearer sk-redirect-5b7e",
    ),
];

/// The status and `Location` a request asks the redirecting upstream for (`?status=…&loc=…`).
fn asked(req: &HttpRequest) -> Option<(u16, String)> {
    let q = req.query_string();
    let status = q.split('&').find_map(|kv| kv.strip_prefix("status="))?;
    let (_, loc) = q.split_once("loc=")?;
    Some((status.parse().ok()?, loc.to_string()))
}

fn redirect(status: u16, loc: &str) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(status).expect("a status code"))
        .insert_header(("location", loc))
        .json(json!({"redirect": status}))
}

fn record(req: &HttpRequest, body: &[u8], log: &Log) {
    let headers = req.headers().iter();
    let headers = headers.map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()));
    log.lock().unwrap().push(Received {
        path: req.uri().to_string(),
        headers: headers.collect(),
        body: body.to_vec(),
    });
}

async fn redirecting(req: HttpRequest, body: web::Bytes, log: web::Data<Log>) -> HttpResponse {
    record(&req, &body, &log);
    match asked(&req) {
        Some((status, loc)) if !req.path().contains("steal") => redirect(status, &loc),
        _ => HttpResponse::Ok().json(json!({"followed": req.uri().to_string()})),
    }
}

/// An upstream that answers every request with the redirect its query asks for and anything
/// else (`/steal…`: a followed redirect) with 200; returns its `host:port` and what it got.
pub fn redirecting_upstream() -> (String, Log) {
    loopback_upstream(redirecting)
}

/// Every `Location` tried: the other server by address, by name and scheme-relative; the
/// allow-listed upstream itself, absolute and relative.
fn locations(a: &str, b: &str) -> Vec<String> {
    let b_port = b.rsplit(':').next().expect("a port");
    vec![
        format!("http://{b}/steal"),
        format!("http://localhost:{b_port}/steal"),
        format!("//{b}/steal"),
        format!("http://{a}/steal"),
        "/steal".into(),
        "steal?x=1".into(),
    ]
}

/// Sends `body` to `route` asking the upstream for `status` and `loc`; the test client never
/// follows redirects itself. Returns the status, the `Location` the client got and the body.
pub async fn ask(
    proxy: &Served,
    route: (&str, &str, &str),
    status: u16,
    loc: &str,
    body: String,
) -> (u16, Option<String>, Value) {
    let (path, key, secret) = route;
    let mut r = awc::Client::builder()
        .disable_redirects()
        .finish()
        .post(url(proxy, &format!("{path}?status={status}&loc={loc}")))
        .insert_header((key, secret))
        .insert_header(("content-type", "application/json"))
        .send_body(body)
        .await
        .expect("the proxy answers");
    let location = r.headers().get("location").map(|v| format!("{v:?}"));
    let bytes = r.body().limit(1 << 24).await.expect("a body");
    let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (r.status().as_u16(), location, v)
}

/// The body of `route`: compressible (the retrieve tool is injected when memory is set).
fn body_for(route: &str, stream: bool) -> String {
    if route == "/v1/messages" {
        retrieve_anthropic_body(stream)
    } else {
        retrieve_openai_body(stream)
    }
}

/// `None` when the proxy refused the redirect as it must, else what went wrong.
fn refused(case: &str, (status, location, v): &(u16, Option<String>, Value)) -> Option<String> {
    let typed = *status == 502 && v["error"]["kind"] == "upstream_redirect";
    (!typed || location.is_some()).then(|| format!("{case}: {status} {location:?} {v}"))
}

/// Fails listing every case that was not refused and everything the other server received.
fn assert_all_refused(wrong: &[String], cases: usize, b_log: &Log) {
    let b_got = b_log.lock().unwrap();
    let b_paths: Vec<&str> = b_got.iter().map(|r| r.path.as_str()).collect();
    let keyed = b_got.iter().filter(|r| {
        let keys = ROUTES.iter().filter(|(_, k, v)| r.header(k) == Some(*v));
        keys.count() > 0
    });
    assert!(
        wrong.is_empty() && b_got.is_empty(),
        "{} of {cases} cases not refused: {wrong:#?}\nthe other server got {} requests, \
         {} with the client's key: {b_paths:?}",
        wrong.len(),
        b_got.len(),
        keyed.count(),
    );
}

/// Every status, location and route once through a proxy to the redirecting upstream, which
/// must receive each request exactly once while the other server receives nothing.
async fn no_redirect_is_followed(stream: bool, memory: bool) {
    let (a, a_log) = redirecting_upstream();
    let (b, b_log) = fake_upstream();
    let b = b.trim_start_matches("http://").to_string();
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = proxy_config(&format!("http://{a}"));
    if memory {
        let db = dir.path().join("mem.db");
        cfg.memory = Some(kompress_memory::MemoryConfig::sqlite(db));
    }
    let proxy = serve(cfg);
    let (mut cases, mut wrong) = (0, Vec::new());
    for route in ROUTES {
        for status in STATUSES {
            for loc in locations(&a, &b) {
                let case = format!("{} {status} -> {loc} (stream {stream})", route.0);
                let got = ask(&proxy, route, status, &loc, body_for(route.0, stream)).await;
                wrong.extend(refused(&case, &got));
                cases += 1;
            }
        }
    }
    assert_all_refused(&wrong, cases, &b_log);
    let a_got = a_log.lock().unwrap();
    let paths: Vec<&str> = a_got.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(a_got.len(), cases, "one request per case: {paths:?}");
    let followed = paths
        .iter()
        .filter(|p| p.split('?').next().unwrap().contains("steal"));
    assert_eq!(
        followed.count(),
        0,
        "a redirect to itself was followed: {paths:?}"
    );
}

#[actix_web::test]
async fn plain_requests_never_follow_an_upstream_redirect() {
    no_redirect_is_followed(false, false).await;
}

#[actix_web::test]
async fn streaming_requests_never_follow_an_upstream_redirect() {
    no_redirect_is_followed(true, false).await;
}

#[actix_web::test]
async fn the_retrieve_loops_first_send_never_follows_an_upstream_redirect() {
    no_redirect_is_followed(false, true).await;
    no_redirect_is_followed(true, true).await;
}

/// Steps of the scripted upstream for the re-send test: a retrieve call, then a redirect.
#[derive(Clone, Copy)]
enum Hop {
    Retrieve,
    Redirect,
}

fn hop_reply(_: &Script<Hop>, req: &HttpRequest, hop: Hop, n: usize, body: &str) -> HttpResponse {
    let anthropic = req.path() == "/v1/messages";
    let stream = serde_json::from_str::<Value>(body).is_ok_and(|v| v["stream"] == true);
    match (hop, asked(req)) {
        _ if req.path().contains("steal") => {
            return HttpResponse::Ok().json(json!({"followed": n}));
        }
        (Hop::Redirect, Some((status, loc))) => return redirect(status, &loc),
        _ => {}
    }
    let h = first_handle(body);
    if stream {
        let step = sse_upstream::Step::Retrieve;
        let sse = if anthropic {
            sse_upstream::anthropic_stream(step, n, &h)
        } else {
            sse_upstream::openai_stream(step, n, &h)
        };
        return HttpResponse::Ok()
            .content_type("text/event-stream")
            .body(sse);
    }
    HttpResponse::Ok().json(if anthropic {
        json!({"id": format!("r-{n}"), "type": "message", "role": "assistant",
            "stop_reason": "tool_use", "content": [{"type": "tool_use", "id": format!("tu-{n}"),
            "name": "kompress_retrieve", "input": {"handle": h}}]})
    } else {
        json!({"id": format!("r-{n}"), "choices": [{"index": 0, "finish_reason": "tool_calls",
            "message": {"role": "assistant", "content": null, "tool_calls": [{"id": format!("c-{n}"),
            "type": "function", "function": {"name": "kompress_retrieve",
            "arguments": json!({"handle": h}).to_string()}}]}}]})
    })
}

#[actix_web::test]
async fn the_retrieve_loops_re_sends_never_follow_an_upstream_redirect() {
    let (b, b_log) = fake_upstream();
    let b = b.trim_start_matches("http://").to_string();
    let locs = [format!("http://{b}/steal"), "/steal".to_string()];
    let cases = 2 * ROUTES.len() * STATUSES.len() * locs.len();
    // every case: a retrieve call the proxy answers, then a redirect on the re-send
    let steps = (0..cases)
        .flat_map(|_| [Hop::Retrieve, Hop::Redirect])
        .collect();
    let (proxy, script, _dir) = scripted::served(steps, hop_reply, 3);
    let mut wrong = Vec::new();
    for stream in [false, true] {
        for route in ROUTES {
            for status in STATUSES {
                for loc in &locs {
                    let case = format!("{} {status} -> {loc} (stream {stream})", route.0);
                    let got = ask(&proxy, route, status, loc, body_for(route.0, stream)).await;
                    wrong.extend(refused(&case, &got));
                }
            }
        }
    }
    assert_all_refused(&wrong, cases, &b_log);
    assert_eq!(
        script.got.lock().unwrap().len(),
        2 * cases,
        "two sends a case"
    );
}

#[actix_web::test]
async fn configured_upstreams_with_userinfo_a_query_or_a_fragment_are_refused_by_field() {
    for bad in [
        "http://user:hunter2@127.0.0.1:9",
        "http://user@127.0.0.1:9",
        "https://:hunter2@api.example",
        "http://127.0.0.1:9?to=elsewhere",
        "http://127.0.0.1:9/v1#frag",
        "http:///no-host",
        "ftp://127.0.0.1:9",
    ] {
        let mut cfg = kompress_serve::ServeConfig::default();
        cfg.proxy.upstreams.insert("up".into(), bad.into());
        let e = cfg.validate().expect_err(bad).to_string();
        assert!(e.contains("proxy.upstreams"), "{bad}: {e}");
        assert!(
            !e.contains("hunter2"),
            "{bad}: the error repeats the password: {e}"
        );
    }
}

#[actix_web::test]
async fn an_upstream_base_path_and_case_are_normalised_and_kept() {
    let (up, log) = fake_upstream();
    let loud = up.replace("http://", "HTTP://") + "/gateway/";
    let proxy = serve(proxy_config(&loud));
    let body =
        json!({"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": "hi"}]});
    let (status, v) = common::post(&url(&proxy, "/v1/messages?beta=1"), body.to_string()).await;
    assert_eq!(status, 200, "{v}");
    let got = log.lock().unwrap()[0].clone();
    assert_eq!(got.path, "/gateway/v1/messages?beta=1");
    assert_eq!(got.header("host"), Some(up.trim_start_matches("http://")));
}
