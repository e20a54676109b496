//! The Kafka commands of the command line (`stream`, `recompress`, `memory-sink`), shared by
//! the `kompress` binary (flattened into its subcommands) and the `kompress-kafka` binary.
//! Settings come from `--config` (TOML) and `KOMPRESS__SECTION__FIELD` variables.
//!
//! `stream` and `memory-sink` run until SIGTERM or Ctrl-C, then drain, commit and print
//! their counters as one JSON line on stdout. Exit codes ([`exit_code`], the table of
//! [`kompress_core::exit`] that the `kompress` binary uses too): 0 drained and committed; 4 bad
//! configuration; 1 anything else (nothing uncommitted is lost: a restart processes it again).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Subcommand, ValueEnum};

use crate::recompress::{recompress, Bound, RecompressJob, Sink, Source};
use crate::{
    KafkaError, LineSampler, Metrics, PipelineCompressor, SinkMetrics, StreamConfig,
    TranscriptCompressor,
};

#[derive(Debug, Clone, Subcommand)]
pub enum KafkaCommand {
    /// Kafka stream processor: transcripts in; compressed transcripts, eviction records and
    /// dead letters out.
    Stream(StreamArgs),
    /// Re-read a topic range or a JSONL directory, write to a topic or a directory.
    Recompress(Box<RecompressArgs>),
    /// Store the memory topic's eviction records in the memory store (SQLite or PostgreSQL).
    MemorySink(MemorySinkArgs),
}

/// Where the settings come from.
#[derive(Debug, Clone, clap::Args)]
pub struct ConfigArgs {
    /// TOML settings file; `KOMPRESS__SECTION__FIELD` variables override it.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Which {
    /// The kompress actor pipeline.
    Pipeline,
    /// The reference line sampler (tests, benchmarks).
    LineSampler,
}

#[derive(Debug, Clone, clap::Args)]
pub struct CompressorArgs {
    /// Which compressor: the kompress pipeline, or the reference line sampler.
    #[arg(long, value_enum, default_value_t = Which::Pipeline)]
    pub compressor: Which,
    /// Artificial time per transcript (line sampler only), in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub delay_ms: u64,
}

#[derive(Debug, Clone, clap::Args)]
pub struct StreamArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub compressor: CompressorArgs,
}

#[derive(Debug, Clone, clap::Args)]
pub struct RecompressArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub compressor: CompressorArgs,
    #[arg(long)]
    pub bootstrap: Option<String>,
    #[arg(long, conflicts_with = "from_dir")]
    pub from_topic: Option<String>,
    #[arg(long)]
    pub from_dir: Option<PathBuf>,
    /// Start offset (every partition) or `t:<ms since epoch>`; default: the beginning.
    #[arg(long)]
    pub start: Option<String>,
    /// End offset (exclusive) or `t:<ms>`; default: the end when the job starts.
    #[arg(long)]
    pub end: Option<String>,
    /// Output topic (memory and dlq topics: `--memory-topic`, `--dlq-topic`).
    #[arg(long, conflicts_with = "to_dir")]
    pub to_topic: Option<String>,
    #[arg(long)]
    pub memory_topic: Option<String>,
    #[arg(long)]
    pub dlq_topic: Option<String>,
    #[arg(long)]
    pub to_dir: Option<PathBuf>,
    #[arg(long)]
    pub checkpoint: PathBuf,
    #[arg(long, default_value_t = 500)]
    pub chunk: usize,
    #[arg(long)]
    pub limit: Option<u64>,
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(Debug, Clone, clap::Args)]
pub struct MemorySinkArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// SQLite file of the store (overrides `memory_sink.store`).
    #[arg(long, conflicts_with = "store_url")]
    pub store: Option<PathBuf>,
    /// PostgreSQL URL of the store (needs the `postgres` feature).
    #[arg(long)]
    pub store_url: Option<String>,
    /// Artificial time per batch in milliseconds (tests stand in for a slow store with it).
    #[arg(long, default_value_t = 0, hide = true)]
    pub batch_delay_ms: u64,
}

/// Exit code for an error ([`kompress_core::exit`]): CONFIG for configuration errors, FAILURE
/// for everything else.
pub fn exit_code(e: &KafkaError) -> i32 {
    if e.is_config() {
        kompress_core::exit::CONFIG
    } else {
        kompress_core::exit::FAILURE
    }
}

fn load(c: &ConfigArgs) -> Result<StreamConfig, KafkaError> {
    StreamConfig::load(c.config.as_deref(), std::env::vars())
}

/// The compressor of `stream` and `recompress`: the pipeline built from `pipeline` (the
/// statistical pruner when `None`; the `kompress` binary passes its `--pruner`/`--model`
/// choice here), or the reference line sampler.
fn compressor(
    a: &CompressorArgs,
    pipeline: Option<kompress_pipeline::PipelineSettings>,
) -> Result<Arc<dyn TranscriptCompressor>, KafkaError> {
    Ok(match a.compressor {
        Which::LineSampler => Arc::new(LineSampler {
            delay: Duration::from_millis(a.delay_ms),
        }),
        Which::Pipeline => {
            let p =
                kompress_pipeline::Pipeline::start(pipeline.unwrap_or_default()).map_err(|e| {
                    KafkaError::Compress {
                        transcript_id: "<start-up>".into(),
                        attempts: 0,
                        reason: format!("pipeline did not start: {e}"),
                    }
                })?;
            Arc::new(PipelineCompressor::new(p))
        }
    })
}

/// Runs one command on its own tokio runtime. The runtime is shut down without waiting
/// for its blocking threads: destroying a librdkafka consumer used with transactions can
/// hang, and everything is committed or flushed by then.
/// Logs (text on stderr; `KOMPRESS_LOG` overrides the filter) and, when
/// `OTEL_EXPORTER_OTLP_ENDPOINT` (or `…_TRACES_ENDPOINT`) is set, OpenTelemetry export of the
/// per-record spans, parented on each record's `traceparent` header. Keep the guard alive
/// while the command runs: dropping it flushes the spans.
pub fn init_telemetry(
    service: &str,
) -> Result<kompress_telemetry::TelemetryGuard, kompress_telemetry::TelemetryError> {
    kompress_telemetry::init_as(
        &kompress_telemetry::TelemetryConfig {
            log_format: kompress_telemetry::LogFormat::Text,
            log_stream: kompress_telemetry::LogStream::Stderr,
            log_filter: "warn,kompress_kafka=info".into(),
            ..Default::default()
        },
        service,
    )
}

/// The multi-threaded runtime every Kafka command runs on.
pub fn runtime() -> Result<tokio::runtime::Runtime, KafkaError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .map_err(|source| KafkaError::Io {
            path: "tokio runtime".into(),
            source,
        })
}

pub fn run_command(cmd: KafkaCommand) -> Result<(), KafkaError> {
    run_command_with(cmd, None)
}

/// [`run_command`] with the pipeline of `stream` and `recompress` built from `pipeline`
/// (its pruner, floor and batching) instead of the defaults.
pub fn run_command_with(
    cmd: KafkaCommand,
    pipeline: Option<kompress_pipeline::PipelineSettings>,
) -> Result<(), KafkaError> {
    let rt = runtime()?;
    let res = rt.block_on(async move {
        match cmd {
            KafkaCommand::Stream(a) => stream(a, pipeline).await,
            KafkaCommand::Recompress(a) => run_recompress(*a, pipeline).await,
            KafkaCommand::MemorySink(a) => memory_sink(a).await,
        }
    });
    rt.shutdown_background();
    res
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(e) => {
            tracing::warn!("no SIGTERM handler ({e}); Ctrl-C only");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
    tracing::info!("shutdown signal: draining");
}

async fn stream(
    a: StreamArgs,
    pipeline: Option<kompress_pipeline::PipelineSettings>,
) -> Result<(), KafkaError> {
    let cfg = load(&a.config)?;
    let compressor = compressor(&a.compressor, pipeline)?;
    let metrics = Arc::new(Metrics::default());
    let res = crate::run(cfg, compressor, metrics.clone(), shutdown_signal()).await;
    let g = |c: &std::sync::atomic::AtomicU64| Metrics::get(c);
    println!(
        "{}",
        serde_json::json!({
            "consumed": g(&metrics.consumed), "outputs": g(&metrics.outputs),
            "evictions": g(&metrics.evictions), "dead_letters": g(&metrics.dead_letters),
            "committed": g(&metrics.committed_messages), "pauses": g(&metrics.pauses),
            "max_buffered": g(&metrics.max_buffered), "ok": res.is_ok(),
        })
    );
    res
}

async fn memory_sink(a: MemorySinkArgs) -> Result<(), KafkaError> {
    let mut cfg = load(&a.config)?;
    if let Some(path) = a.store {
        let ttl = cfg.memory_sink.store.default_ttl_secs;
        cfg.memory_sink.store = kompress_memory::MemoryConfig::sqlite(path);
        cfg.memory_sink.store.default_ttl_secs = ttl;
    }
    if let Some(url) = a.store_url {
        cfg.memory_sink.store.backend = kompress_memory::BackendConfig::Postgres {
            url,
            connections: 4,
        };
    }
    let metrics = Arc::new(SinkMetrics::default());
    let res = crate::run_sink(
        cfg,
        metrics.clone(),
        Duration::from_millis(a.batch_delay_ms),
        shutdown_signal(),
    )
    .await;
    let mut report = metrics.to_json();
    report["ok"] = serde_json::Value::Bool(res.is_ok());
    println!("{report}");
    res
}

fn bound(s: Option<&str>, flag: &str) -> Result<Bound, KafkaError> {
    let bad = |e: std::num::ParseIntError| KafkaError::config(flag, e.to_string());
    Ok(match s {
        None => Bound::Edge,
        Some(t) if t.starts_with("t:") => Bound::TimeMs(t[2..].parse().map_err(bad)?),
        Some(o) => Bound::Offset(o.parse().map_err(bad)?),
    })
}

async fn run_recompress(
    a: RecompressArgs,
    pipeline: Option<kompress_pipeline::PipelineSettings>,
) -> Result<(), KafkaError> {
    let cfg = load(&a.config)?;
    let compressor = compressor(&a.compressor, pipeline)?;
    let bootstrap = a
        .bootstrap
        .clone()
        .unwrap_or_else(|| cfg.kafka.bootstrap_servers.clone());
    let source = match (a.from_topic, a.from_dir) {
        (Some(topic), None) => Source::Topic {
            bootstrap: bootstrap.clone(),
            topic,
            start: bound(a.start.as_deref(), "--start")?,
            end: bound(a.end.as_deref(), "--end")?,
        },
        (None, Some(dir)) => Source::Dir(dir),
        _ => {
            return Err(KafkaError::config(
                "--from-topic",
                "give one of --from-topic or --from-dir",
            ))
        }
    };
    let sink = match (a.to_topic, a.to_dir) {
        (Some(output), None) => Sink::Topic {
            memory: a.memory_topic.unwrap_or_else(|| format!("{output}.memory")),
            dlq: a.dlq_topic.unwrap_or_else(|| format!("{output}.dlq")),
            bootstrap,
            output,
        },
        (None, Some(dir)) => Sink::Dir(dir),
        _ => {
            return Err(KafkaError::config(
                "--to-topic",
                "give one of --to-topic or --to-dir",
            ))
        }
    };
    let job = RecompressJob {
        source,
        sink,
        checkpoint: a.checkpoint,
        compression: cfg.compression.clone(),
        max_message_bytes: cfg.processing.max_message_bytes,
        chunk: a.chunk,
        limit: a.limit,
        progress: !a.no_progress && std::io::IsTerminal::is_terminal(&std::io::stderr()),
    };
    let r = recompress(&job, compressor.as_ref()).await?;
    println!(
        "{}",
        serde_json::json!({
            "read": r.read, "outputs": r.outputs, "evictions": r.evictions,
            "dead_letters": r.dead_letters, "resumed_from": r.resumed_from,
        })
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    /// How the `kompress` binary embeds the commands: flattened into its own subcommands.
    #[derive(Parser)]
    struct Host {
        #[command(subcommand)]
        cmd: HostCommand,
    }

    #[derive(Subcommand)]
    enum HostCommand {
        /// Something of the host's own.
        Compress,
        #[command(flatten)]
        Kafka(KafkaCommand),
    }

    #[test]
    fn commands_flatten_into_a_host_cli() {
        Host::command().debug_assert();
        let h = Host::try_parse_from([
            "kompress",
            "memory-sink",
            "--config",
            "k.toml",
            "--store",
            "m.db",
        ])
        .unwrap();
        match h.cmd {
            HostCommand::Kafka(KafkaCommand::MemorySink(a)) => {
                assert_eq!(a.config.config.as_deref(), Some("k.toml".as_ref()));
                assert_eq!(a.store.as_deref(), Some("m.db".as_ref()));
            }
            _ => panic!("memory-sink not parsed"),
        }
        let h =
            Host::try_parse_from(["kompress", "stream", "--compressor", "line-sampler"]).unwrap();
        assert!(matches!(
            h.cmd,
            HostCommand::Kafka(KafkaCommand::Stream(StreamArgs {
                compressor: CompressorArgs {
                    compressor: Which::LineSampler,
                    ..
                },
                ..
            }))
        ));
        assert!(Host::try_parse_from(["kompress", "recompress", "--checkpoint", "c"]).is_ok());
        assert!(Host::try_parse_from([
            "kompress",
            "memory-sink",
            "--store",
            "a",
            "--store-url",
            "b"
        ])
        .is_err());
    }

    #[test]
    fn errors_can_travel_in_anyhow() {
        fn boxable<T: std::error::Error + Send + Sync + 'static>() {}
        boxable::<KafkaError>();
    }

    #[test]
    fn configuration_errors_exit_with_the_config_code() {
        assert_eq!(
            exit_code(&KafkaError::config("x", "y")),
            kompress_core::exit::CONFIG
        );
        assert_eq!(
            exit_code(&KafkaError::DrainTimeout { timeout_ms: 1 }),
            kompress_core::exit::FAILURE
        );
    }
}
