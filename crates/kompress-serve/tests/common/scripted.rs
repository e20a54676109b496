//! A scripted fake upstream for the retrieve-loop tests: a real HTTP server that answers its
//! n-th request with the n-th step of a script (the last step repeats), through a reply
//! function of the test's, and records every request body it received.

use std::sync::Mutex;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};

use super::{proxy_config, serve, Served};

/// Builds the answer to request `n` (0-based) for `step`; `body` is the request's body.
pub type Reply<S> =
    fn(script: &Script<S>, req: &HttpRequest, step: S, n: usize, body: &str) -> HttpResponse;

pub struct Script<S> {
    steps: Vec<S>,
    reply: Reply<S>,
    /// The request bodies received, in order.
    pub got: Mutex<Vec<String>>,
    /// What a reply function chose to record of the answers it sent, in order.
    pub sent: Mutex<Vec<String>>,
}

async fn answer<S: Copy + 'static>(
    req: HttpRequest,
    body: web::Bytes,
    s: web::Data<Script<S>>,
) -> HttpResponse {
    let text = String::from_utf8(body.to_vec()).expect("a UTF-8 request body");
    let n = {
        let mut got = s.got.lock().unwrap();
        got.push(text.clone());
        got.len() - 1
    };
    let step = s.steps[n.min(s.steps.len() - 1)];
    (s.reply)(&s, &req, step, n, &text)
}

/// Starts the scripted upstream and a proxy routed to it, with a SQLite memory store (in the
/// returned directory) and at most `rounds` retrieve rounds.
pub fn served<S: Copy + Send + Sync + 'static>(
    steps: Vec<S>,
    reply: Reply<S>,
    rounds: u32,
) -> (Served, web::Data<Script<S>>, tempfile::TempDir) {
    let script = web::Data::new(Script {
        steps,
        reply,
        got: Mutex::default(),
        sent: Mutex::default(),
    });
    let d = script.clone();
    let srv = HttpServer::new(move || {
        App::new()
            .app_data(d.clone())
            .default_service(web::to(answer::<S>))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .expect("bind upstream");
    let up = format!("http://{}", srv.addrs()[0]);
    actix_web::rt::spawn(srv.run());
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut cfg = proxy_config(&up);
    cfg.memory = Some(kompress_memory::MemoryConfig::sqlite(
        dir.path().join("mem.db"),
    ));
    cfg.proxy.retrieve_max_rounds = rounds;
    (serve(cfg), script, dir)
}

/// The handle of the first `ref=` marker in a request body.
pub fn first_handle(body: &str) -> String {
    let at = body.find("ref=").expect("the request carries a marker");
    body[at + 4..at + 12].to_string()
}
