//! Crash and shutdown behaviour of the processor binary against the real broker: kill -9
//! mid-stream then restart (exactly-once and at-least-once), and SIGTERM draining.

mod common;

use std::time::Duration;

use common::*;
use kompress_kafka::Delivery;

const N: usize = 300;

async fn produce_inputs(b: &str, topic: &str, n: usize) {
    let inputs: Vec<(String, Vec<u8>)> = (0..n)
        .map(|i| (format!("k{i}"), envelope(i, 5).into_bytes()))
        .collect();
    produce(&producer(b), topic, &inputs).await;
}

/// Kills the processor with SIGKILL once outputs are flowing, restarts it, waits for the
/// whole input to be processed, returns the outputs as `read_committed` sees them.
async fn kill_and_restart(
    b: &str,
    t: &TestTopics,
    delivery: Delivery,
) -> Vec<rdkafka::message::OwnedMessage> {
    produce_inputs(b, &t.input, N).await;
    let mut cfg = config(b, t, delivery);
    cfg.processing.batch_max_messages = 20;
    let mut first = spawn_processor_bin(&cfg, 4);
    let (bb, out) = (b.to_string(), t.output.clone());
    wait_until("first outputs", Duration::from_secs(60), || {
        high_watermarks(&bb, &out) > 40
    })
    .await;
    first.kill().expect("SIGKILL");
    let _ = first.wait();
    eprintln!(
        "killed at output high watermark {}",
        high_watermarks(b, &t.output)
    );
    // Same instance id: the restarted processor fences the dead one's open transaction.
    let second = spawn_processor_bin(&cfg, 0);
    let (bb, out) = (b.to_string(), t.output.clone());
    // Read until every input's output is there: at least once, duplicates count towards a
    // record count, so wait for N distinct transcripts, not N records.
    let outs = tokio::task::spawn_blocking(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(90);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let outs = read_topic(&bb, &out, true, N, left);
            if outputs_by_transcript(&outs).len() >= N || left.is_zero() {
                return outs;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    })
    .await
    .unwrap();
    sigterm(&second);
    let (code, stats) = wait_child(second, Duration::from_secs(20));
    eprintln!("restarted processor: exit {code:?} {stats}");
    assert_eq!(code, Some(0));
    outs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_mid_stream_then_restart_gives_exactly_one_committed_output_per_input() {
    let Some(b) = bootstrap("kill9_exactly_once") else {
        return;
    };
    let t = make_topics(&b, "eos", 2, 1).await;
    let outs = kill_and_restart(&b, &t, Delivery::ExactlyOnce).await;
    let by = outputs_by_transcript(&outs);
    assert_eq!(by.len(), N, "every input has an output");
    let dups: Vec<_> = by.iter().filter(|(_, ids)| ids.len() != 1).collect();
    assert!(dups.is_empty(), "duplicates under exactly-once: {dups:?}");
    let all = read_topic(&b, &t.output, false, usize::MAX, Duration::from_secs(2));
    eprintln!(
        "records incl. aborted: {}, committed: {}",
        all.len(),
        outs.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_mid_stream_then_restart_gives_at_least_one_output_with_a_stable_id() {
    let Some(b) = bootstrap("kill9_at_least_once") else {
        return;
    };
    let t = make_topics(&b, "alo", 2, 1).await;
    let outs = kill_and_restart(&b, &t, Delivery::AtLeastOnce).await;
    let by = outputs_by_transcript(&outs);
    assert_eq!(by.len(), N, "every input has at least one output");
    let mut dups = 0;
    for (tid, ids) in &by {
        assert!(
            ids.iter().all(|id| !id.is_empty() && *id == ids[0]),
            "{tid}: ids differ {ids:?}"
        );
        dups += ids.len() - 1;
    }
    eprintln!("at-least-once: {dups} duplicates, all with the id of their first delivery");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_drains_in_flight_work_and_commits_before_exit() {
    let Some(b) = bootstrap("sigterm_drains") else {
        return;
    };
    let t = make_topics(&b, "term", 2, 1).await;
    produce_inputs(&b, &t.input, 200).await;
    let mut cfg = config(&b, &t, Delivery::ExactlyOnce);
    cfg.processing.batch_max_messages = 40;
    cfg.processing.max_in_flight_per_partition = 40;
    let child = spawn_processor_bin(&cfg, 20);
    let (bb, out) = (b.clone(), t.output.clone());
    wait_until("first outputs", Duration::from_secs(60), || {
        high_watermarks(&bb, &out) > 0
    })
    .await;
    sigterm(&child);
    let (code, stats) = wait_child(child, Duration::from_secs(15));
    eprintln!("drained: exit {code:?} {stats}");
    assert_eq!(code, Some(0), "clean exit after drain");
    let stats: serde_json::Value = serde_json::from_str(stats.trim()).unwrap();
    let consumed = stats["consumed"].as_u64().unwrap();
    assert_eq!(
        stats["committed"].as_u64().unwrap(),
        consumed,
        "everything consumed was committed"
    );
    let committed: i64 = committed_offsets(&b, &t.group, &t.input, 2).iter().sum();
    let outs = read_topic(
        &b,
        &t.output,
        true,
        consumed as usize,
        Duration::from_secs(20),
    );
    assert_eq!(outs.len() as u64, consumed, "one output per consumed input");
    assert_eq!(
        committed as u64, consumed,
        "group offsets cover exactly what was processed"
    );
    assert!(
        consumed < 200,
        "stopped before the end, so the drain was tested: {consumed}"
    );
}
