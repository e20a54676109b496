//! Cost of the per-actor measurement alone, per message: take a meter (queue depth up), read
//! the clock twice around the handler, record into the histogram, drop the meter (depth down).
//! Single thread, and 2 threads hitting the same actor's atomics (the worst case for sharing).
//! Run: `cargo bench -p kompress-pipeline --bench meter`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use kompress_pipeline::{ActorKind, PipelineMetrics};

const N: u64 = 2_000_000;

fn cycle(m: &Arc<PipelineMetrics>, n: u64) {
    for _ in 0..n {
        let meter = m.meter(black_box(ActorKind::Gate));
        let t = Instant::now();
        meter.record(black_box(t.elapsed()));
        drop(meter);
    }
}

fn ns_per_message(threads: u64) -> f64 {
    let m = Arc::new(PipelineMetrics::default());
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| cycle(&m, N));
        }
    });
    assert_eq!(m.latency(ActorKind::Gate).count, N * threads);
    t.elapsed().as_nanos() as f64 / N as f64
}

fn main() {
    for threads in [1, 2] {
        let mut runs: Vec<f64> = (0..7).map(|_| ns_per_message(threads)).collect();
        runs.sort_by(f64::total_cmp);
        println!(
            "meter cycle, {threads} thread(s) on one actor: median {:.1} ns per message (min {:.1}) of 7 runs of {N}",
            runs[3], runs[0]
        );
    }
}
