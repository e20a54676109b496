//! With the `tls` feature: the proxy forwards to an HTTPS upstream. A fake upstream serves
//! HTTPS on loopback with a certificate from a throwaway CA made for this test (`openssl`),
//! the proxy's HTTP client trusts exactly that CA, and a request round-trips: tool result
//! compressed, auth header forwarded, upstream response returned.
//! Run: `cargo test -p kompress-serve --features tls --test tls`.
#![cfg(feature = "tls")]

mod common;

use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{json, Value};

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
    HttpResponse::Ok().json(json!({"id": "tls-1", "scheme": "https"}))
}

#[actix_web::test]
async fn proxy_round_trips_through_an_https_upstream_it_trusts() {
    let dir = tempfile::tempdir().unwrap();
    let pki = match test_pki(dir.path()) {
        Ok(pki) => pki,
        Err(why) => {
            eprintln!("SKIPPED: no test certificate (openssl: {why}); HTTPS was not checked");
            return;
        }
    };
    let ca = CertificateDer::from_pem_slice(&pki.ca).expect("CA PEM");
    let cert = CertificateDer::from_pem_slice(&pki.cert).expect("certificate PEM");
    let key = PrivateKeyDer::from_pem_slice(&pki.key).expect("key PEM");

    // the HTTPS upstream
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
    let up_port = up.addrs()[0].port();
    actix_web::rt::spawn(up.run());

    // the proxy, whose HTTP client trusts exactly the test certificate
    let mut cfg = kompress_serve::ServeConfig::default();
    cfg.proxy
        .upstreams
        .insert("secure".into(), format!("https://localhost:{up_port}"));
    cfg.proxy.openai = Some("secure".into());
    let state = kompress_serve::state(cfg, common::pipeline()).expect("state");
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca).expect("trust the test CA");
    let client_tls = Arc::new(
        rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    );
    let proxy = HttpServer::new(move || {
        let client = awc::Client::builder()
            .connector(awc::Connector::new().rustls_0_23(client_tls.clone()))
            .finish();
        App::new()
            .app_data(state.clone())
            .app_data(client)
            .configure(kompress_serve::server::routes)
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .expect("bind proxy");
    let proxy_addr = proxy.addrs()[0];
    actix_web::rt::spawn(proxy.run());

    let body = json!({
        "model": "gpt-x",
        "messages": [
            {"role": "user", "content": "why did it fail?"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "logs", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": common::tool_log(3)}
        ]
    })
    .to_string();
    let mut r = awc::Client::default()
        .post(format!("http://{proxy_addr}/v1/chat/completions"))
        .insert_header(("authorization", "Bearer sk-tls-test"))
        .insert_header(("content-type", "application/json"))
        .send_body(body.clone())
        .await
        .expect("proxy answers");
    let status = r.status().as_u16();
    let v: Value = r.json().await.expect("JSON from the upstream");
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
