use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::Context;
use kompress_core::Eviction;

#[derive(clap::Args)]
pub struct Args {
    /// The compressed file, or - for stdin.
    #[arg(default_value = "-")]
    compressed: PathBuf,
    /// The eviction records written by `kompress compress --evictions`.
    #[arg(long)]
    evictions: PathBuf,
    #[arg(long, short)]
    out: Option<PathBuf>,
}

pub fn read_evictions(path: &std::path::Path) -> anyhow::Result<Vec<Eviction>> {
    let f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.with_context(|| format!("{}:{}: reading", path.display(), i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let e: Eviction = serde_json::from_str(&line).map_err(|e| kompress_core::CoreError::MalformedJson {
            line: i + 1,
            column: e.column(),
            reason: format!("{}: {e}", path.display()),
        })?;
        out.push(e);
    }
    Ok(out)
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let compressed = super::read_input(&a.compressed)?;
    let ev = read_evictions(&a.evictions)?;
    let original = kompress_core::restore(&compressed, &ev)?;
    match &a.out {
        Some(p) => std::fs::write(p, original)?,
        None => std::io::stdout().lock().write_all(original.as_bytes())?,
    }
    Ok(())
}
