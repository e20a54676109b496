//! What a client can make the proxy reach. Another tenant's or session's evictions: the
//! retrieve loop answers `kompress_retrieve` only from the request's own tenant and session.
//! Another host, through relay attempts: a client that tries to make the proxy contact a
//! host of its choosing through the request line or the headers. An absolute-URI request line, `Host`,
//! `X-Forwarded-Host`, `Forwarded`, path traversal, `//host` paths, `@` in the path or the
//! query, `CONNECT` and `x-kompress-upstream` naming a URL or a name with an authority in it:
//! none reaches the other server. Requests that match a proxy route go to the allow-listed
//! upstream on that route's path, with its own `Host`; the rest are refused by the proxy.
//! Sent over a raw TCP connection so every byte of the request is the test's.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse};
use serde_json::json;

use crate::common::scripted::{self, first_handle, Script};
use crate::common::*;

const KEY: &str = "ak-relay-61c2";

/// Writes `head` (request line and headers, CRLF-separated, no final blank line) and a small
/// Anthropic body on a fresh connection; returns the proxy's whole answer.
async fn raw(proxy: SocketAddr, head: String) -> String {
    let body = r#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}"#;
    let req = format!(
        "{head}\r\nx-api-key: {KEY}\r\nanthropic-version: 2023-06-01\r\n\
         content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    actix_web::rt::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(proxy).expect("connect to the proxy");
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s.write_all(req.as_bytes()).expect("send");
        let mut out = Vec::new();
        // a reset after the answer (an unparseable request) still leaves what was read
        let _ = s.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    })
    .await
    .expect("the raw client thread")
}

/// Every attempt: (what it tries, request line and extra headers). `P` is the proxy's
/// address, `B` the other server's.
fn attempts(p: &str, b: &str) -> Vec<(&'static str, String)> {
    let line = |target: &str| format!("POST {target} HTTP/1.1\r\nhost: {p}");
    let with = |h: &str| format!("POST /v1/messages HTTP/1.1\r\nhost: {p}\r\n{h}");
    vec![
        (
            "absolute-URI request line",
            line(&format!("http://{b}/v1/messages")),
        ),
        ("absolute-URI elsewhere", line(&format!("http://{b}/steal"))),
        (
            "absolute-URI, other Host",
            format!("POST http://{b}/v1/messages HTTP/1.1\r\nhost: {b}"),
        ),
        ("Host", format!("POST /v1/messages HTTP/1.1\r\nhost: {b}")),
        ("X-Forwarded-Host", with(&format!("x-forwarded-host: {b}"))),
        (
            "X-Forwarded-*",
            with(&format!(
                "x-forwarded-host: {b}\r\nx-forwarded-proto: http\r\nx-forwarded-port: {}",
                port(b)
            )),
        ),
        (
            "Forwarded",
            with(&format!("forwarded: for=10.0.0.1;host={b};proto=http")),
        ),
        (
            "X-Original-URL",
            with(&format!("x-original-url: http://{b}/steal")),
        ),
        ("traversal", line("/v1/messages/../../steal")),
        (
            "traversal to a route",
            line("/v1/../v1/messages/../../steal"),
        ),
        ("encoded traversal", line("/v1/%2e%2e/%2e%2e/steal")),
        ("encoded slash", line("/v1/messages%2f..%2f..%2fsteal")),
        ("//host path", line(&format!("//{b}/v1/messages"))),
        ("///host path", line(&format!("///{b}/v1/messages"))),
        ("@ in the query", line(&format!("/v1/messages?@{b}/steal"))),
        (
            "@ in a query value",
            line(&format!("/v1/messages?next=x@{b}")),
        ),
        ("@ in the path", line(&format!("/v1/messages@{b}/steal"))),
        ("@ as the target", line(&format!("@{b}/v1/messages"))),
        ("CONNECT", format!("CONNECT {b} HTTP/1.1\r\nhost: {b}")),
        (
            "upstream URL",
            with(&format!("x-kompress-upstream: http://{b}")),
        ),
        (
            "upstream with @",
            with(&format!("x-kompress-upstream: fake@{b}")),
        ),
        (
            "upstream with a path",
            with(&format!("x-kompress-upstream: fake/../{b}")),
        ),
    ]
}

fn port(hostport: &str) -> &str {
    hostport.rsplit(':').next().expect("host:port")
}

#[actix_web::test]
async fn no_request_line_or_header_makes_the_proxy_contact_another_host() {
    let (a, a_log) = fake_upstream();
    let (b, b_log) = fake_upstream();
    let a = a.trim_start_matches("http://").to_string();
    let b = b.trim_start_matches("http://").to_string();
    let proxy = serve(proxy_config(&format!("http://{a}")));
    let p = proxy.addr.to_string();
    // at once: an answered request off the routes lingers ~1 s before its connection closes
    let answers = futures::future::join_all(attempts(&p, &b).into_iter().map(|(what, head)| {
        let addr = proxy.addr;
        async move {
            let answer = raw(addr, head).await;
            let status = answer.lines().next().unwrap_or("(no answer)").to_string();
            format!("{what}: {status}")
        }
    }))
    .await;
    let b_got = b_log.lock().unwrap().clone();
    assert!(
        b_got.is_empty(),
        "reached the other server: {b_got:?}\n{answers:#?}"
    );
    let a_got = a_log.lock().unwrap().clone();
    assert!(
        !a_got.is_empty(),
        "some attempts are plain proxy requests: {answers:#?}"
    );
    for r in &a_got {
        let route = r.path.split('?').next().unwrap_or("");
        assert_eq!(route, "/v1/messages", "{r:?}\n{answers:#?}");
        assert_eq!(r.header("host"), Some(a.as_str()), "{r:?}");
        assert_eq!(
            r.header("x-api-key"),
            Some(KEY),
            "the allow-listed upstream gets the key"
        );
    }
    // the attempts off the routes, or naming an upstream not listed, were answered here
    for line in &answers {
        let refused = [
            "traversal",
            "encoded",
            "//",
            "@ in the path",
            "@ as",
            "CONNECT",
        ];
        if refused.iter().any(|r| line.starts_with(r)) {
            assert!(!line.contains(" 200 "), "{line}");
        }
        if line.starts_with("upstream ") {
            assert!(line.contains(" 403 "), "{line}");
        }
    }
}

/// What the scripted upstream answers: a final text, or a `kompress_retrieve` call for the
/// evictions of the first request it got (tenant acme, session s1), by handle or by words.
#[derive(Clone, Copy)]
enum Turn {
    Final,
    AskHandle,
    AskQuery,
}

fn turn_reply(s: &Script<Turn>, _: &HttpRequest, turn: Turn, n: usize, _: &str) -> HttpResponse {
    let first = s.got.lock().unwrap()[0].clone();
    let args = match turn {
        Turn::Final => {
            return HttpResponse::Ok().json(json!({"id": format!("final-{n}"), "choices": [
                {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "ok"}}]}));
        }
        Turn::AskHandle => json!({"handle": first_handle(&first)}),
        Turn::AskQuery => json!({"query": "heartbeat run=7"}),
    };
    HttpResponse::Ok().json(json!({"id": format!("r-{n}"), "choices": [{"index": 0,
        "finish_reason": "tool_calls", "message": {"role": "assistant", "content": null,
        "tool_calls": [{"id": format!("c-{n}"), "type": "function", "function": {
            "name": "kompress_retrieve", "arguments": args.to_string()}}]}}]}))
}

async fn chat(proxy: &Served, tenant: &str, session: &str, body: String) -> u16 {
    let mut r = awc::Client::default()
        .post(url(proxy, "/v1/chat/completions"))
        .insert_header(("x-kompress-tenant", tenant))
        .insert_header(("x-kompress-session", session))
        .insert_header(("content-type", "application/json"))
        .send_body(body)
        .await
        .expect("the proxy answers");
    let _ = r.body().await;
    r.status().as_u16()
}

#[actix_web::test]
async fn the_retrieve_loop_answers_only_from_the_requests_own_tenant_and_session() {
    let mut steps = vec![Turn::Final];
    let cases = [
        ("other", "s1", Turn::AskHandle),
        ("other", "s1", Turn::AskQuery),
        ("acme", "s2", Turn::AskHandle),
        ("acme", "s2", Turn::AskQuery),
        // the control: acme's own session gets its text back
        ("acme", "s1", Turn::AskHandle),
    ];
    for (_, _, ask) in cases {
        steps.extend([ask, Turn::Final]);
    }
    let (proxy, script, _dir) = scripted::served(steps, turn_reply, 3);
    // acme/s1 stores the evictions of tool_log(7) (every line says run=7)
    assert_eq!(
        chat(&proxy, "acme", "s1", retrieve_openai_body(false)).await,
        200
    );
    let own = retrieve_openai_body(false).replace("run=7", "run=8");
    for (i, (tenant, session, _)) in cases.iter().enumerate() {
        assert_eq!(chat(&proxy, tenant, session, own.clone()).await, 200);
        let resent = script.got.lock().unwrap()[2 + 2 * i].clone();
        let v: serde_json::Value = serde_json::from_str(&resent).expect("a JSON re-send");
        let last = v["messages"].as_array().and_then(|m| m.last()).cloned();
        let last = last.unwrap_or_default();
        assert_eq!(
            last["role"], "tool",
            "the re-send ends with the proxy's answer"
        );
        let answered = last["content"].as_str().unwrap_or("").to_string();
        let leaked = answered.contains("run=7");
        if (*tenant, *session) == ("acme", "s1") {
            assert!(leaked, "the control: acme/s1 gets its own text: {answered}");
        } else {
            assert!(!leaked, "{tenant}/{session} got acme/s1's text: {answered}");
        }
    }
    assert_eq!(script.got.lock().unwrap().len(), 1 + 2 * cases.len());
}
