//! Which categories cost scan time: times the full default floor, then the floor with each
//! category disabled in turn, on the dev set texts (CPU time of this thread, so a busy
//! machine skews the figures less than wall time would).
//!
//! cargo run --release -p kompress-floor --example category_cost -- [DEV_JSONL]

use anyhow::{Context, Result};
use kompress_floor::Floor;

/// CPU seconds used by this thread so far (Linux; falls back to wall time elsewhere).
fn thread_cpu_secs(wall: &std::time::Instant) -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok();
    let ticks = stat.and_then(|s| {
        let after = s.rsplit_once(')')?.1;
        let f: Vec<&str> = after.split_whitespace().collect();
        Some(f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?)
    });
    ticks.map_or_else(|| wall.elapsed().as_secs_f64(), |t| t / 100.0)
}

fn mb_per_cpu_sec(floor: &Floor, texts: &[String], bytes: usize) -> f64 {
    let wall = std::time::Instant::now();
    let c0 = thread_cpu_secs(&wall);
    let mut rounds = 0;
    let mut n = 0usize;
    while rounds < 3 || thread_cpu_secs(&wall) - c0 < 1.5 {
        for t in texts {
            n += floor.scan(t).len();
        }
        rounds += 1;
    }
    std::hint::black_box(n);
    (bytes * rounds) as f64 / 1e6 / (thread_cpu_secs(&wall) - c0)
}

fn main() -> Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/data/dev.jsonl".into());
    let src = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    let texts: Vec<String> = src
        .lines()
        .map(|l| -> Result<String> {
            let v: serde_json::Value = serde_json::from_str(l)?;
            Ok(v["text"].as_str().context("text")?.to_string())
        })
        .collect::<Result<_>>()?;
    let bytes: usize = texts.iter().map(String::len).sum();
    let full = Floor::embedded_default();
    println!(
        "all categories: {:.1} MB/s (CPU)",
        mb_per_cpu_sec(&full, &texts, bytes)
    );
    let names: Vec<String> = full.categories().map(String::from).collect();
    for name in names {
        let f = Floor::from_toml(&format!("disable = [{name:?}]"))?;
        println!(
            "without {name:>15}: {:.1} MB/s",
            mb_per_cpu_sec(&f, &texts, bytes)
        );
    }
    Ok(())
}
