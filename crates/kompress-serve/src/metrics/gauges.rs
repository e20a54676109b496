//! What `/metrics` reads at scrape time from the parts that own it: the pipeline's per-actor
//! histograms and queue depths, its in-flight slots, and the prefix cache's fill.

use std::fmt::Write;

use kompress_pipeline::metrics::BUCKET_MICROS;
use kompress_pipeline::{ActorKind, Pipeline};

use crate::stable::CacheUsage;

/// The scrape-time inputs of [`super::Metrics::render`].
pub struct Scrape<'a> {
    pub pipeline: Option<&'a Pipeline>,
    pub cache: CacheUsage,
}

fn gauge(o: &mut String, name: &str, help: &str, v: impl std::fmt::Display) {
    let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
}

pub(super) fn render_cache(o: &mut String, c: &CacheUsage) {
    gauge(
        o,
        "kompress_prefix_cache_entries",
        "Compressed messages held by the prefix cache.",
        c.entries,
    );
    gauge(
        o,
        "kompress_prefix_cache_bytes",
        "Bytes accounted to the prefix cache (keys, results, eviction records).",
        c.bytes,
    );
    gauge(
        o,
        "kompress_prefix_cache_max_bytes",
        "Byte budget of the prefix cache.",
        c.max_bytes,
    );
    gauge(
        o,
        "kompress_prefix_cache_max_entries",
        "Entry bound of the prefix cache.",
        c.max_entries,
    );
    let _ = writeln!(
        o,
        "# HELP kompress_prefix_cache_evictions_total Entries dropped to stay within a bound.\n# TYPE kompress_prefix_cache_evictions_total counter\nkompress_prefix_cache_evictions_total {}",
        c.evictions
    );
}

pub(super) fn render_pipeline(o: &mut String, p: &Pipeline) {
    let m = p.metrics();
    let _ = writeln!(
        o,
        "# HELP kompress_actor_seconds Handling time per message of each pipeline actor (pruner: the batch that scored the message).\n# TYPE kompress_actor_seconds histogram"
    );
    for actor in ActorKind::ALL {
        let h = m.latency(actor);
        let a = actor.name();
        for (c, b) in h.cumulative.iter().zip(BUCKET_MICROS) {
            let le = b as f64 / 1e6;
            let _ = writeln!(
                o,
                "kompress_actor_seconds_bucket{{actor=\"{a}\",le=\"{le}\"}} {c}"
            );
        }
        let _ = writeln!(
            o,
            "kompress_actor_seconds_bucket{{actor=\"{a}\",le=\"+Inf\"}} {}",
            h.count
        );
        let _ = writeln!(
            o,
            "kompress_actor_seconds_sum{{actor=\"{a}\"}} {}",
            h.sum_micros as f64 / 1e6
        );
        let _ = writeln!(
            o,
            "kompress_actor_seconds_count{{actor=\"{a}\"}} {}",
            h.count
        );
    }
    let _ = writeln!(
        o,
        "# HELP kompress_actor_queue_depth Messages sent to each pipeline actor and not yet handled (waiting or running).\n# TYPE kompress_actor_queue_depth gauge"
    );
    for actor in ActorKind::ALL {
        let _ = writeln!(
            o,
            "kompress_actor_queue_depth{{actor=\"{}\"}} {}",
            actor.name(),
            m.queue_depth(actor)
        );
    }
    gauge(
        o,
        "kompress_pipeline_inflight",
        "Pipeline in-flight slots in use.",
        p.inflight_in_use(),
    );
    gauge(
        o,
        "kompress_pipeline_inflight_capacity",
        "Pipeline in-flight slots in all.",
        p.inflight_capacity(),
    );
}
