//! End-to-end benchmark through a real broker: N processor processes (the `kompress-kafka
//! stream` binary) in one group, a producer at a fixed rate or flat out, a `read_committed`
//! reader timing each transcript from produce to committed output. Reports messages/s,
//! tokens/s, p50/p99 latency and each processor's peak RSS (VmHWM).

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde::Serialize;

use crate::{KafkaError, StreamConfig};

#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Transcripts to send (after a warm-up of 4 per instance).
    #[arg(long, default_value_t = 2000)]
    pub messages: usize,
    /// Lines of the tool output in each transcript (each ~60 bytes, ~10 words).
    #[arg(long, default_value_t = 60)]
    pub lines: usize,
    #[arg(long, default_value_t = 4)]
    pub partitions: i32,
    /// Processor processes in the group.
    #[arg(long, default_value_t = 1)]
    pub instances: usize,
    /// Transcripts per second to offer; 0: as fast as possible.
    #[arg(long, default_value_t = 0)]
    pub rate: u64,
    /// `pipeline` or `line-sampler`, passed to the processors.
    #[arg(long = "bench-compressor", default_value = "pipeline")]
    pub bench_compressor: String,
    /// The processor binary; default: this executable.
    #[arg(long)]
    pub processor_bin: Option<PathBuf>,
    #[arg(long, default_value_t = 300)]
    pub timeout_s: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub instances: usize,
    pub compressor: String,
    pub messages: usize,
    pub offered_rate: u64,
    pub seconds: f64,
    pub messages_per_s: f64,
    pub tokens_in_per_s: f64,
    pub bytes_in_per_s: f64,
    /// Compressed messages bytes / input messages bytes.
    pub compression_ratio: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub peak_rss_mib: Vec<f64>,
}

fn client_err(stage: &'static str) -> impl FnOnce(rdkafka::error::KafkaError) -> KafkaError {
    KafkaError::client(stage)
}

fn transcript(i: usize, lines: usize) -> String {
    let text: Vec<String> = (0..lines)
        .map(|l| match l % 6 {
            0 => format!(
                "2026-11-25T10:{:02}:{:02}Z INFO worker-{} processed batch {} in {} ms",
                l % 60,
                i % 60,
                l % 8,
                i * 7 + l,
                10 + l % 90
            ),
            1 => format!(
                "  at com.example.service.Handler.handle(Handler.java:{})",
                100 + l
            ),
            2 => format!(
                "DEBUG cache hit ratio={}.{:02} key=user_{:08x}",
                l % 2,
                i % 100,
                i * 31 + l
            ),
            3 => format!(
                "WARN retrying request id={} attempt {} of 5",
                i * 1000 + l,
                l % 5 + 1
            ),
            4 => format!(
                "  at org.framework.internal.Dispatcher.run(Dispatcher.java:{})",
                40 + l % 7
            ),
            _ => format!(
                "ERROR job {i} failed: connection reset by peer (errno 104) after {} bytes",
                l * 512
            ),
        })
        .collect();
    serde_json::json!({
        "version": 1, "tenant": "bench", "session_id": format!("s{}", i % 16),
        "transcript_id": format!("b{i}"), "format": "openai",
        "messages": [
            {"role": "user", "content": format!("Why did job {i} fail?")},
            {"role": "tool", "content": text.join("\n")},
        ],
    })
    .to_string()
}

fn peak_rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(str::to_string)
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

struct Children(Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for c in &mut self.0 {
            // SAFETY: kill(2) with SIGTERM on a child this process spawned.
            unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
        }
        for c in &mut self.0 {
            let _ = c.wait();
        }
    }
}

pub async fn bench(cfg: StreamConfig, a: BenchArgs) -> Result<BenchReport, KafkaError> {
    let b = cfg.kafka.bootstrap_servers.clone();
    let tag = format!("{:08x}", rand::random::<u32>());
    let (input, output) = (format!("bench-{tag}-in"), format!("bench-{tag}-out"));
    let (memory, dlq, group) = (
        format!("bench-{tag}-mem"),
        format!("bench-{tag}-dlq"),
        format!("bench-{tag}"),
    );
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", &b)
        .create()
        .map_err(client_err("admin"))?;
    let topics: Vec<NewTopic> = [&input, &output, &memory, &dlq]
        .iter()
        .map(|t| NewTopic::new(t, a.partitions, TopicReplication::Fixed(1)))
        .collect();
    for r in admin
        .create_topics(&topics, &AdminOptions::new())
        .await
        .map_err(client_err("create topics"))?
    {
        r.map_err(|(t, e)| KafkaError::config("bench.topics", format!("{t}: {e}")))?;
    }
    let exe = match &a.processor_bin {
        Some(p) => p.clone(),
        None => std::env::current_exe().map_err(|source| KafkaError::Io {
            path: "current_exe".into(),
            source,
        })?,
    };
    let mut children = Children(Vec::new());
    for i in 0..a.instances {
        let child = Command::new(&exe)
            .args(["stream", "--compressor", &a.bench_compressor])
            .env("KOMPRESS__KAFKA__BOOTSTRAP_SERVERS", &b)
            .env("KOMPRESS__KAFKA__GROUP_ID", &group)
            .env("KOMPRESS__KAFKA__INSTANCE_ID", format!("bench{i}"))
            .env("KOMPRESS__TOPICS__INPUT", &input)
            .env("KOMPRESS__TOPICS__OUTPUT", &output)
            .env("KOMPRESS__TOPICS__MEMORY", &memory)
            .env("KOMPRESS__TOPICS__DLQ", &dlq)
            .env("KOMPRESS_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .map_err(|source| KafkaError::Io {
                path: exe.display().to_string(),
                source,
            })?;
        children.0.push(child);
    }
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &b)
        .set("linger.ms", "2")
        .create()
        .map_err(client_err("bench producer"))?;
    let reader: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &b)
        .set("group.id", format!("{group}-reader"))
        .set("isolation.level", "read_committed")
        .create()
        .map_err(client_err("bench reader"))?;
    let mut tpl = TopicPartitionList::new();
    for p in 0..a.partitions {
        tpl.add_partition_offset(&output, p, Offset::Beginning)
            .map_err(client_err("assign"))?;
    }
    reader.assign(&tpl).map_err(client_err("assign"))?;
    let deadline = Instant::now() + Duration::from_secs(a.timeout_s);

    // Warm-up: the group is assigned and every processor has compressed something.
    let warm = 4 * a.instances.max(1);
    for i in 0..warm {
        let v = transcript(1_000_000 + i, a.lines);
        let k = format!("w{i}");
        producer
            .send(
                FutureRecord::to(&input).key(&k).payload(&v),
                Duration::from_secs(10),
            )
            .await
            .map_err(|(e, _)| KafkaError::Client {
                stage: "bench produce",
                source: e,
            })?;
    }
    let mut seen = 0;
    while seen < warm {
        if Instant::now() > deadline {
            return Err(KafkaError::config(
                "bench",
                "warm-up outputs did not arrive",
            ));
        }
        if let Some(Ok(_)) = reader.poll(Duration::from_millis(100)) {
            seen += 1;
        }
    }

    let payloads: Vec<String> = (0..a.messages).map(|i| transcript(i, a.lines)).collect();
    let bytes_in: usize = payloads.iter().map(String::len).sum();
    let mut sent_at: HashMap<String, Instant> = HashMap::with_capacity(a.messages);
    let start = Instant::now();
    let mut pending = Vec::with_capacity(a.messages);
    let mut acc = Acc {
        lat_ms: Vec::with_capacity(a.messages),
        ..Acc::default()
    };
    for (i, v) in payloads.iter().enumerate() {
        if a.rate > 0 {
            let due = start + Duration::from_secs_f64(i as f64 / a.rate as f64);
            tokio::time::sleep_until(due.into()).await;
        }
        let k = format!("k{i}");
        sent_at.insert(format!("b{i}"), Instant::now());
        match producer.send_result(FutureRecord::to(&input).key(&k).payload(v)) {
            Ok(f) => pending.push(f),
            Err((e, _)) => {
                return Err(KafkaError::Client {
                    stage: "bench produce",
                    source: e,
                })
            }
        }
        // Read outputs while producing at a fixed rate so latencies are timed when they land.
        if a.rate > 0 {
            while let Some(Ok(m)) = reader.poll(Duration::ZERO) {
                acc.add(&m, &sent_at);
            }
        }
    }
    while acc.lat_ms.len() < a.messages && Instant::now() < deadline {
        if let Some(Ok(m)) = reader.poll(Duration::from_millis(100)) {
            acc.add(&m, &sent_at);
        }
    }
    let Acc {
        mut lat_ms,
        tokens_in,
        bytes_in: msg_bytes_in,
        bytes_out,
    } = acc;
    let seconds = start.elapsed().as_secs_f64();
    for f in pending {
        let _ = f.await;
    }
    let rss: Vec<f64> = children.0.iter().map(|c| peak_rss_mib(c.id())).collect();
    drop(children);
    if lat_ms.len() < a.messages {
        return Err(KafkaError::config(
            "bench",
            format!(
                "only {} of {} outputs within {} s",
                lat_ms.len(),
                a.messages,
                a.timeout_s
            ),
        ));
    }
    lat_ms.sort_by(f64::total_cmp);
    let pct = |q: f64| lat_ms[((lat_ms.len() as f64 - 1.0) * q).round() as usize];
    Ok(BenchReport {
        instances: a.instances,
        compressor: a.bench_compressor.clone(),
        messages: a.messages,
        offered_rate: a.rate,
        seconds,
        messages_per_s: a.messages as f64 / seconds,
        tokens_in_per_s: tokens_in as f64 / seconds,
        bytes_in_per_s: bytes_in as f64 / seconds,
        compression_ratio: bytes_out as f64 / msg_bytes_in.max(1) as f64,
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
        peak_rss_mib: rss,
    })
}

#[derive(Default)]
struct Acc {
    lat_ms: Vec<f64>,
    tokens_in: u64,
    bytes_in: u64,
    bytes_out: u64,
}

impl Acc {
    /// Times one committed output against the moment its input was sent.
    fn add<M: Message>(&mut self, m: &M, sent_at: &HashMap<String, Instant>) {
        let Some(payload) = m.payload() else { return };
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(payload) else {
            return;
        };
        let Some(t0) = v["transcript_id"].as_str().and_then(|t| sent_at.get(t)) else {
            return;
        };
        self.lat_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
        self.tokens_in += v["kompress"]["tokens_in"].as_u64().unwrap_or(0);
        self.bytes_in += v["kompress"]["bytes_in"].as_u64().unwrap_or(0);
        self.bytes_out += v["kompress"]["bytes_out"].as_u64().unwrap_or(0);
    }
}
