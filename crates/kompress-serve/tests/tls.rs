//! With the `tls` feature (on by default): the proxy forwards to an HTTPS upstream. A fake upstream serves
//! HTTPS on loopback with a certificate from a throwaway CA made for this test (`openssl`).
//! With `proxy.ca_file` naming that CA a request round-trips (tool result compressed, auth
//! header forwarded, upstream response returned); without it, or with another CA, the proxy
//! answers a typed `upstream` error and the upstream sees nothing; an unreadable CA file
//! stops the service at start with an error naming `proxy.ca_file`. A redirect from the
//! HTTPS upstream is refused, never followed, like one over plain HTTP.
//! Run: `cargo test -p kompress-serve --test tls`.
#![cfg(feature = "tls")]

mod common;

use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{json, Value};

use kompress_serve::ServeConfig;

/// (authorization header, body) of every request the HTTPS upstream received.
type Seen = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

fn openssl(args: &[&str], dir: &std::path::Path) -> Result<(), String> {
    let out = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run openssl: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// PEM files of a throwaway CA and of a `localhost` server certificate it signed.
struct TestPki {
    ca: Vec<u8>,
    cert: Vec<u8>,
    key: Vec<u8>,
}

/// Makes a [`TestPki`], or says why it could not (webpki refuses a CA certificate as the
/// server's own, hence a CA and a leaf).
fn test_pki(dir: &std::path::Path) -> Result<TestPki, String> {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec![
        "req",
        "-x509",
        "-days",
        "1",
        "-subj",
        "/CN=kompress test CA",
    ];
    ca.extend(ec);
    ca.extend(["-keyout", "ca.key", "-out", "ca.pem"]);
    openssl(&ca, dir)?;
    let mut csr = vec!["req", "-new", "-subj", "/CN=localhost"];
    csr.extend(ec);
    csr.extend(["-keyout", "key.pem", "-out", "leaf.csr"]);
    openssl(&csr, dir)?;
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .map_err(|e| e.to_string())?;
    openssl(
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            "leaf.ext",
            "-out",
            "cert.pem",
        ],
        dir,
    )?;
    let read = |f: &str| std::fs::read(dir.join(f)).map_err(|e| format!("{f}: {e}"));
    Ok(TestPki {
        ca: read("ca.pem")?,
        cert: read("cert.pem")?,
        key: read("key.pem")?,
    })
}

async fn record(req: HttpRequest, body: web::Bytes, seen: web::Data<Seen>) -> HttpResponse {
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    seen.lock().unwrap().push((auth, body.to_vec()));
    // `?loc=…` asks for a redirect there (tests/security.rs does the same over plain HTTP)
    if let Some((_, loc)) = req.query_string().split_once("loc=") {
        return HttpResponse::TemporaryRedirect()
            .insert_header(("location", loc))
            .finish();
    }
    HttpResponse::Ok().json(json!({"id": "tls-1", "scheme": "https"}))
}

/// Serves HTTPS on a free loopback port with the leaf certificate of `pki`; returns the port
/// and what it receives.
fn https_upstream(pki: &TestPki) -> (u16, Seen) {
    let cert = CertificateDer::from_pem_slice(&pki.cert).expect("certificate PEM");
    let key = PrivateKeyDer::from_pem_slice(&pki.key).expect("key PEM");
    let seen: Seen = Arc::default();
    let data = web::Data::new(seen.clone());
    let tls = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .expect("server TLS config");
    let up = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .default_service(web::to(record))
    })
    .workers(1)
    .bind_rustls_0_23("127.0.0.1:0", tls)
    .expect("bind HTTPS upstream");
    let port = up.addrs()[0].port();
    actix_web::rt::spawn(up.run());
    (port, seen)
}

/// Proxy settings routing `/v1/chat/completions` to the HTTPS upstream on `port`.
fn proxy_config(port: u16, ca_file: Option<std::path::PathBuf>) -> ServeConfig {
    let mut cfg = ServeConfig::default();
    cfg.proxy
        .upstreams
        .insert("secure".into(), format!("https://localhost:{port}"));
    cfg.proxy.openai = Some("secure".into());
    cfg.proxy.ca_file = ca_file;
    cfg
}

fn chat_body() -> String {
    json!({
        "model": "gpt-x",
        "messages": [
            {"role": "user", "content": "why did it fail?"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "logs", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": common::tool_log(3)}
        ]
    })
    .to_string()
}

async fn chat(proxy: &common::Served, body: String) -> (u16, Value) {
    let mut r = awc::Client::default()
        .post(common::url(proxy, "/v1/chat/completions"))
        .insert_header(("authorization", "Bearer sk-tls-test"))
        .insert_header(("content-type", "application/json"))
        .send_body(body)
        .await
        .expect("proxy answers");
    let status = r.status().as_u16();
    (status, r.json().await.expect("JSON answer"))
}

/// The test PKI in `dir` (`ca.pem` written there), or None after saying loudly why not.
fn pki_or_skip(dir: &std::path::Path) -> Option<TestPki> {
    match test_pki(dir) {
        Ok(pki) => Some(pki),
        Err(why) => {
            eprintln!("SKIPPED: no test certificate (openssl: {why}); HTTPS was not checked");
            None
        }
    }
}

#[actix_web::test]
async fn proxy_round_trips_through_an_https_upstream_it_trusts() {
    let dir = tempfile::tempdir().unwrap();
    let Some(pki) = pki_or_skip(dir.path()) else {
        return;
    };
    CertificateDer::from_pem_slice(&pki.ca).expect("CA PEM");
    let (port, seen) = https_upstream(&pki);
    // the proxy trusts the test CA through its own setting, on top of the webpki roots
    let proxy = common::serve(proxy_config(port, Some(dir.path().join("ca.pem"))));

    let body = chat_body();
    let (status, v) = chat(&proxy, body.clone()).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v, json!({"id": "tls-1", "scheme": "https"}));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "the HTTPS upstream got the request once");
    assert_eq!(seen[0].0, "Bearer sk-tls-test");
    let sent: Value = serde_json::from_slice(&seen[0].1).expect("forwarded JSON");
    assert!(
        seen[0].1.len() < body.len(),
        "the tool result was compressed"
    );
    assert_eq!(sent["messages"][0]["content"], "why did it fail?");
}

#[actix_web::test]
async fn without_the_ca_file_the_private_upstream_is_refused_with_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let Some(pki) = pki_or_skip(dir.path()) else {
        return;
    };
    let other = tempfile::tempdir().unwrap();
    let Some(_) = pki_or_skip(other.path()) else {
        return;
    };
    let (port, seen) = https_upstream(&pki);
    for (case, ca_file) in [
        ("webpki roots only", None),
        ("another CA", Some(other.path().join("ca.pem"))),
    ] {
        let proxy = common::serve(proxy_config(port, ca_file));
        let (status, v) = chat(&proxy, chat_body()).await;
        assert_eq!(status, 502, "{case}: {v}");
        assert_eq!(v["error"]["kind"], "upstream", "{case}: {v}");
        proxy.handle.stop(false).await;
    }
    assert!(
        seen.lock().unwrap().is_empty(),
        "no request reached the untrusted upstream"
    );
}

#[actix_web::test]
async fn an_unusable_ca_file_stops_the_service_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate\n").unwrap();
    let mut cfg = proxy_config(1, Some(garbage));
    cfg.listen = "127.0.0.1:0".into();
    let state = kompress_serve::state(cfg, common::pipeline()).expect("state");
    let err = kompress_serve::bind(state).err().expect("refuses to start");
    assert!(err.to_string().contains("proxy.ca_file"), "{err}");

    let missing = ServeConfig::from_toml("[proxy]\nca_file = \"/nonexistent/kompress-ca.pem\"\n")
        .unwrap_err();
    assert!(missing.to_string().contains("proxy.ca_file"), "{missing}");
}

#[actix_web::test]
async fn a_redirect_from_an_https_upstream_is_refused_and_never_followed() {
    let dir = tempfile::tempdir().unwrap();
    let Some(pki) = pki_or_skip(dir.path()) else {
        return;
    };
    let (port, seen) = https_upstream(&pki);
    let (other, other_log) = common::fake_upstream();
    let proxy = common::serve(proxy_config(port, Some(dir.path().join("ca.pem"))));
    let locations = [
        format!("https://localhost:{port}/steal"),
        format!("https://127.0.0.1:{port}/steal"),
        format!("{other}/steal"),
        "/steal".to_string(),
    ];
    for loc in &locations {
        let mut r = awc::Client::builder()
            .disable_redirects()
            .finish()
            .post(common::url(
                &proxy,
                &format!("/v1/chat/completions?loc={loc}"),
            ))
            .insert_header(("authorization", "Bearer sk-tls-test"))
            .send_body(chat_body())
            .await
            .expect("proxy answers");
        let v: Value = r.json().await.expect("JSON answer");
        assert_eq!(r.status(), 502, "{loc}: {v}");
        assert_eq!(v["error"]["kind"], "upstream_redirect", "{loc}: {v}");
        assert!(r.headers().get("location").is_none(), "{loc}");
    }
    let got = seen.lock().unwrap().len();
    assert_eq!(got, locations.len(), "one request a case, none to /steal");
    assert!(
        other_log.lock().unwrap().is_empty(),
        "the other server got nothing"
    );
}
