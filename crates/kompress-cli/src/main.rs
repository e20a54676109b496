//! `kompress`: compress agent context losslessly from the command line.
//!
//! Exit codes: 0 success; 2 usage error (bad flags); 3 bad input (invalid UTF-8, malformed JSON,
//! unknown role, empty or oversized input, schema violation); 4 bad configuration;
//! 5 restore failed (records do not match the compressed text); 1 anything else.

mod cmd;
mod exit;
mod settings;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "kompress",
    version,
    about = "Lossless context compression for LLM agents"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compress a text or a JSON transcript (FILE or - for stdin) to stdout.
    Compress(cmd::compress::Args),
    /// Rebuild the original, byte-exact, from a compressed file and its eviction records.
    Restore(cmd::restore::Args),
    /// Run a command and print its output compressed; the evictions go to the local memory
    /// store and its exit code is kept (`kompress run -- git log --stat -n 50`).
    Run(cmd::run::Args),
    /// Print the original text of a ref (a marker's handle or a run's ref) from the store.
    Recall(cmd::recall::Args),
    /// Print or install the agent hook (PreToolUse) that routes shell commands through
    /// `kompress run`; `--handle` is the hook itself.
    Hook(cmd::hook::Args),
    /// Compress every case of a JSONL set (../shared/data format) and report keep/savings/time.
    Score(cmd::score::Args),
    /// Evaluate every system side by side (metrics, Pareto plot, ensembles; --report for docs/report).
    Eval(cmd::eval::Args),
    /// Throughput of the CPU path on a set of texts, or of the gate kernel (--gate).
    Bench(cmd::bench::Args),
    /// Serve the HTTP compress API, the OpenAI/Anthropic proxy, /metrics and the playground.
    Serve(cmd::serve::Args),
    /// Train the learned pruner (LoRA + heads) from a JSON settings file.
    #[cfg(feature = "learned")]
    Train(cmd::train::TrainArgs),
    /// Self-labelling: relabel training data with a trained model + the floor as the oracle.
    #[cfg(feature = "learned")]
    Relabel(cmd::train::RelabelArgs),
    /// Kafka stream processor: transcripts in; compressed transcripts, eviction records and
    /// dead letters out.
    Stream(cmd::kafka::Stream),
    /// Re-read a topic range or a JSONL directory, write to a topic or a directory.
    Recompress(Box<cmd::kafka::Recompress>),
    /// Store the memory topic's eviction records in the memory store (SQLite or PostgreSQL).
    MemorySink(kompress_kafka::cli::MemorySinkArgs),
}

impl Command {
    /// The Kafka commands (they install their own log subscriber).
    fn is_kafka(&self) -> bool {
        matches!(
            self,
            Command::Stream(_) | Command::Recompress(_) | Command::MemorySink(_)
        )
    }
}

fn main() {
    let cli = Cli::parse();
    // `serve` installs its own subscriber ([telemetry]: JSON logs, OpenTelemetry export), the
    // Kafka commands theirs (stderr logs, OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is set)
    let _telemetry = if cli.cmd.is_kafka() {
        match kompress_kafka::cli::init_telemetry("kompress-stream") {
            Ok(g) => Some(g),
            Err(e) => {
                eprintln!("kompress: {e}");
                std::process::exit(exit::CONFIG);
            }
        }
    } else {
        None
    };
    if !(cli.cmd.is_kafka() || matches!(cli.cmd, Command::Serve(_))) {
        tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_env("KOMPRESS_LOG")
                    .unwrap_or_else(|_| "warn".into()),
            )
            .with_writer(std::io::stderr)
            .init();
    }
    let res = match cli.cmd {
        Command::Compress(a) => cmd::compress::run(a),
        Command::Restore(a) => cmd::restore::run(a),
        Command::Run(a) => match cmd::run::run(a) {
            Ok(code) => std::process::exit(code),
            Err(e) => Err(e),
        },
        Command::Recall(a) => cmd::recall::run(a),
        Command::Hook(a) => cmd::hook::run(a),
        Command::Score(a) => cmd::score::run(a),
        Command::Serve(a) => cmd::serve::run(a),
        Command::Eval(a) => cmd::eval::run(a),
        Command::Bench(a) => cmd::bench::run(a),
        #[cfg(feature = "learned")]
        Command::Train(a) => cmd::train::run_train(a),
        #[cfg(feature = "learned")]
        Command::Relabel(a) => cmd::train::run_relabel(a),
        Command::Stream(a) => cmd::kafka::run_stream(a),
        Command::Recompress(a) => cmd::kafka::run_recompress(*a),
        Command::MemorySink(a) => cmd::kafka::run_memory_sink(a),
    };
    if let Err(e) = res {
        eprintln!("kompress: {e:#}");
        std::process::exit(exit::code_for(&e));
    }
}
