//! The stream processor as a process, with the reference [`LineSampler`] compressor: what the
//! crash, SIGTERM and rebalance tests run and kill. Settings come from `--config` and
//! `KOMPRESS__*` variables. On exit it prints its counters as one JSON line.
//!
//! Exit codes: 0 drained and committed, 1 error (nothing uncommitted is lost: a restart
//! reprocesses it), 2 bad configuration.

use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use kompress_kafka::{LineSampler, Metrics, StreamConfig};

#[derive(Parser)]
#[command(about = "kompress Kafka stream processor (reference line-sampler compressor)")]
struct Args {
    /// TOML settings file; `KOMPRESS__SECTION__FIELD` variables override it.
    #[arg(long)]
    config: Option<std::path::PathBuf>,
    /// Artificial compression time per transcript, in milliseconds.
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
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
            eprintln!("kompress-stream-test: {e}");
            std::process::exit(2);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let metrics = Arc::new(Metrics::default());
    let compressor = Arc::new(LineSampler {
        delay: Duration::from_millis(args.delay_ms),
    });
    let res = rt.block_on(async {
        let shutdown = async {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("SIGTERM handler");
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            tracing::info!("shutdown signal: draining");
        };
        kompress_kafka::run(cfg, compressor, metrics.clone(), shutdown).await
    });
    let g = |c: &std::sync::atomic::AtomicU64| Metrics::get(c);
    println!(
        "{{\"consumed\":{},\"outputs\":{},\"evictions\":{},\"dead_letters\":{},\"committed\":{},\"pauses\":{},\"max_buffered\":{},\"ok\":{}}}",
        g(&metrics.consumed), g(&metrics.outputs), g(&metrics.evictions), g(&metrics.dead_letters),
        g(&metrics.committed_messages), g(&metrics.pauses), g(&metrics.max_buffered), res.is_ok()
    );
    // Exit without running librdkafka's destructors: destroying a consumer used with
    // send_offsets_to_transaction can hang, and everything is committed or flushed by now.
    match res {
        Ok(()) => std::process::exit(0),
        Err(e) => {
            eprintln!("kompress-stream-test: {e}");
            std::process::exit(1);
        }
    }
}
