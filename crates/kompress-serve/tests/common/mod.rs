//! Test helpers: a served kompress on 127.0.0.1 with a free port, a fake upstream that
//! records what it received, and a compressible tool output.
#![allow(dead_code)]

pub mod held;
pub mod scripted;

use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use kompress_pipeline::{Pipeline, PipelineSettings};
use kompress_serve::{Bound, ServeConfig};

pub fn pipeline() -> Pipeline {
    Pipeline::start(PipelineSettings {
        workers: 1,
        ..Default::default()
    })
    .expect("pipeline starts")
}

/// Binds the service on a free loopback port and runs it on the current actix system.
pub fn serve(mut cfg: ServeConfig) -> Served {
    cfg.shutdown_timeout_secs = 1;
    serve_with(cfg, pipeline())
}

/// As `serve`, on a pipeline of the caller's, keeping the config's shutdown timeout.
pub fn serve_with(mut cfg: ServeConfig, pipeline: Pipeline) -> Served {
    cfg.listen = "127.0.0.1:0".into();
    cfg.workers = 1;
    let Bound {
        server,
        handle,
        addr,
        state,
    } = kompress_serve::bind(kompress_serve::state(cfg, pipeline).expect("state")).expect("bind");
    actix_web::rt::spawn(server);
    Served {
        handle,
        addr,
        state,
    }
}

/// A running service: its address, its stop handle and its shared state.
pub struct Served {
    pub handle: actix_web::dev::ServerHandle,
    pub addr: std::net::SocketAddr,
    pub state: actix_web::web::Data<kompress_serve::state::AppState>,
}

/// POSTs a JSON body; returns the status and the JSON answer.
pub async fn post(url: &str, body: impl Into<Vec<u8>>) -> (u16, serde_json::Value) {
    let mut r = awc::Client::default()
        .post(url)
        .insert_header(("content-type", "application/json"))
        .send_body(body.into())
        .await
        .expect("request");
    let status = r.status().as_u16();
    let v = r
        .json::<serde_json::Value>()
        .limit(1 << 24)
        .await
        .expect("json body");
    (status, v)
}

pub fn url(b: &Served, path: &str) -> String {
    format!("http://{}{}", b.addr, path)
}

/// A failing integration-test run: one error block (an error line, the exception and its
/// application frames) above a 200-frame test-harness tail, which the default evicts behind one
/// marker whose handle the retrieve tests resolve. (A service log would no longer do: logs keep
/// every line and fold.)
pub fn tool_log(seed: usize) -> String {
    let mut s = format!("Running integration suite of db-pool-{seed} against 10.0.3.7:5432\n");
    s.push_str(&format!(
        "ERROR db-pool-{seed}: connection refused (os error 111) at 10.0.3.7:5432\n"
    ));
    s.push_str("java.net.ConnectException: Connection refused\n");
    s.push_str("\tat com.acme.pool.Pool.acquire(Pool.java:88)\n");
    s.push_str(&format!(
        "\tat com.acme.pool.PoolIT.test{seed}(PoolIT.java:41)\n"
    ));
    let harness = [
        "sun.reflect.NativeMethodAccessorImpl.invoke",
        "java.lang.reflect.Method.invoke",
        "org.junit.runners.model.FrameworkMethod$1.runReflectiveCall",
        "org.junit.internal.runners.model.ReflectiveCallable.run",
        "org.junit.runners.ParentRunner$3.run",
        "org.junit.runners.ParentRunner.runLeaf",
        "org.apache.maven.surefire.junit4.JUnit4Provider.execute",
    ];
    for i in 0..200 {
        let m = harness[i % harness.len()];
        let file = m.rsplit('.').nth(1).unwrap_or("X");
        // every evicted line says which run it came from (the tenant-scoping test looks for it)
        s.push_str(&format!("\tat {m}({file}.java:{}) run={seed}\n", 40 + i));
    }
    s.push_str(&format!(
        "Tests run: 12, Failures: 1, Errors: 0 (run {seed})\n"
    ));
    s
}

#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

pub type Log = Arc<Mutex<Vec<Received>>>;

/// SSE body the fake upstream streams for `"stream": true` requests.
pub const SSE: &[&str] = &[
    "data: {\"id\":\"c1\",\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n",
    "data: {\"id\":\"c1\",\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\n\n",
    "data: [DONE]\n\n",
];

async fn record(req: HttpRequest, body: web::Bytes, log: web::Data<Log>) -> HttpResponse {
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    log.lock().unwrap().push(Received {
        path: req.uri().to_string(),
        headers,
        body: body.to_vec(),
    });
    let streaming = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["stream"].as_bool())
        == Some(true);
    if streaming {
        let chunks = SSE
            .iter()
            .map(|c| Ok::<_, actix_web::Error>(web::Bytes::from_static(c.as_bytes())));
        return HttpResponse::Ok()
            .content_type("text/event-stream")
            .insert_header(("x-upstream", "fake"))
            .streaming(futures::stream::iter(chunks));
    }
    HttpResponse::Ok()
        .insert_header(("x-upstream", "fake"))
        .json(serde_json::json!({"id": "resp-1", "ok": true}))
}

/// A real HTTP server on a free loopback port that answers every request with `handler`
/// (which gets the shared [`Log`] as `web::Data<Log>`); its `host:port` and the log.
pub fn loopback_upstream<F, Args>(handler: F) -> (String, Log)
where
    F: actix_web::Handler<Args> + Clone + Send + 'static,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    let log: Log = Arc::default();
    let data = web::Data::new(log.clone());
    let srv = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .default_service(web::to(handler.clone()))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .expect("bind a loopback upstream");
    let addr = srv.addrs()[0];
    actix_web::rt::spawn(srv.run());
    (addr.to_string(), log)
}

/// A real HTTP server on a free loopback port that records every request.
pub fn fake_upstream() -> (String, Log) {
    let (addr, log) = loopback_upstream(record);
    (format!("http://{addr}"), log)
}

/// Replays turns 1..=`turns` of a session on `route` as tenant `acme` and session `id`, each
/// request holding the whole history so far (`session(t)`), as clients send it.
pub async fn replay(b: &Served, route: &str, id: &str, session: fn(usize) -> String, turns: usize) {
    for t in 1..=turns {
        let r = awc::Client::default()
            .post(url(b, route))
            .insert_header(("x-kompress-tenant", "acme"))
            .insert_header(("x-kompress-session", id))
            .send_body(session(t))
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "turn {t}");
    }
}

/// The bodies the upstream received, in order.
pub fn bodies(log: &Log) -> Vec<String> {
    log.lock()
        .unwrap()
        .iter()
        .map(|r| String::from_utf8(r.body.clone()).unwrap())
        .collect()
}

/// Serve config whose proxy routes both go to `upstream`.
pub fn proxy_config(upstream: &str) -> ServeConfig {
    let mut cfg = ServeConfig::default();
    cfg.proxy
        .upstreams
        .insert("fake".into(), upstream.to_string());
    cfg.proxy.openai = Some("fake".into());
    cfg.proxy.anthropic = Some("fake".into());
    cfg
}

/// An OpenAI chat whose tool result (`tool_log(7)`) compresses, for the retrieve-loop tests.
pub fn retrieve_openai_body(stream: bool) -> String {
    serde_json::json!({"model": "gpt-x", "stream": stream, "messages": [
        {"role": "user", "content": "why did the job fail?"},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
            "function": {"name": "logs", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": tool_log(7)},
        {"role": "user", "content": "so?"}
    ]})
    .to_string()
}

/// An Anthropic conversation whose tool result (`tool_log(9)`) compresses; `"stream": true`
/// only when `stream`.
pub fn retrieve_anthropic_body(stream: bool) -> String {
    let mut v = serde_json::json!({"model": "claude-x", "max_tokens": 64, "messages": [
        {"role": "user", "content": "check the logs"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "logs", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": tool_log(9)},
            {"type": "text", "text": "what broke?"}]}
    ]});
    if stream {
        v["stream"] = serde_json::Value::Bool(true);
    }
    v.to_string()
}
