//! `kompress-kafka`: the Kafka commands of `kompress` (`stream`, `recompress`,
//! `memory-sink`, see [`kompress_kafka::cli`]) plus the Kafka benchmarks (`bench`,
//! `bench-sink`). Settings come from `--config` (TOML) and `KOMPRESS__SECTION__FIELD`
//! variables.
//!
//! Exit codes: 0 success (drained and committed); 2 bad configuration; 1 anything else
//! (nothing uncommitted is lost: a restart reprocesses it).

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use kompress_kafka::cli::{exit_code, run_command, KafkaCommand};
use kompress_kafka::{KafkaError, StreamConfig};

#[derive(Parser)]
#[command(about = "kompress on Kafka: stream processor, recompression, memory sink, benchmarks")]
struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    #[command(flatten)]
    Kafka(KafkaCommand),
    /// End-to-end throughput and latency through the broker with N processor processes.
    Bench {
        /// TOML settings file; `KOMPRESS__SECTION__FIELD` variables override it.
        #[arg(long)]
        config: Option<PathBuf>,
        #[command(flatten)]
        args: kompress_kafka::bench::BenchArgs,
    },
    /// Memory-sink throughput (records/s) through the broker into a fresh SQLite store.
    BenchSink {
        #[arg(long)]
        config: Option<PathBuf>,
        #[command(flatten)]
        args: kompress_kafka::sink::bench::SinkBenchArgs,
    },
}

fn bench(config: Option<PathBuf>, f: impl AsyncBench) -> Result<(), KafkaError> {
    let cfg = StreamConfig::load(config.as_deref(), std::env::vars())?;
    let rt = kompress_kafka::cli::runtime()?;
    let report = rt.block_on(f.run(cfg))?;
    println!("{report}");
    rt.shutdown_background();
    Ok(())
}

/// A benchmark that turns the settings into a pretty JSON report.
trait AsyncBench {
    async fn run(self, cfg: StreamConfig) -> Result<String, KafkaError>;
}

struct Processors(kompress_kafka::bench::BenchArgs);
struct SinkBench(kompress_kafka::sink::bench::SinkBenchArgs);

fn pretty(v: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

impl AsyncBench for Processors {
    async fn run(self, cfg: StreamConfig) -> Result<String, KafkaError> {
        Ok(pretty(&kompress_kafka::bench::bench(cfg, self.0).await?))
    }
}

impl AsyncBench for SinkBench {
    async fn run(self, cfg: StreamConfig) -> Result<String, KafkaError> {
        Ok(pretty(
            &kompress_kafka::sink::bench::bench_sink(&cfg, &self.0).await?,
        ))
    }
}

fn main() {
    let _telemetry = match kompress_kafka::cli::init_telemetry("kompress-kafka") {
        Ok(g) => g,
        Err(e) => {
            eprintln!("kompress-kafka: {e}");
            std::process::exit(kompress_core::exit::CONFIG);
        }
    };
    let res = match Args::parse().cmd {
        Cmd::Kafka(c) => run_command(c),
        Cmd::Bench { config, args } => bench(config, Processors(args)),
        Cmd::BenchSink { config, args } => bench(config, SinkBench(args)),
    };
    let code = match res {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("kompress-kafka: {e}");
            exit_code(&e)
        }
    };
    // Exit without librdkafka's destructors: destroying a consumer used with
    // send_offsets_to_transaction can hang, and everything is committed or flushed by now.
    std::process::exit(code);
}

#[cfg(test)]
mod tests {
    #[test]
    fn command_line_definition_is_consistent() {
        use clap::CommandFactory;
        super::Args::command().debug_assert();
    }
}
