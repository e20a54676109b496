//! Group and cluster behaviour against the real broker: a third consumer joining two that
//! share four partitions, and a 3-broker cluster (RF=3) losing the group's coordinator
//! mid-stream.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use kompress_kafka::{Delivery, LineSampler, Metrics};
use rdkafka::message::Message;

/// Inputs on `keys` keys, each key's records numbered in order: transcript id `kK-S`.
fn keyed_inputs(keys: usize, from: usize, to: usize) -> Vec<(String, Vec<u8>)> {
    (from..to)
        .map(|i| {
            let (k, seq) = (i % keys, i / keys);
            let env = envelope(i, 4).replace(
                &format!("\"transcript_id\":\"t{i}\""),
                &format!("\"transcript_id\":\"k{k}-{seq}\""),
            );
            (format!("key{k}"), env.into_bytes())
        })
        .collect()
}

/// Every input exactly once, and per key (so per input partition) in input order.
fn assert_complete_and_ordered(outs: &[rdkafka::message::OwnedMessage], total: usize) {
    let mut per_key: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for m in outs {
        let v: serde_json::Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
        let tid = v["transcript_id"].as_str().unwrap();
        let (k, seq) = tid.split_once('-').unwrap();
        per_key
            .entry(k.to_string())
            .or_default()
            .push(seq.parse().unwrap());
    }
    let n: usize = per_key.values().map(Vec::len).sum();
    assert_eq!(n, total, "exactly one output per input");
    for (k, seqs) in &per_key {
        let expect: Vec<usize> = (0..seqs.len()).collect();
        assert_eq!(seqs, &expect, "key {k}: outputs out of order or missing");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn a_third_consumer_joining_rebalances_without_loss_or_reordering() {
    let Some(b) = bootstrap("rebalance_third_consumer") else {
        return;
    };
    let t = make_topics(&b, "reb", 4, 1).await;
    let keys = 12;
    let p = producer(&b);
    let slow = || {
        Arc::new(LineSampler {
            delay: Duration::from_millis(10),
        })
    };
    let cfg = |inst: &str| {
        let mut c = config(&b, &t, Delivery::ExactlyOnce);
        c.kafka.instance_id = Some(inst.into());
        c.processing.batch_max_messages = 10;
        c
    };
    let assigned = |ms: &[&Arc<Metrics>]| {
        ms.iter()
            .map(|m| Metrics::get(&m.assigned))
            .collect::<Vec<_>>()
    };
    let (s1, m1, h1) = spawn_processor(cfg("a"), slow());
    let (s2, m2, h2) = spawn_processor(cfg("b"), slow());
    wait_until(
        "two consumers splitting 4 partitions",
        Duration::from_secs(60),
        || assigned(&[&m1, &m2]) == vec![2, 2],
    )
    .await;
    produce(&p, &t.input, &keyed_inputs(keys, 0, 240)).await;
    wait_until(
        "the first two consumers working",
        Duration::from_secs(60),
        || Metrics::get(&m1.committed_messages) > 20 && Metrics::get(&m2.committed_messages) > 20,
    )
    .await;
    // The third joins while both are mid-stream: their in-flight batches commit first.
    let (s3, m3, h3) = spawn_processor(cfg("c"), slow());
    wait_until(
        "three consumers splitting 4 partitions",
        Duration::from_secs(60),
        || {
            let a = assigned(&[&m1, &m2, &m3]);
            a.iter().sum::<u64>() == 4 && a.iter().all(|n| *n > 0)
        },
    )
    .await;
    eprintln!(
        "after the join: {:?} rebalances={}",
        assigned(&[&m1, &m2, &m3]),
        Metrics::get(&m1.rebalances)
    );
    produce(&p, &t.input, &keyed_inputs(keys, 240, 480)).await;
    let (bb, out) = (b.clone(), t.output.clone());
    let outs = tokio::task::spawn_blocking(move || {
        read_topic(&bb, &out, true, 480, Duration::from_secs(120))
    })
    .await
    .unwrap();
    for s in [s1, s2, s3] {
        let _ = s.send(());
    }
    for h in [h1, h2, h3] {
        h.await.unwrap().expect("processor drained");
    }
    let done = [&m1, &m2, &m3].map(|m| Metrics::get(&m.committed_messages));
    eprintln!("committed per consumer: {done:?}");
    assert!(done[2] > 0, "the third consumer got partitions");
    assert_complete_and_ordered(&outs, 480);
}

/// A private 3-node cluster started with deploy/kafka/broker.sh, stopped on drop.
struct Cluster {
    script: PathBuf,
    dir: tempfile::TempDir,
    bootstrap: String,
}

impl Cluster {
    fn start() -> Cluster {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy/kafka/broker.sh");
        let dir = tempfile::tempdir().unwrap();
        let base = 21000 + (std::process::id() % 500) as u16 * 8;
        let out = Command::new("bash")
            .arg(&script)
            .args([
                "start",
                "--brokers",
                "3",
                "--timeout",
                "120",
                "--port-base",
                &base.to_string(),
                "--dir",
            ])
            .arg(dir.path())
            .output()
            .expect("run broker.sh");
        assert!(
            out.status.success(),
            "broker.sh start failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bootstrap = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .last()
            .unwrap()
            .trim()
            .to_string();
        Cluster {
            script,
            dir,
            bootstrap,
        }
    }

    /// The node id of `group`'s coordinator.
    fn coordinator(&self, group: &str) -> String {
        self.broker_sh(&["coordinator", group]).trim().to_string()
    }

    fn broker_sh(&self, args: &[&str]) -> String {
        let out = Command::new("bash")
            .arg(&self.script)
            .args(args)
            .arg("--dir")
            .arg(self.dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "broker.sh {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(&self.script)
            .arg("stop")
            .arg("--dir")
            .arg(self.dir.path())
            .output();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn losing_the_group_coordinator_of_three_brokers_mid_stream_loses_nothing() {
    if bootstrap("broker_loss_rf3").is_none() {
        return;
    }
    let cluster = Cluster::start();
    let b = cluster.bootstrap.clone();
    eprintln!("3-broker cluster at {b}");
    let t = make_topics(&b, "rf3", 3, 3).await;
    let mut cfg = config(&b, &t, Delivery::ExactlyOnce);
    cfg.processing.batch_max_messages = 20;
    let group = cfg.kafka.group_id.clone();
    let (stop, metrics, h) = spawn_processor(
        cfg,
        Arc::new(LineSampler {
            delay: Duration::from_millis(20),
        }),
    );
    let p = producer(&b);
    produce(&p, &t.input, &keyed_inputs(6, 0, 150)).await;
    wait_until("outputs flowing", Duration::from_secs(60), || {
        Metrics::get(&metrics.committed_messages) >= 150
    })
    .await;
    // The broker the group's offsets (and each transaction's offset commit) go through: the
    // hardest one to lose (librdkafka's send_offsets_to_transaction can wait for it forever;
    // the processor's watchdog replaces the producer then). Killed mid-stream, batches in
    // flight.
    let coordinator = cluster.coordinator(&group);
    produce(&p, &t.input, &keyed_inputs(6, 150, 300)).await;
    wait_until("the second wave flowing", Duration::from_secs(60), || {
        Metrics::get(&metrics.committed_messages) >= 180
    })
    .await;
    cluster.broker_sh(&["stop-node", &coordinator]);
    eprintln!(
        "node {coordinator} (group coordinator) killed after {} committed",
        Metrics::get(&metrics.committed_messages)
    );
    produce(&p, &t.input, &keyed_inputs(6, 300, 450)).await;
    let (bb, out) = (b.clone(), t.output.clone());
    let outs = tokio::task::spawn_blocking(move || {
        read_topic(&bb, &out, true, 450, Duration::from_secs(120))
    })
    .await
    .unwrap();
    let _ = stop.send(());
    h.await.unwrap().expect("processor drained");
    assert_complete_and_ordered(&outs, 450);
}
