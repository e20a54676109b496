//! Batch recompression: re-read a topic (an offset or time range of it) or a directory of
//! JSONL files with new settings or a new model, write to a new topic or directory, show
//! progress, and resume from a checkpoint file after a stop.
//!
//! Resumption: the checkpoint records, after the sink has flushed, how far each source
//! partition/file was read and (for a directory sink) how long each output file was; on
//! resume the output files are cut back to those lengths, so a directory sink gets every
//! record exactly once. A topic sink may repeat the records of the last unfinished chunk;
//! they carry the same `kompress-id` as the first time.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use kompress_core::CompressionConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde::{Deserialize, Serialize};

use crate::recompress_sink::SinkWriter;
use crate::records::SourceRef;
use crate::transform::{transform_record, TransformCtx};
use crate::{KafkaError, TranscriptCompressor};

/// Where a bound of a topic range lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// The earliest offset (start) / the high watermark when the job starts (end).
    Edge,
    Offset(i64),
    /// Milliseconds since the epoch (first record at or after it).
    TimeMs(i64),
}

#[derive(Debug, Clone)]
pub enum Source {
    Topic {
        bootstrap: String,
        topic: String,
        start: Bound,
        end: Bound,
    },
    Dir(PathBuf),
}

#[derive(Debug, Clone)]
pub enum Sink {
    Topic {
        bootstrap: String,
        output: String,
        memory: String,
        dlq: String,
    },
    /// Writes `compressed.jsonl`, `memory.jsonl`, `dlq.jsonl`.
    Dir(PathBuf),
}

pub struct RecompressJob {
    pub source: Source,
    pub sink: Sink,
    pub checkpoint: PathBuf,
    pub compression: CompressionConfig,
    pub max_message_bytes: usize,
    /// Records per checkpoint.
    pub chunk: usize,
    /// Stop after this many records (for tests and dry runs); `None`: to the end.
    pub limit: Option<u64>,
    pub progress: bool,
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Next offset (topic source: partition number as key) or next line (file name as key).
    pub next: BTreeMap<String, i64>,
    /// Directory sink: bytes of each output file that belong to finished chunks.
    pub sink_len: BTreeMap<String, u64>,
    pub done: u64,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RecompressReport {
    pub read: u64,
    pub outputs: u64,
    pub evictions: u64,
    pub dead_letters: u64,
    pub resumed_from: u64,
}

/// One input record: where it is, its key and bytes, and the checkpoint slot it advances.
struct Item {
    slot: String,
    next: i64,
    key: Option<Vec<u8>>,
    payload: Vec<u8>,
    src: SourceRef,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> KafkaError + '_ {
    move |source| KafkaError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn load_checkpoint(path: &Path) -> Result<Checkpoint, KafkaError> {
    match std::fs::read_to_string(path) {
        Ok(s) => serde_json::from_str(&s).map_err(|e| KafkaError::Record {
            path: path.display().to_string(),
            line: e.line(),
            reason: e.to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Checkpoint::default()),
        Err(e) => Err(io_err(path)(e)),
    }
}

fn save_checkpoint(path: &Path, cp: &Checkpoint) -> Result<(), KafkaError> {
    let tmp = path.with_extension("tmp");
    let body = serde_json::to_vec_pretty(cp).expect("checkpoint serialises");
    std::fs::write(&tmp, body).map_err(io_err(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io_err(path))
}

/// Runs the job to the end of the range (or `limit`), checkpointing every `chunk` records.
pub async fn recompress(
    job: &RecompressJob,
    compressor: &dyn TranscriptCompressor,
) -> Result<RecompressReport, KafkaError> {
    let mut cp = load_checkpoint(&job.checkpoint)?;
    let mut report = RecompressReport {
        resumed_from: cp.done,
        ..Default::default()
    };
    let (items, total): (
        Box<dyn Iterator<Item = Result<Item, KafkaError>> + Send>,
        u64,
    ) = match &job.source {
        Source::Dir(dir) => dir_items(dir, &cp)?,
        Source::Topic {
            bootstrap,
            topic,
            start,
            end,
        } => topic_items(bootstrap, topic, *start, *end, &cp)?,
    };
    let mut sink = SinkWriter::open(&job.sink, &cp)?;
    let bar = if job.progress {
        ProgressBar::new(total)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} records {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let fingerprint = crate::records::output_fingerprint(&job.compression, compressor.identity());
    let (out_t, mem_t, dlq_t) = sink.topics();
    let ctx = TransformCtx {
        compressor,
        compression: &job.compression,
        max_message_bytes: job.max_message_bytes,
        attempts: 3,
        fingerprint,
        output: &out_t,
        memory: &mem_t,
        dlq: &dlq_t,
    };
    let mut in_chunk = 0usize;
    for item in items {
        if job.limit.is_some_and(|l| report.read >= l) {
            break;
        }
        let item = item?;
        let recs =
            transform_record(&ctx, item.key.as_deref(), &item.payload, item.src, None).await?;
        for r in &recs {
            match r.topic.as_str() {
                t if t == out_t => report.outputs += 1,
                t if t == mem_t => report.evictions += 1,
                _ => report.dead_letters += 1,
            }
        }
        sink.write(recs).await?;
        cp.next.insert(item.slot, item.next);
        report.read += 1;
        cp.done += 1;
        in_chunk += 1;
        bar.inc(1);
        if in_chunk >= job.chunk.max(1) {
            sink.flush(&mut cp).await?;
            save_checkpoint(&job.checkpoint, &cp)?;
            in_chunk = 0;
        }
    }
    sink.flush(&mut cp).await?;
    save_checkpoint(&job.checkpoint, &cp)?;
    bar.finish_and_clear();
    Ok(report)
}

type Items = (
    Box<dyn Iterator<Item = Result<Item, KafkaError>> + Send>,
    u64,
);

fn dir_items(dir: &Path, cp: &Checkpoint) -> Result<Items, KafkaError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io_err(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let mut total = 0u64;
    let mut all = Vec::new();
    for f in files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let skip = cp.next.get(&name).copied().unwrap_or(0).max(0) as usize;
        let file = std::fs::File::open(&f).map_err(io_err(&f))?;
        let mut lines = Vec::new();
        for (i, line) in std::io::BufReader::new(file).split(b'\n').enumerate() {
            let line = line.map_err(io_err(&f))?;
            if i < skip || line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            lines.push((i, line));
        }
        total += lines.len() as u64;
        all.extend(lines.into_iter().map(move |(i, payload)| Item {
            slot: name.clone(),
            next: i as i64 + 1,
            key: None,
            payload,
            src: SourceRef {
                topic: name.clone(),
                partition: 0,
                offset: i as i64,
            },
        }));
    }
    Ok((Box::new(all.into_iter().map(Ok)), total))
}

fn topic_items(
    bootstrap: &str,
    topic: &str,
    start: Bound,
    end: Bound,
    cp: &Checkpoint,
) -> Result<Items, KafkaError> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "kompress-recompress")
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .create()
        .map_err(KafkaError::client("recompress consumer"))?;
    let t = Duration::from_secs(30);
    let md = c
        .fetch_metadata(Some(topic), t)
        .map_err(KafkaError::client("metadata"))?;
    let parts: Vec<i32> = md
        .topics()
        .first()
        .map(|t| t.partitions().iter().map(|p| p.id()).collect())
        .unwrap_or_default();
    if parts.is_empty() {
        return Err(KafkaError::config(
            "source.topic",
            format!("topic {topic} has no partitions"),
        ));
    }
    let resolve = |bound: Bound, is_end: bool| -> Result<BTreeMap<i32, i64>, KafkaError> {
        let mut m = BTreeMap::new();
        for &p in &parts {
            let (lo, hi) = c
                .fetch_watermarks(topic, p, t)
                .map_err(KafkaError::client("watermarks"))?;
            m.insert(
                p,
                match bound {
                    Bound::Edge => {
                        if is_end {
                            hi
                        } else {
                            lo
                        }
                    }
                    Bound::Offset(o) => o.clamp(lo, hi),
                    Bound::TimeMs(_) => hi,
                },
            );
        }
        if let Bound::TimeMs(ms) = bound {
            let mut tpl = TopicPartitionList::new();
            for &p in &parts {
                tpl.add_partition_offset(topic, p, Offset::Offset(ms))
                    .map_err(KafkaError::client("offsets_for_times"))?;
            }
            let got = c
                .offsets_for_times(tpl, t)
                .map_err(KafkaError::client("offsets_for_times"))?;
            for e in got.elements() {
                if let Offset::Offset(o) = e.offset() {
                    m.insert(e.partition(), o);
                }
            }
        }
        Ok(m)
    };
    let starts = resolve(start, false)?;
    let ends = resolve(end, true)?;
    let mut tpl = TopicPartitionList::new();
    let mut remaining = BTreeMap::new();
    let mut total = 0u64;
    for &p in &parts {
        let from = cp
            .next
            .get(&p.to_string())
            .copied()
            .unwrap_or(starts[&p])
            .max(starts[&p]);
        let to = ends[&p];
        if from < to {
            tpl.add_partition_offset(topic, p, Offset::Offset(from))
                .map_err(KafkaError::client("assign"))?;
            remaining.insert(p, to);
            total += (to - from) as u64;
        }
    }
    if remaining.is_empty() {
        return Ok((Box::new(std::iter::empty()), 0));
    }
    c.assign(&tpl).map_err(KafkaError::client("assign"))?;
    let topic = topic.to_string();
    let iter = std::iter::from_fn(move || loop {
        if remaining.is_empty() {
            return None;
        }
        match c.poll(Duration::from_secs(10)) {
            None => {
                return Some(Err(KafkaError::config(
                    "source",
                    "no record within 10 s before the end of the range",
                )))
            }
            Some(Err(e)) => {
                return Some(Err(KafkaError::Client {
                    stage: "recompress poll",
                    source: e,
                }))
            }
            Some(Ok(m)) => {
                let p = m.partition();
                let Some(&end) = remaining.get(&p) else {
                    continue;
                };
                if m.offset() >= end {
                    remaining.remove(&p);
                    continue;
                }
                if m.offset() + 1 >= end {
                    remaining.remove(&p);
                }
                return Some(Ok(Item {
                    slot: p.to_string(),
                    next: m.offset() + 1,
                    key: m.key().map(<[u8]>::to_vec),
                    payload: m.payload().unwrap_or(&[]).to_vec(),
                    src: SourceRef {
                        topic: topic.clone(),
                        partition: p,
                        offset: m.offset(),
                    },
                }));
            }
        }
    });
    Ok((Box::new(iter), total))
}
