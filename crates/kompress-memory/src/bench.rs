//! Scale benchmark: fill a SQLite store with synthetic log-like evictions, then time recall
//! by handle and by full-text query. The `memory_at_scale` bench and the CLI call [`run`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kompress_core::{content_hash, handle_for, Eviction, EvictionKind};
use serde::Serialize;

use crate::{MemoryConfig, MemoryError, MemoryRecord, MemoryStore, Result, SqliteStore};

#[derive(Debug, Clone)]
pub struct BenchSettings {
    /// Evictions stored before recall is timed.
    pub records: usize,
    /// Records per `put_batch`.
    pub batch: usize,
    /// Threads calling `put_batch` at once.
    pub writers: usize,
    /// Timed lookups of each kind.
    pub lookups: usize,
    pub tenants: usize,
    /// Database file (created; an existing one is reused and topped up).
    pub db_path: PathBuf,
}

#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub records: u64,
    pub fill_secs: f64,
    pub writes_per_sec: f64,
    pub handle_p50_us: f64,
    pub handle_p99_us: f64,
    pub fts_p50_us: f64,
    pub fts_p99_us: f64,
    pub fts_mean_hits: f64,
    pub db_bytes: u64,
}

/// Deterministic generator (SplitMix64), so every run stores the same records.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Skewed towards small values, like word frequencies in logs.
    fn skewed(&mut self, n: usize) -> usize {
        let a = self.below(n);
        let b = self.below(n);
        a.min(b)
    }
}

const SYLLABLES: [&str; 24] = [
    "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "zen", "dor", "pax", "qui", "bel", "cor",
    "fin", "gus", "hal", "jet", "mor", "nix", "pol", "rak", "sul", "tor",
];
const VOCAB: usize = 24 * 24 * 8;

fn word(i: usize) -> String {
    let (a, rest) = (i % 24, i / 24);
    let (b, c) = (rest % 24, rest / 24);
    format!("{}{}{}", SYLLABLES[a], SYLLABLES[b], c)
}

/// The `i`-th synthetic record: five log lines, about 400 bytes.
pub fn synthetic_record(i: usize, tenants: usize) -> Result<MemoryRecord> {
    let mut rng = Rng(i as u64);
    let mut text = String::with_capacity(480);
    for line in 0..5 {
        text.push_str(&format!(
            "2026-11-25T10:{:02}:{:02} INFO worker-{} {} {} {} job={} took {}ms {}\n",
            rng.below(60),
            rng.below(60),
            rng.below(16),
            word(rng.skewed(VOCAB)),
            word(rng.skewed(VOCAB)),
            word(rng.skewed(VOCAB)),
            i * 5 + line,
            rng.below(5000),
            word(rng.skewed(VOCAB)),
        ));
    }
    let start = (i % 100) as u64 * 1000;
    let eviction = Eviction {
        transcript_id: format!("bench-{}", i / 100),
        message_index: (i % 100) as u32,
        start,
        end: start + text.len() as u64,
        replacement: format!("[…5 lines, ref={}]\n", handle_for(start, &text)),
        handle: handle_for(start, &text),
        hash: content_hash(&text),
        original: text,
        decoded: None,
        kind: EvictionKind::Lines,
    };
    let tenant = format!("tenant-{}", i % tenants.max(1));
    MemoryRecord::new(&tenant, "bench", eviction, 1_764_000_000_000, None)
}

fn percentile_us(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[idx].as_secs_f64() * 1e6
}

/// Fills the store up to `records` and times recall.
pub fn run(settings: &BenchSettings) -> Result<BenchReport> {
    let mut config = MemoryConfig::sqlite(&settings.db_path);
    if let crate::BackendConfig::Sqlite { write_queue, .. } = &mut config.backend {
        *write_queue = 16;
    }
    let store = Arc::new(SqliteStore::open(&config)?);
    let have = store.stats()?.records as usize;
    let writers = settings.writers.max(1);
    let batch = settings.batch.max(1);
    let t0 = Instant::now();
    std::thread::scope(|s| -> Result<()> {
        let mut joins = Vec::new();
        for w in 0..writers {
            let store = Arc::clone(&store);
            joins.push(s.spawn(move || -> Result<()> {
                let mut next = have + w * batch;
                while next < settings.records {
                    let end = (next + batch).min(settings.records);
                    let recs = (next..end)
                        .map(|i| synthetic_record(i, settings.tenants))
                        .collect::<Result<Vec<_>>>()?;
                    store.put_batch(&recs)?;
                    next += writers * batch;
                }
                Ok(())
            }));
        }
        for j in joins {
            j.join().map_err(|_| MemoryError::WriterGone)??;
        }
        Ok(())
    })?;
    let fill = t0.elapsed();
    let written = settings.records.saturating_sub(have);
    let total = store.stats()?.records;

    let mut rng = Rng(0x5eed);
    let mut by_handle = Vec::with_capacity(settings.lookups);
    for _ in 0..settings.lookups {
        let rec = synthetic_record(rng.below(settings.records.max(1)), settings.tenants)?;
        let t = Instant::now();
        let got = store.get_by_handle(&rec.tenant, None, &rec.eviction.handle)?;
        by_handle.push(t.elapsed());
        if got.is_none() {
            return Err(MemoryError::InvalidRecord {
                field: "handle",
                reason: format!("bench record {} did not resolve", rec.eviction.handle),
            });
        }
    }
    let mut by_query = Vec::with_capacity(settings.lookups);
    let mut hits = 0usize;
    for _ in 0..settings.lookups {
        let tenant = format!("tenant-{}", rng.below(settings.tenants.max(1)));
        let query = format!("{} {}", word(rng.below(VOCAB)), word(rng.below(VOCAB)));
        let t = Instant::now();
        hits += store.search(&tenant, None, &query, 10)?.len();
        by_query.push(t.elapsed());
    }
    by_handle.sort();
    by_query.sort();
    let db_bytes = ["", "-wal"]
        .iter()
        .filter_map(|suffix| {
            let mut p = settings.db_path.clone().into_os_string();
            p.push(suffix);
            std::fs::metadata(p).ok().map(|m| m.len())
        })
        .sum();
    Ok(BenchReport {
        records: total,
        fill_secs: fill.as_secs_f64(),
        writes_per_sec: written as f64 / fill.as_secs_f64().max(1e-9),
        handle_p50_us: percentile_us(&by_handle, 0.50),
        handle_p99_us: percentile_us(&by_handle, 0.99),
        fts_p50_us: percentile_us(&by_query, 0.50),
        fts_p99_us: percentile_us(&by_query, 0.99),
        fts_mean_hits: hits as f64 / settings.lookups.max(1) as f64,
        db_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_bench_fills_and_resolves_every_sampled_handle() {
        let dir = std::env::temp_dir().join(format!("kmem-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let settings = BenchSettings {
            records: 3000,
            batch: 250,
            writers: 2,
            lookups: 50,
            tenants: 4,
            db_path: dir.join("bench.db"),
        };
        let report = run(&settings).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(report.records, 3000);
        assert!(report.writes_per_sec > 0.0);
        assert!(report.handle_p50_us <= report.handle_p99_us);
    }

    #[test]
    fn synthetic_records_are_deterministic() {
        assert_eq!(
            synthetic_record(7, 3).unwrap(),
            synthetic_record(7, 3).unwrap()
        );
        assert_ne!(
            synthetic_record(7, 3).unwrap().id,
            synthetic_record(8, 3).unwrap().id
        );
    }
}
