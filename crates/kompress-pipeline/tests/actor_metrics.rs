//! Per-actor metrics: every message a role handles is timed once, and the queue depths and the
//! in-flight slots go back to zero when the work is done.

use kompress_core::{CompressionConfig, Format};
use kompress_pipeline::{ActorKind, CompressRequest, Pipeline, PipelineSettings};

fn log(seed: usize) -> String {
    let mut s = String::new();
    for i in 0..120 {
        if i == 60 {
            s.push_str(&format!(
                "ERROR worker-{seed}: connection refused (os error 111) at 10.0.3.7:5432\n"
            ));
        }
        s.push_str(&format!(
            "2026-11-25T10:00:{:02}Z INFO worker-{} heartbeat ok, nothing is waiting in the queue and the scheduler is idle run={seed}\n",
            i % 60,
            i % 4
        ));
    }
    s
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn pipeline() -> Pipeline {
    Pipeline::start(PipelineSettings {
        workers: 2,
        max_inflight: 8,
        ..Default::default()
    })
    .expect("pipeline starts")
}

/// Messages one compressed text sends to each role: one each. The floor is visited once, to
/// scan; the gate widens its own decision with the floor's mask (issue 16).
fn per_text(_actor: ActorKind) -> u64 {
    1
}

#[test]
fn every_actor_counts_each_message_once_and_depths_return_to_zero() {
    let p = pipeline();
    let n = 12;
    let outputs = runtime().block_on(futures::future::join_all((0..n).map(|i| {
        p.compress(CompressRequest {
            transcript_id: format!("t{i}"),
            format: Format::Text,
            input: log(i),
            config: CompressionConfig::default(),
        })
    })));
    for out in outputs {
        let out = out.expect("compresses");
        assert!(out.stats.segments_compressed == 1, "{:?}", out.stats);
    }
    let m = p.metrics();
    for actor in ActorKind::ALL {
        let h = m.latency(actor);
        assert_eq!(
            h.count,
            per_text(actor) * n as u64,
            "{} handled {} messages",
            actor.name(),
            h.count
        );
        assert_eq!(
            h.cumulative.last().copied(),
            Some(h.count),
            "{}: nothing takes 5 s",
            actor.name()
        );
        assert_eq!(m.queue_depth(actor), 0, "{} queue drained", actor.name());
    }
    assert_eq!(p.inflight_in_use(), 0);
    assert_eq!(p.inflight_capacity(), 8);
}

#[test]
fn explain_runs_through_the_same_metered_actors() {
    let p = pipeline();
    let ex = runtime()
        .block_on(p.explain(&log(1), &CompressionConfig::default()))
        .expect("explains");
    assert!(ex.micros.total > 0);
    let m = p.metrics();
    // the gate runs twice: with the floor's forced lines and without (the model alone)
    for (actor, want) in [
        (ActorKind::Tokenizer, 1),
        (ActorKind::Pruner, 1),
        (ActorKind::Floor, 1),
        (ActorKind::Gate, 2),
        (ActorKind::Rewriter, 1),
    ] {
        assert_eq!(m.latency(actor).count, want, "{}", actor.name());
        assert_eq!(m.queue_depth(actor), 0, "{}", actor.name());
    }
}

#[test]
fn a_request_holds_an_inflight_slot_only_while_it_runs() {
    let p = pipeline();
    let rt = runtime();
    let fut = p.compress(CompressRequest {
        transcript_id: "t".into(),
        format: Format::Text,
        input: log(2),
        config: CompressionConfig::default(),
    });
    rt.block_on(async {
        futures::pin_mut!(fut);
        // first poll takes the slot and sends to the tokenizer
        let polled = futures::poll!(fut.as_mut());
        if polled.is_pending() {
            assert_eq!(p.inflight_in_use(), 1);
            fut.await.expect("compresses");
        }
    });
    assert_eq!(p.inflight_in_use(), 0);
}
