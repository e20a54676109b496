//! `kompress-kafka`: the stream processor, the recompression job and the Kafka benchmark.
//! Settings come from `--config` (TOML) and `KOMPRESS__SECTION__FIELD` variables.
//!
//! `stream` exit codes: 0 drained and committed, 1 error (nothing uncommitted is lost: a
//! restart reprocesses it), 2 bad configuration. On exit it prints its counters as JSON.

use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand, ValueEnum};
use kompress_kafka::recompress::{recompress, Bound, RecompressJob, Sink, Source};
use kompress_kafka::{
    LineSampler, Metrics, PipelineCompressor, StreamConfig, TranscriptCompressor,
};

#[derive(Parser)]
#[command(about = "kompress on Kafka: stream processor, recompression, benchmark")]
struct Args {
    /// TOML settings file; `KOMPRESS__SECTION__FIELD` variables override it.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Which compressor: the kompress pipeline, or the reference line sampler.
    #[arg(long, global = true, value_enum, default_value_t = Which::Pipeline)]
    compressor: Which,
    /// Artificial time per transcript (line sampler only), in milliseconds.
    #[arg(long, global = true, default_value_t = 0)]
    delay_ms: u64,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Clone, Copy, ValueEnum)]
enum Which {
    Pipeline,
    LineSampler,
}

#[derive(Subcommand)]
enum Cmd {
    /// Consume the input topic, produce compressed transcripts, evictions, dead letters.
    Stream,
    /// Re-read a topic range or a JSONL directory, write to a topic or a directory.
    Recompress(RecompressArgs),
    /// End-to-end throughput and latency through the broker with N processor processes.
    Bench(kompress_kafka::bench::BenchArgs),
}

#[derive(clap::Args)]
struct RecompressArgs {
    #[arg(long)]
    bootstrap: Option<String>,
    #[arg(long, conflicts_with = "from_dir")]
    from_topic: Option<String>,
    #[arg(long)]
    from_dir: Option<PathBuf>,
    /// Start offset (every partition) or `t:<ms since epoch>`; default: the beginning.
    #[arg(long)]
    start: Option<String>,
    /// End offset (exclusive) or `t:<ms>`; default: the end when the job starts.
    #[arg(long)]
    end: Option<String>,
    /// Output topic (memory and dlq topics: `--memory-topic`, `--dlq-topic`).
    #[arg(long, conflicts_with = "to_dir")]
    to_topic: Option<String>,
    #[arg(long)]
    memory_topic: Option<String>,
    #[arg(long)]
    dlq_topic: Option<String>,
    #[arg(long)]
    to_dir: Option<PathBuf>,
    #[arg(long)]
    checkpoint: PathBuf,
    #[arg(long, default_value_t = 500)]
    chunk: usize,
    #[arg(long)]
    limit: Option<u64>,
    #[arg(long)]
    no_progress: bool,
}

fn bound(s: Option<&str>) -> anyhow::Result<Bound> {
    Ok(match s {
        None => Bound::Edge,
        Some(t) if t.starts_with("t:") => {
            Bound::TimeMs(t[2..].parse().context("--start/--end t:<ms>")?)
        }
        Some(o) => Bound::Offset(o.parse().context("--start/--end offset")?),
    })
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KOMPRESS_LOG")
                .unwrap_or_else(|_| "warn,kompress_kafka=info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let args = Args::parse();
    let cfg = match StreamConfig::load(args.config.as_deref(), std::env::vars()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("kompress-kafka: {e}");
            std::process::exit(2);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let compressor: Arc<dyn TranscriptCompressor> = match args.compressor {
        Which::LineSampler => Arc::new(LineSampler {
            delay: Duration::from_millis(args.delay_ms),
        }),
        Which::Pipeline => match kompress_pipeline::Pipeline::start(Default::default()) {
            Ok(p) => Arc::new(PipelineCompressor::new(p)),
            Err(e) => {
                eprintln!("kompress-kafka: {e}");
                std::process::exit(1);
            }
        },
    };
    let code = match args.cmd {
        Cmd::Stream => rt.block_on(stream(cfg, compressor)),
        Cmd::Recompress(r) => report(rt.block_on(run_recompress(cfg, r, compressor))),
        Cmd::Bench(b) => report(
            rt.block_on(kompress_kafka::bench::bench(cfg, b))
                .map_err(anyhow::Error::from)
                .map(|r| {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&r).expect("bench report serialises")
                    )
                }),
        ),
    };
    // Exit without librdkafka's destructors: destroying a consumer used with
    // send_offsets_to_transaction can hang, and everything is committed or flushed by now.
    std::process::exit(code);
}

fn report(r: anyhow::Result<()>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("kompress-kafka: {e:#}");
            1
        }
    }
}

async fn stream(cfg: StreamConfig, compressor: Arc<dyn TranscriptCompressor>) -> i32 {
    let metrics = Arc::new(Metrics::default());
    let shutdown = async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        tracing::info!("shutdown signal: draining");
    };
    let res = kompress_kafka::run(cfg, compressor, metrics.clone(), shutdown).await;
    let g = |c: &AtomicU64| Metrics::get(c);
    println!(
        "{{\"consumed\":{},\"outputs\":{},\"evictions\":{},\"dead_letters\":{},\"committed\":{},\"pauses\":{},\"max_buffered\":{},\"ok\":{}}}",
        g(&metrics.consumed), g(&metrics.outputs), g(&metrics.evictions), g(&metrics.dead_letters),
        g(&metrics.committed_messages), g(&metrics.pauses), g(&metrics.max_buffered), res.is_ok()
    );
    match res {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("kompress-kafka: {e}");
            1
        }
    }
}

async fn run_recompress(
    cfg: StreamConfig,
    a: RecompressArgs,
    compressor: Arc<dyn TranscriptCompressor>,
) -> anyhow::Result<()> {
    let bootstrap = a
        .bootstrap
        .clone()
        .unwrap_or_else(|| cfg.kafka.bootstrap_servers.clone());
    let source = match (a.from_topic, a.from_dir) {
        (Some(topic), None) => Source::Topic {
            bootstrap: bootstrap.clone(),
            topic,
            start: bound(a.start.as_deref())?,
            end: bound(a.end.as_deref())?,
        },
        (None, Some(dir)) => Source::Dir(dir),
        _ => bail!("give one of --from-topic or --from-dir"),
    };
    let sink = match (a.to_topic, a.to_dir) {
        (Some(output), None) => Sink::Topic {
            memory: a.memory_topic.unwrap_or_else(|| format!("{output}.memory")),
            dlq: a.dlq_topic.unwrap_or_else(|| format!("{output}.dlq")),
            bootstrap,
            output,
        },
        (None, Some(dir)) => Sink::Dir(dir),
        _ => bail!("give one of --to-topic or --to-dir"),
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
        "{{\"read\":{},\"outputs\":{},\"evictions\":{},\"dead_letters\":{},\"resumed_from\":{}}}",
        r.read, r.outputs, r.evictions, r.dead_letters, r.resumed_from
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn command_line_definition_is_consistent() {
        use clap::CommandFactory;
        super::Args::command().debug_assert();
    }
}
