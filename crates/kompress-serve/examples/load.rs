//! Bounded load test:
//! `cargo run --release -p kompress-serve --example load -- [clients] [requests] [base-url] [seed]`.
//! Against `base-url` (a running `kompress serve`, so its RSS is its own; see
//! scripts/serve/load.sh), or else a service started in-process on 127.0.0.1: `clients`
//! concurrent clients send `requests` compress requests in total (each a different 220-line
//! service log, so the prefix cache does not answer them), then the same again with repeated
//! texts (cache hits). Prints p50, p99, max, requests/s, errors and 429s per phase. Give each
//! run against the same service its own `seed` (texts are numbered from it), or the second
//! run's "distinct" texts are cache hits.

use std::time::{Duration, Instant};

use kompress_pipeline::{Pipeline, PipelineSettings};
use kompress_serve::ServeConfig;

fn log(seed: usize) -> String {
    let mut s = String::new();
    for i in 0..220 {
        if i == 110 {
            s.push_str(&format!(
                "2026-11-25T10:01:50Z ERROR db-pool-{seed}: connection refused at 10.0.3.7:5432\n"
            ));
        }
        s.push_str(&format!(
            "2026-11-25T10:{:02}:{:02}Z INFO worker-{} heartbeat ok queue=0 run={seed}\n",
            i / 60,
            i % 60,
            i % 4
        ));
    }
    s
}

async fn phase(
    name: &str,
    url: &str,
    clients: usize,
    requests: usize,
    distinct: bool,
    seed0: usize,
) {
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let url = url.to_string();
        tasks.push(actix_web::rt::spawn(async move {
            let client = awc::Client::builder()
                .timeout(Duration::from_secs(60))
                .finish();
            let (mut lat, mut errs, mut busy) = (Vec::new(), 0usize, 0usize);
            for i in (c..requests).step_by(clients) {
                let seed = seed0 + if distinct { i } else { i % 8 };
                let body = serde_json::json!({"text": log(seed)}).to_string();
                let t = Instant::now();
                match client
                    .post(&url)
                    .insert_header(("content-type", "application/json"))
                    .send_body(body)
                    .await
                {
                    Ok(mut r) => {
                        let _ = r.body().limit(1 << 24).await;
                        match r.status().as_u16() {
                            200 => lat.push(t.elapsed()),
                            429 => busy += 1,
                            _ => errs += 1,
                        }
                    }
                    Err(_) => errs += 1,
                }
            }
            (lat, errs, busy)
        }));
    }
    let (mut lat, mut errs, mut busy) = (Vec::new(), 0, 0);
    for t in tasks {
        let (l, e, b) = t.await.expect("client task");
        lat.extend(l);
        errs += e;
        busy += b;
    }
    let wall = t0.elapsed();
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "{name}: clients={clients} ok={} errors={errs} busy429={busy} wall={:.2}s rps={:.0} p50={:.1}ms p99={:.1}ms max={:.1}ms",
        lat.len(),
        wall.as_secs_f64(),
        lat.len() as f64 / wall.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        lat.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
}

fn main() -> anyhow::Result<()> {
    let clients: usize = std::env::args().nth(1).map_or(Ok(50), |s| s.parse())?;
    let requests: usize = std::env::args().nth(2).map_or(Ok(2000), |s| s.parse())?;
    let sample = serde_json::json!({"text": log(0)}).to_string();
    println!(
        "body: {{\"text\": <{}-line service log>}}, {} bytes",
        log(0).lines().count(),
        sample.len()
    );
    let seed0: usize = std::env::args().nth(4).map_or(Ok(0), |s| s.parse())?;
    if let Some(base) = std::env::args().nth(3) {
        let url = format!("{}/v1/compress", base.trim_end_matches('/'));
        actix_web::rt::System::new().block_on(async move {
            let (n, c) = (requests, clients);
            phase("distinct texts (pipeline)", &url, c, n, true, seed0).await;
            phase("repeated texts (prefix cache)", &url, c, n, false, seed0).await;
        });
        return Ok(());
    }
    actix_web::rt::System::new().block_on(async move {
        let cfg = ServeConfig {
            listen: "127.0.0.1:0".into(),
            max_inflight: 256,
            ..Default::default()
        };
        let pipeline = Pipeline::start(PipelineSettings::default())?;
        let bound = kompress_serve::bind(kompress_serve::state(cfg, pipeline)?)?;
        actix_web::rt::spawn(bound.server);
        let url = format!("http://{}/v1/compress", bound.addr);
        phase(
            "distinct texts (pipeline)",
            &url,
            clients,
            requests,
            true,
            0,
        )
        .await;
        phase(
            "repeated texts (prefix cache)",
            &url,
            clients,
            requests,
            false,
            0,
        )
        .await;
        bound.handle.stop(true).await;
        anyhow::Ok(())
    })
}
