//! Speed and memory: latency per pipeline stage (the plain functions in
//! `kompress_pipeline::stages`), throughput against a measured memcpy bandwidth, and peak RSS
//! versus input size (measured in a child process per size).

use std::time::Instant;

use kompress_core::CompressionConfig;
use kompress_floor::Floor;
use kompress_pipeline::stages::{self, Stage};
use kompress_stat::StatPruner;
use serde::{Deserialize, Serialize};

use crate::systems::splitmix;

/// A deterministic log-like text of about `bytes` bytes: timestamped INFO/DEBUG lines with ids
/// and numbers, repeated templates, and now and then a WARN, an ERROR and a short stack trace.
pub fn generate_log(bytes: usize, seed: u64) -> String {
    const COMPONENTS: [&str; 6] = [
        "http.server",
        "db.pool",
        "scheduler",
        "cache",
        "auth",
        "worker",
    ];
    const MSGS: [&str; 6] = [
        "request handled path=/api/v1/items/{} status=200 in {}ms",
        "acquired connection id={} pool_size=16 waiters={}",
        "job {} finished, next run in {}s",
        "miss key=user:{} ttl={}",
        "token refreshed for usr_{} expires_in={}",
        "processed batch {} of {} records",
    ];
    let mut s = seed;
    let mut out = String::with_capacity(bytes + 256);
    let mut i: u64 = 0;
    while out.len() < bytes {
        let r = splitmix(&mut s);
        let (h, m, sec, ms) = (
            (i / 3_600_000) % 24,
            (i / 60_000) % 60,
            (i / 1000) % 60,
            i % 1000,
        );
        let k = (r % 6) as usize;
        let (a, b) = ((r >> 8) % 100_000, (r >> 32) % 997);
        let level = match r % 200 {
            0 => "ERROR",
            1..=3 => "WARN",
            4..=60 => "DEBUG",
            _ => "INFO",
        };
        let msg = MSGS[k]
            .replacen("{}", &a.to_string(), 1)
            .replacen("{}", &b.to_string(), 1);
        out.push_str(&format!(
            "2026-11-25T{h:02}:{m:02}:{sec:02}.{ms:03}Z {level:5} [{}] {msg}\n",
            COMPONENTS[k]
        ));
        if level == "ERROR" {
            out.push_str(&format!(
                "java.lang.IllegalStateException: pool exhausted after {b} retries (0x{a:08x})\n"
            ));
            for f in 0..4 {
                out.push_str(&format!(
                    "\tat com.example.{}.Handler.run(Handler.java:{})\n",
                    COMPONENTS[(k + f) % 6],
                    40 + f * 7
                ));
            }
        }
        i += 37 + r % 500;
    }
    out
}

/// Median time of one stage over repeated runs, with its throughput.
#[derive(Debug, Clone, Serialize)]
pub struct StageTime {
    pub stage: String,
    pub median_us: f64,
    pub mb_per_s: f64,
    pub mtokens_per_s: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct StageReport {
    pub input: String,
    pub bytes: usize,
    pub tokens: usize,
    pub stages: Vec<StageTime>,
    /// Bytes the gate reads and writes per token (logits, span logits, floor bits, p, keep).
    pub gate_bytes_per_token: f64,
    pub gate_gb_per_s: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Times tokenize, prune, floor, gate and rewrite on `text`, `reps` times each.
pub fn time_stages(name: &str, text: &str, reps: usize) -> StageReport {
    let floor = Floor::embedded_default();
    let mut pruner = StatPruner::default();
    let cfg = CompressionConfig::default();
    let mut t: [Vec<f64>; 6] = Default::default();
    let mut ntok = 0;
    for _ in 0..reps.max(1) {
        // the product's own stage order, each stage timed by the observer
        let (doc, r) = stages::run_observed(text, &mut pruner, &floor, &cfg, &mut |stage, took| {
            let i = match stage {
                Stage::Tokenize => 0,
                Stage::Prune => 1,
                Stage::Floor => 2,
                Stage::Decide => 3,
                Stage::Rewrite => 4,
            };
            t[i].push(took.as_secs_f64());
        })
        .expect("the statistical pruner does not fail");
        let total: f64 = t.iter().take(5).map(|v| v[v.len() - 1]).sum();
        t[5].push(total);
        ntok = doc.tokens.len();
        std::hint::black_box(r.text.len());
    }
    let names = [
        "tokenize",
        "prune (stat)",
        "floor",
        "gate",
        "rewrite",
        "total",
    ];
    let stages: Vec<StageTime> = names
        .iter()
        .zip(t)
        .map(|(n, v)| {
            let s = median(v).max(1e-9);
            StageTime {
                stage: n.to_string(),
                median_us: s * 1e6,
                mb_per_s: text.len() as f64 / s / 1e6,
                mtokens_per_s: ntok as f64 / s / 1e6,
            }
        })
        .collect();
    let gate_bytes_per_token = 4.0 + 4.0 + 4.0 + 1.0 + 1.0 / 8.0;
    let gate_s = stages[3].median_us / 1e6;
    StageReport {
        input: name.to_string(),
        bytes: text.len(),
        tokens: ntok,
        stages,
        gate_bytes_per_token,
        gate_gb_per_s: gate_bytes_per_token * ntok as f64 / gate_s / 1e9,
    }
}

/// memcpy bandwidth in GB/s (bytes read + bytes written per second), best of a few copies of a
/// buffer far larger than the caches.
pub fn memcpy_gb_per_s() -> f64 {
    let n = 64 << 20;
    let src = vec![1u8; n];
    let mut dst = vec![0u8; n];
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t0 = Instant::now();
        dst.copy_from_slice(&src);
        std::hint::black_box(&dst);
        best = best.min(t0.elapsed().as_secs_f64());
    }
    2.0 * n as f64 / best / 1e9
}

/// VmHWM (peak resident set) of this process in KiB, from /proc/self/status.
pub fn vm_hwm_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// One RSS point.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RssPoint {
    pub input_bytes: usize,
    /// Peak RSS once the input is built, before compressing.
    pub before_kib: u64,
    /// Peak RSS after compressing it.
    pub peak_kib: u64,
    pub ms: f64,
}

/// The child side: build an input of `bytes`, compress it in-process, report peak RSS.
pub fn rss_child(bytes: usize) -> Result<RssPoint, crate::EvalError> {
    let text = generate_log(bytes, 7);
    let before_kib = vm_hwm_kib().unwrap_or(0);
    let floor = Floor::embedded_default();
    let mut pruner = StatPruner::default();
    let t0 = Instant::now();
    let (_, r) =
        stages::compress_text_direct(&text, &mut pruner, &floor, &CompressionConfig::default())
            .map_err(|source| crate::EvalError::Compress {
                id: format!("generated-{bytes}"),
                source,
            })?;
    let ms = t0.elapsed().as_secs_f64() * 1e3;
    std::hint::black_box(r.text.len());
    Ok(RssPoint {
        input_bytes: text.len(),
        before_kib,
        peak_kib: vm_hwm_kib().unwrap_or(0),
        ms,
    })
}

/// Runs `exe <prefix...> --rss-child BYTES` and reads the [`RssPoint`] it prints as JSON.
pub fn rss_point_in_child(
    exe: &std::path::Path,
    prefix: &[&str],
    bytes: usize,
) -> Result<RssPoint, crate::EvalError> {
    let out = std::process::Command::new(exe)
        .args(prefix)
        .args(["--rss-child", &bytes.to_string()])
        .output()
        .map_err(|e| crate::EvalError::io(exe, e))?;
    if !out.status.success() {
        return Err(crate::EvalError::config(
            "rss_child",
            String::from_utf8_lossy(&out.stderr).to_string(),
        ));
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}
