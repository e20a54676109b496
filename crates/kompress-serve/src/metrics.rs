//! Prometheus metrics, kept in atomics and rendered as text exposition format by `/metrics`,
//! with the pipeline's per-actor metrics and the prefix cache's fill read at scrape time
//! ([`gauges`]).

mod gauges;

pub use gauges::Scrape;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::Duration;

/// Latency bucket bounds in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, secs: f64) {
        for (c, b) in self.counts.iter_mut().zip(BUCKETS) {
            if secs <= b {
                *c += 1;
            }
        }
        self.count += 1;
        self.sum += secs;
    }
}

#[derive(Default)]
pub struct Metrics {
    pub tokens_in: AtomicU64,
    pub tokens_out: AtomicU64,
    pub bytes_in: AtomicU64,
    pub bytes_out: AtomicU64,
    pub floor_hits: AtomicU64,
    pub evictions: AtomicU64,
    /// Segments (messages, tool results) answered from the prefix cache.
    pub cache_hits: AtomicU64,
    /// Calls into the pipeline and the bytes they carried: the real compression work.
    pub pipeline_calls: AtomicU64,
    pub pipeline_bytes: AtomicU64,
    pub inflight: AtomicI64,
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    errors: Mutex<BTreeMap<String, u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
}

impl Metrics {
    pub fn request(&self, route: &str, status: u16, took: Duration) {
        *self
            .requests
            .lock()
            .expect("metrics lock")
            .entry((route.to_string(), status))
            .or_default() += 1;
        self.observe(route, took);
    }

    /// Latency of one stage or route (`route:/v1/compress`, `stage:pipeline`, `stage:upstream`).
    pub fn observe(&self, name: &str, took: Duration) {
        self.latency
            .lock()
            .expect("metrics lock")
            .entry(name.to_string())
            .or_default()
            .observe(took.as_secs_f64());
    }

    pub fn error(&self, kind: &str) {
        *self
            .errors
            .lock()
            .expect("metrics lock")
            .entry(kind.to_string())
            .or_default() += 1;
    }

    pub fn add_stats(
        &self,
        tokens_in: usize,
        tokens_out: usize,
        bytes_in: usize,
        bytes_out: usize,
        floor_hits: usize,
        evictions: usize,
    ) {
        self.tokens_in.fetch_add(tokens_in as u64, Relaxed);
        self.tokens_out.fetch_add(tokens_out as u64, Relaxed);
        self.bytes_in.fetch_add(bytes_in as u64, Relaxed);
        self.bytes_out.fetch_add(bytes_out as u64, Relaxed);
        self.floor_hits.fetch_add(floor_hits as u64, Relaxed);
        self.evictions.fetch_add(evictions as u64, Relaxed);
    }

    /// Prometheus text exposition format (version 0.0.4).
    pub fn render(&self, scrape: &Scrape) -> String {
        let cache_entries = scrape.cache.entries;
        let mut o = String::with_capacity(4096);
        let counter = |o: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
        };
        counter(
            &mut o,
            "kompress_tokens_in_total",
            "Word tokens of compressible text received.",
            self.tokens_in.load(Relaxed),
        );
        counter(
            &mut o,
            "kompress_tokens_out_total",
            "Word tokens of that text after compression.",
            self.tokens_out.load(Relaxed),
        );
        counter(
            &mut o,
            "kompress_bytes_in_total",
            "Request bytes compressed.",
            self.bytes_in.load(Relaxed),
        );
        counter(
            &mut o,
            "kompress_bytes_out_total",
            "Bytes after compression.",
            self.bytes_out.load(Relaxed),
        );
        counter(
            &mut o,
            "kompress_floor_hits_total",
            "Spans force-kept by the safety floor.",
            self.floor_hits.load(Relaxed),
        );
        counter(
            &mut o,
            "kompress_evictions_total",
            "Eviction records produced.",
            self.evictions.load(Relaxed),
        );
        counter(
            &mut o,
            "kompress_cache_hits_total",
            "Messages answered from the prefix cache.",
            self.cache_hits.load(Relaxed),
        );
        counter(
            &mut o,
            "kompress_pipeline_calls_total",
            "Messages run through the pipeline.",
            self.pipeline_calls.load(Relaxed),
        );
        counter(
            &mut o,
            "kompress_pipeline_bytes_total",
            "Bytes run through the pipeline.",
            self.pipeline_bytes.load(Relaxed),
        );
        let (tin, tout) = (self.tokens_in.load(Relaxed), self.tokens_out.load(Relaxed));
        let savings = if tin == 0 {
            0.0
        } else {
            1.0 - tout as f64 / tin as f64
        };
        let _ = writeln!(o, "# HELP kompress_token_savings_ratio Share of tokens removed so far.\n# TYPE kompress_token_savings_ratio gauge\nkompress_token_savings_ratio {savings:.6}");
        let _ = writeln!(o, "# HELP kompress_inflight_requests Requests being handled.\n# TYPE kompress_inflight_requests gauge\nkompress_inflight_requests {}", self.inflight.load(Relaxed));
        let _ = writeln!(o, "# HELP kompress_cache_entries Messages held by the prefix cache.\n# TYPE kompress_cache_entries gauge\nkompress_cache_entries {cache_entries}");
        let _ = writeln!(o, "# HELP kompress_requests_total Requests by route and status.\n# TYPE kompress_requests_total counter");
        for ((route, status), n) in self.requests.lock().expect("metrics lock").iter() {
            let _ = writeln!(
                o,
                "kompress_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        let _ = writeln!(
            o,
            "# HELP kompress_errors_total Errors by kind.\n# TYPE kompress_errors_total counter"
        );
        for (kind, n) in self.errors.lock().expect("metrics lock").iter() {
            let _ = writeln!(o, "kompress_errors_total{{kind=\"{kind}\"}} {n}");
        }
        let _ = writeln!(o, "# HELP kompress_latency_seconds Latency per route and per stage.\n# TYPE kompress_latency_seconds histogram");
        for (name, h) in self.latency.lock().expect("metrics lock").iter() {
            let (kind, value) = name.split_once(':').unwrap_or(("route", name));
            let labels = format!("{kind}=\"{value}\"");
            for (c, b) in h.counts.iter().zip(BUCKETS) {
                let _ = writeln!(
                    o,
                    "kompress_latency_seconds_bucket{{{labels},le=\"{b}\"}} {c}"
                );
            }
            let _ = writeln!(
                o,
                "kompress_latency_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(o, "kompress_latency_seconds_sum{{{labels}}} {}", h.sum);
            let _ = writeln!(o, "kompress_latency_seconds_count{{{labels}}} {}", h.count);
        }
        gauges::render_cache(&mut o, &scrape.cache);
        if let Some(p) = scrape.pipeline {
            gauges::render_pipeline(&mut o, p);
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_rendered() {
        let m = Metrics::default();
        m.observe("stage:pipeline", Duration::from_millis(3));
        m.request("/v1/compress", 200, Duration::from_millis(30));
        let text = m.render(&Scrape {
            pipeline: None,
            cache: crate::stable::CacheUsage::default(),
        });
        assert!(
            text.contains("kompress_latency_seconds_bucket{stage=\"pipeline\",le=\"0.005\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("kompress_latency_seconds_bucket{stage=\"pipeline\",le=\"0.0025\"} 0"),
            "{text}"
        );
        assert!(
            text.contains("kompress_requests_total{route=\"/v1/compress\",status=\"200\"} 1"),
            "{text}"
        );
    }
}
