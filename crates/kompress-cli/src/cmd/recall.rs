//! `kompress recall REF`: the original text behind a ref from the local memory store,
//! byte-exact. REF is a marker's handle (`ref=ab12cd34`: the evicted lines) or a stream ref
//! printed by `kompress run` (`run-…`: the command's whole stdout; `run-….stderr`: its
//! stderr), rebuilt from the stored compressed text and its evictions.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use super::run::{store_path, STREAM_SUFFIX};

#[derive(clap::Args)]
pub struct Args {
    /// A marker's handle (`ab12cd34`) or a run's ref (`run-…`, `run-….stderr`).
    #[arg(value_name = "REF")]
    reference: String,
    /// The SQLite memory store (default as for `kompress run`).
    #[arg(long, env = "KOMPRESS_STORE")]
    store: Option<PathBuf>,
    #[arg(long, default_value = "default")]
    tenant: String,
    /// Only records of this session.
    #[arg(long)]
    session: Option<String>,
    /// Write the text here instead of stdout.
    #[arg(long, short)]
    out: Option<PathBuf>,
}

/// What a ref resolves to.
pub fn recall(
    store: &dyn kompress_memory::MemoryStore,
    tenant: &str,
    session: Option<&str>,
    reference: &str,
) -> anyhow::Result<String> {
    let reference = reference
        .trim()
        .trim_start_matches("ref=")
        .trim_end_matches(']');
    let found = store
        .get_by_handle(tenant, session, reference)?
        .with_context(|| format!("no record with ref {reference:?} in tenant {tenant:?}"))?;
    let stream = found
        .transcript_id
        .strip_suffix(STREAM_SUFFIX)
        .filter(|t| *t == reference);
    let Some(transcript) = stream else {
        return Ok(found.original);
    };
    if found.scrubbed {
        anyhow::bail!("the record of {reference} was scrubbed: it no longer restores byte-exact");
    }
    // no evictions: the stream was printed whole and its stored text is the original
    let evictions = store.evictions_for_transcript(tenant, transcript)?;
    Ok(kompress_core::restore(&found.original, &evictions)?)
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let db = store_path(a.store.as_deref())?;
    if !db.is_file() {
        anyhow::bail!("no memory store at {}", db.display());
    }
    let store = kompress_memory::open_store(&kompress_memory::MemoryConfig::sqlite(&db))?;
    let text = recall(
        store.as_ref(),
        &a.tenant,
        a.session.as_deref(),
        &a.reference,
    )?;
    match &a.out {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(())
}
