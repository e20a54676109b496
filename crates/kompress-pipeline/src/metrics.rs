//! [`PipelineMetrics`]: what each actor measures about its own work, lock-free. Every message
//! sent to a role carries a [`Meter`]: made when the message is sent (the role's queue depth
//! goes up), fed the handler's own time when the handler has run, dropped when the handler is
//! done or the message is thrown away (the depth goes down). Read at any time, from any thread,
//! e.g. by a Prometheus scrape.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

/// The roles that run as actors, in pipeline order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActorKind {
    Tokenizer,
    Pruner,
    Floor,
    Gate,
    Rewriter,
}

impl ActorKind {
    pub const ALL: [ActorKind; 5] = [
        ActorKind::Tokenizer,
        ActorKind::Pruner,
        ActorKind::Floor,
        ActorKind::Gate,
        ActorKind::Rewriter,
    ];

    /// Lower-case name, used as a metric label.
    pub fn name(self) -> &'static str {
        match self {
            ActorKind::Tokenizer => "tokenizer",
            ActorKind::Pruner => "pruner",
            ActorKind::Floor => "floor",
            ActorKind::Gate => "gate",
            ActorKind::Rewriter => "rewriter",
        }
    }
}

/// Upper bounds of the latency buckets in microseconds (a handler takes from a few µs to
/// hundreds of ms with a model on the CPU).
pub const BUCKET_MICROS: [u64; 16] = [
    10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000,
    1_000_000, 5_000_000,
];

/// A latency histogram of atomics: one slot per bucket plus one past the last bound.
#[derive(Debug, Default)]
pub struct LatencyHistogram {
    slots: [AtomicU64; BUCKET_MICROS.len() + 1],
    sum_micros: AtomicU64,
}

/// A consistent-enough copy of a [`LatencyHistogram`] for rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistogramSnapshot {
    /// `cumulative[i]`: observations of at most `BUCKET_MICROS[i]` µs.
    pub cumulative: [u64; BUCKET_MICROS.len()],
    /// All observations (the `+Inf` bucket).
    pub count: u64,
    pub sum_micros: u64,
}

impl LatencyHistogram {
    pub fn observe(&self, took: Duration) {
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let slot = BUCKET_MICROS.partition_point(|&b| b < us);
        self.slots[slot].fetch_add(1, Relaxed);
        self.sum_micros.fetch_add(us, Relaxed);
    }

    pub fn snapshot(&self) -> HistogramSnapshot {
        let mut cumulative = [0u64; BUCKET_MICROS.len()];
        let mut running = 0u64;
        for (c, s) in cumulative.iter_mut().zip(&self.slots) {
            running += s.load(Relaxed);
            *c = running;
        }
        // the count is the sum of the slots, so `+Inf` always equals `_count`
        let count = running + self.slots[BUCKET_MICROS.len()].load(Relaxed);
        HistogramSnapshot {
            cumulative,
            count,
            sum_micros: self.sum_micros.load(Relaxed),
        }
    }
}

#[derive(Debug, Default)]
struct ActorStats {
    latency: LatencyHistogram,
    /// Messages sent to the role and not yet done (waiting in the mailbox or being handled).
    depth: AtomicI64,
}

/// Per-actor handling time and queue depth of one [`crate::Pipeline`].
#[derive(Debug, Default)]
pub struct PipelineMetrics {
    actors: [ActorStats; ActorKind::ALL.len()],
}

impl PipelineMetrics {
    fn of(&self, actor: ActorKind) -> &ActorStats {
        &self.actors[actor as usize]
    }

    /// How long the role's handler took per message (for the batching pruner: the batch that
    /// scored the message).
    pub fn latency(&self, actor: ActorKind) -> HistogramSnapshot {
        self.of(actor).latency.snapshot()
    }

    /// Messages sent to the role that its handler has not finished yet.
    pub fn queue_depth(&self, actor: ActorKind) -> u64 {
        self.of(actor).depth.load(Relaxed).max(0) as u64
    }

    /// Counts one message on its way to `actor`; the returned meter travels with it.
    pub fn meter(self: &Arc<Self>, actor: ActorKind) -> Meter {
        self.of(actor).depth.fetch_add(1, Relaxed);
        Meter {
            metrics: self.clone(),
            actor,
        }
    }
}

/// Travels with one message: [`record`](Meter::record) the handler's time, drop when done.
#[derive(Debug)]
pub struct Meter {
    metrics: Arc<PipelineMetrics>,
    actor: ActorKind,
}

impl Meter {
    pub fn record(&self, took: Duration) {
        self.metrics.of(self.actor).latency.observe(took);
    }
}

impl Drop for Meter {
    fn drop(&mut self) {
        self.metrics.of(self.actor).depth.fetch_sub(1, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_the_count_includes_the_overflow() {
        let h = LatencyHistogram::default();
        h.observe(Duration::from_micros(10));
        h.observe(Duration::from_micros(11));
        h.observe(Duration::from_secs(60));
        let s = h.snapshot();
        assert_eq!(s.cumulative[0], 1, "10 µs is inside the 10 µs bucket");
        assert_eq!(s.cumulative[1], 2);
        assert_eq!(*s.cumulative.last().unwrap(), 2);
        assert_eq!(s.count, 3);
        assert_eq!(s.sum_micros, 60_000_021);
    }

    #[test]
    fn a_meter_holds_one_unit_of_depth_until_dropped() {
        let m = Arc::new(PipelineMetrics::default());
        let a = m.meter(ActorKind::Gate);
        let b = m.meter(ActorKind::Gate);
        assert_eq!(m.queue_depth(ActorKind::Gate), 2);
        assert_eq!(m.queue_depth(ActorKind::Pruner), 0);
        a.record(Duration::from_micros(5));
        drop(a);
        drop(b);
        assert_eq!(m.queue_depth(ActorKind::Gate), 0);
        assert_eq!(m.latency(ActorKind::Gate).count, 1);
    }
}
