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
    #[arg(long, required_unless_present = "from_store")]
    evictions: Option<PathBuf>,
    /// Read the records from this SQLite memory store instead (with --tenant and --id).
    #[arg(long, requires = "id")]
    from_store: Option<PathBuf>,
    #[arg(long, default_value = "default")]
    tenant: String,
    /// Transcript id the records were stored under (printed by `compress --store`).
    #[arg(long)]
    id: Option<String>,
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
        let e: Eviction =
            serde_json::from_str(&line).map_err(|e| kompress_core::CoreError::MalformedJson {
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
    let original = match (&a.from_store, &a.evictions) {
        (Some(db), _) => {
            let store = kompress_memory::open_store(&kompress_memory::MemoryConfig::sqlite(db))?;
            let id = a.id.as_deref().unwrap_or_default();
            let ev = store.evictions_for_transcript(&a.tenant, id)?;
            kompress_core::restore(&compressed, &ev)?
        }
        (None, Some(path)) => kompress_core::restore(&compressed, &read_evictions(path)?)?,
        (None, None) => anyhow::bail!("give --evictions FILE or --from-store DB --id ID"),
    };
    match &a.out {
        Some(p) => std::fs::write(p, original)?,
        None => std::io::stdout().lock().write_all(original.as_bytes())?,
    }
    Ok(())
}
