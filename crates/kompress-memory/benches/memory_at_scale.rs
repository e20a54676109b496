//! Writes/s and recall latency (by handle, by full-text query) at scale.
//!
//!     cargo bench -p kompress-memory --bench memory_at_scale
//!
//! Env: KOMPRESS_BENCH_RECORDS (default 1000000), KOMPRESS_BENCH_DB (database file; default a
//! temporary one, removed afterwards; an existing file is topped up), KOMPRESS_BENCH_LOOKUPS
//! (default 2000), KOMPRESS_BENCH_WRITERS (default 2), KOMPRESS_BENCH_BATCH (default 500).

use std::path::PathBuf;

use kompress_memory::bench::{run, BenchSettings};

fn env_usize(name: &str, default: usize) -> anyhow::Result<usize> {
    match std::env::var(name) {
        Ok(v) => Ok(v
            .parse()
            .map_err(|e| anyhow::anyhow!("{name}={v:?}: {e}"))?),
        Err(_) => Ok(default),
    }
}

fn main() -> anyhow::Result<()> {
    // `cargo test --benches` runs bench targets with `--bench` absent: keep that quick.
    let full = std::env::args().any(|a| a == "--bench");
    let records = env_usize(
        "KOMPRESS_BENCH_RECORDS",
        if full { 1_000_000 } else { 2_000 },
    )?;
    let tmp = tempfile::tempdir()?;
    let db_path = std::env::var("KOMPRESS_BENCH_DB")
        .map(PathBuf::from)
        .unwrap_or_else(|_| tmp.path().join("bench.db"));
    let settings = BenchSettings {
        records,
        batch: env_usize("KOMPRESS_BENCH_BATCH", 500)?,
        writers: env_usize("KOMPRESS_BENCH_WRITERS", 2)?,
        lookups: env_usize("KOMPRESS_BENCH_LOOKUPS", if full { 2_000 } else { 100 })?,
        tenants: 10,
        db_path,
    };
    eprintln!(
        "filling {} to {records} records …",
        settings.db_path.display()
    );
    let report = run(&settings)?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
