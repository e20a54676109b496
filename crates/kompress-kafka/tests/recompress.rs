//! The recompression job: a JSONL directory to a directory (resumable, byte-exact restore,
//! no broker needed) and an offset range of a topic to a new topic (real broker).

mod common;

use std::io::Write;
use std::time::Duration;

use common::*;
use kompress_core::{CompressionConfig, Eviction};
use kompress_kafka::recompress::{recompress, Bound, RecompressJob, Sink, Source};
use kompress_kafka::{LineSampler, PipelineCompressor};

fn job(
    source: Source,
    sink: Sink,
    checkpoint: std::path::PathBuf,
    limit: Option<u64>,
) -> RecompressJob {
    RecompressJob {
        source,
        sink,
        checkpoint,
        compression: CompressionConfig::default(),
        max_message_bytes: 1 << 20,
        chunk: 10,
        limit,
        progress: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directory_recompression_resumes_where_it_stopped_and_restores_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (src, out) = (dir.path().join("in"), dir.path().join("out"));
    std::fs::create_dir_all(&src).unwrap();
    let mut originals = std::collections::BTreeMap::new();
    for (file, range) in [("a.jsonl", 0..30), ("b.jsonl", 30..50)] {
        let mut f = std::fs::File::create(src.join(file)).unwrap();
        for i in range {
            let env = envelope(i, 8 + i % 30);
            originals.insert(format!("t{i}"), env.clone());
            writeln!(f, "{env}").unwrap();
            if i == 35 {
                writeln!(f, "{{\"version\":1,").unwrap();
            }
        }
    }
    let pipeline = kompress_pipeline::Pipeline::start(Default::default()).unwrap();
    let compressor = PipelineCompressor::new(pipeline);
    let cp = dir.path().join("checkpoint.json");
    let first = recompress(
        &job(
            Source::Dir(src.clone()),
            Sink::Dir(out.clone()),
            cp.clone(),
            Some(25),
        ),
        &compressor,
    )
    .await
    .unwrap();
    assert_eq!(first.read, 25);
    // A stopped run may have written past its checkpoint: the resume cuts that off.
    std::fs::OpenOptions::new()
        .append(true)
        .open(out.join("compressed.jsonl"))
        .unwrap()
        .write_all(b"{\"partial\n")
        .unwrap();
    let second = recompress(
        &job(Source::Dir(src), Sink::Dir(out.clone()), cp, None),
        &compressor,
    )
    .await
    .unwrap();
    assert_eq!(second.resumed_from, 25);
    assert_eq!(
        first.read + second.read,
        51,
        "every line read once across the two runs"
    );
    assert_eq!(first.dead_letters + second.dead_letters, 1);

    let lines = |name: &str| -> Vec<String> {
        std::fs::read_to_string(out.join(name))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    };
    let evictions: Vec<Eviction> = lines("memory.jsonl")
        .iter()
        .map(|l| {
            serde_json::from_value(
                serde_json::from_str::<serde_json::Value>(l).unwrap()["eviction"].clone(),
            )
            .unwrap()
        })
        .collect();
    let outputs = lines("compressed.jsonl");
    assert_eq!(outputs.len(), 50, "each good transcript exactly once");
    for l in &outputs {
        #[derive(serde::Deserialize)]
        struct Raw {
            transcript_id: String,
            messages: Box<serde_json::value::RawValue>,
        }
        let o: Raw = serde_json::from_str(l).unwrap();
        let i: Raw = serde_json::from_str(&originals[&o.transcript_id]).unwrap();
        let mine: Vec<Eviction> = evictions
            .iter()
            .filter(|e| e.transcript_id == o.transcript_id)
            .cloned()
            .collect();
        assert_eq!(
            kompress_core::restore(o.messages.get(), &mine).unwrap(),
            i.messages.get()
        );
    }
    let dlq = lines("dlq.jsonl");
    assert_eq!(dlq.len(), 1);
    assert!(dlq[0].contains("malformed_json"), "{}", dlq[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topic_offset_range_is_recompressed_into_a_new_topic() {
    let Some(b) = bootstrap("recompress_topic_range") else {
        return;
    };
    let t = make_topics(&b, "rc", 1, 1).await;
    let inputs: Vec<(String, Vec<u8>)> = (0..30)
        .map(|i| (format!("k{i}"), envelope(i, 6).into_bytes()))
        .collect();
    produce(&producer(&b), &t.input, &inputs).await;
    let dir = tempfile::tempdir().unwrap();
    let source = Source::Topic {
        bootstrap: b.clone(),
        topic: t.input.clone(),
        start: Bound::Offset(5),
        end: Bound::Offset(20),
    };
    let sink = Sink::Topic {
        bootstrap: b.clone(),
        output: t.output.clone(),
        memory: t.memory.clone(),
        dlq: t.dlq.clone(),
    };
    let r = recompress(
        &job(source, sink, dir.path().join("cp.json"), None),
        &LineSampler::default(),
    )
    .await
    .unwrap();
    assert_eq!(r.read, 15);
    let outs = read_topic(&b, &t.output, true, 15, Duration::from_secs(30));
    let by = outputs_by_transcript(&outs);
    let want: Vec<String> = (5..20).map(|i| format!("t{i}")).collect();
    assert_eq!(
        by.keys()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>(),
        want.into_iter().collect()
    );
    // Resuming a finished job reads nothing more.
    let source = Source::Topic {
        bootstrap: b.clone(),
        topic: t.input.clone(),
        start: Bound::Offset(5),
        end: Bound::Offset(20),
    };
    let sink = Sink::Topic {
        bootstrap: b,
        output: t.output.clone(),
        memory: t.memory.clone(),
        dlq: t.dlq.clone(),
    };
    let again = recompress(
        &job(source, sink, dir.path().join("cp.json"), None),
        &LineSampler::default(),
    )
    .await
    .unwrap();
    assert_eq!(again.read, 0);
}
