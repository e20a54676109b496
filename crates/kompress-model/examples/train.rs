//! Runs training or self-labelling from a JSON settings file until `kompress train` /
//! `kompress relabel` call the same library functions.
//! Usage:
//!   cargo run -p kompress-model --example train -- train SETTINGS.json
//!   cargo run -p kompress-model --example train -- relabel SETTINGS.json

use anyhow::{bail, Context, Result};
use kompress_model::{relabel, train, RelabelConfig, TrainConfig};

fn main() -> Result<()> {
    tracing_subscriber::fmt().with_env_filter("info").init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [cmd, path] = args.as_slice() else {
        bail!("usage: train|relabel SETTINGS.json");
    };
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    match cmd.as_str() {
        "train" => {
            let cfg: TrainConfig =
                serde_json::from_str(&text).with_context(|| format!("parsing {path}"))?;
            let report = train(&cfg)?;
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        "relabel" => {
            let cfg: RelabelConfig =
                serde_json::from_str(&text).with_context(|| format!("parsing {path}"))?;
            let report = relabel(&cfg)?;
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        other => bail!("unknown command {other:?} (train or relabel)"),
    }
    Ok(())
}
