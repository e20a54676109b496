pub mod bench;
pub mod compress;
pub mod eval;
pub mod eval_models;
pub mod hook;
pub mod kafka;
pub mod recall;
pub mod restore;
pub mod run;
mod run_bench;
pub mod run_rules;
pub mod score;
pub mod serve;
#[cfg(feature = "learned")]
pub mod train;

use std::io::Read;
use std::path::Path;

use anyhow::Context;

/// Reads FILE or stdin (`-`) as UTF-8, with a typed error naming the file, line and offset.
pub fn read_input(path: &Path) -> anyhow::Result<String> {
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("reading stdin")?;
    } else {
        bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    }
    let name = path.display().to_string();
    String::from_utf8(bytes).or_else(|e| {
        let bytes = e.into_bytes();
        kompress_core::utf8(&bytes)
            .map(|s| s.to_string())
            .with_context(|| format!("{name}: not UTF-8"))
    })
}

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}
