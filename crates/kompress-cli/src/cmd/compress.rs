use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use kompress_core::Format;
use kompress_pipeline::CompressRequest;

use crate::settings;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub pruner: crate::settings::PrunerFlags,
    /// Input file, or - for stdin.
    #[arg(default_value = "-")]
    input: PathBuf,
    /// text | openai | anthropic | responses | auto (JSON transcripts).
    #[arg(long, default_value = "text")]
    format: Format,
    #[command(flatten)]
    pub compression: settings::CompressionFlags,
    /// Write eviction records here (JSON Lines); needed for `kompress restore`.
    #[arg(long)]
    evictions: Option<PathBuf>,
    /// Store the eviction records in this SQLite memory store (created if missing).
    #[arg(long)]
    store: Option<PathBuf>,
    /// Tenant the stored records belong to.
    #[arg(long, default_value = "default")]
    tenant: String,
    /// Session the stored records belong to.
    #[arg(long, default_value = "cli")]
    session: String,
    /// Write the compressed output here instead of stdout.
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Transcript id stored in the records (default: sha256 of the input, 16 hex digits).
    #[arg(long)]
    id: Option<String>,
    /// kompress.toml with [compression], [stat] and floor settings.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Print statistics as JSON on stderr.
    #[arg(long)]
    stats: bool,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let mut fc = settings::load(a.config.as_deref())?;
    a.pruner.apply(&mut fc)?;
    a.compression.apply(&mut fc.compression)?;
    let input = super::read_input(&a.input)?;
    let id = a.id.clone().unwrap_or_else(|| {
        use sha2::Digest;
        hex::encode(&sha2::Sha256::digest(input.as_bytes())[..8])
    });
    let pipeline = settings::pipeline(&fc)?;
    let req = CompressRequest {
        transcript_id: id,
        format: a.format,
        input,
        config: fc.compression.clone(),
    };
    let name = a.input.display().to_string();
    let resp = super::runtime()?
        .block_on(pipeline.compress(req))
        .with_context(|| format!("compressing {name}"))?;
    match &a.out {
        Some(p) => {
            std::fs::write(p, &resp.output).with_context(|| format!("writing {}", p.display()))?
        }
        None => std::io::stdout().lock().write_all(resp.output.as_bytes())?,
    }
    if let Some(p) = &a.evictions {
        let mut f = std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        );
        for e in &resp.evictions {
            serde_json::to_writer(&mut f, e)?;
            f.write_all(b"\n")?;
        }
        f.flush()?;
    }
    if let Some(db) = &a.store {
        let store = kompress_memory::open_store(&kompress_memory::MemoryConfig::sqlite(db))?;
        let records = kompress_memory::records_for(&a.tenant, &a.session, &resp.evictions, None)?;
        store
            .put_batch(&records)
            .with_context(|| format!("storing evictions in {}", db.display()))?;
        eprintln!(
            "kompress: transcript id {} ({} evictions stored)",
            resp.evictions
                .first()
                .map_or("-", |e| e.transcript_id.as_str()),
            records.len()
        );
    }
    if a.stats {
        eprintln!("{}", serde_json::to_string(&resp.stats)?);
    }
    Ok(())
}
