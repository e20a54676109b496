//! `kompress serve`: the HTTP compress API, the OpenAI/Anthropic proxy, metrics and the
//! playground (see crates/kompress-serve and deploy/openapi.yaml).

use std::path::PathBuf;

use anyhow::Context;
use kompress_serve::ServeConfig;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// serve.toml (kompress_serve::ServeConfig: listen, limits, [compression], [proxy], [memory]).
    #[arg(long, env = "KOMPRESS_SERVE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on (overrides the file), e.g. 127.0.0.1:8787.
    #[arg(long, env = "KOMPRESS_LISTEN")]
    pub listen: Option<String>,
    /// HTTP worker threads (overrides the file).
    #[arg(long)]
    pub workers: Option<usize>,
    #[command(flatten)]
    pub service: crate::settings::ServiceFlags,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    // defaults, the file, KOMPRESS__* variables, then the flags below
    let src = match &a.config {
        Some(p) => {
            Some(std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?)
        }
        None => None,
    };
    let mut cfg = ServeConfig::layered(src.as_deref(), std::env::vars()).with_context(|| {
        a.config.as_ref().map_or("serve config".to_string(), |p| {
            format!("config {}", p.display())
        })
    })?;
    if let Some(l) = a.listen {
        cfg.listen = l;
    }
    if let Some(w) = a.workers {
        cfg.workers = w;
    }
    cfg.validate()?;
    // logs and trace export from [telemetry] and OTEL_* variables; flushed when serve returns
    let _telemetry = kompress_telemetry::init(&cfg.telemetry)?;
    let pipeline = crate::settings::service_pipeline_settings(&a.service)?;
    actix_rt::System::new().block_on(kompress_serve::run(cfg, pipeline))?;
    Ok(())
}
