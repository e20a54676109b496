//! `kompress run -- CMD …`: runs a command, prints its output compressed, keeps its exit code
//! (a signal `n` gives 128+n) and stores what was evicted in the local memory store, with one
//! hint line on stderr naming the `kompress recall` refs.
//!
//! stdout and stderr are read concurrently (no deadlock on large outputs) and each is its own
//! stream: stdout's ref is the run id, stderr's the run id + `.stderr`. Each stored stream is
//! one record of its compressed text (handle = the stream ref, transcript `REF.out`) plus its
//! evictions (transcript `REF`), so `kompress recall REF` rebuilds it byte-exact. Output is
//! printed only after the store has it; if compressing or storing fails, the original is
//! printed unchanged. Non-UTF-8 output, short output and `pass` rules print unchanged.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context;
use kompress_core::{CompressionConfig, Eviction, EvictionKind, Format};
use kompress_pipeline::{CompressRequest, Pipeline};

use super::run_rules::{Action, Rules, StderrMode};
use crate::settings;

/// Suffix of the transcript id of a stream's compressed-text record.
pub const STREAM_SUFFIX: &str = ".out";

#[derive(clap::Args)]
pub struct Args {
    /// run.toml with the per-command rules (default: $KOMPRESS_RUN_CONFIG, else
    /// $XDG_CONFIG_HOME/kompress/run.toml if present, else built-in rules).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The SQLite memory store (default: $XDG_DATA_HOME/kompress/memory.sqlite or
    /// ~/.local/share/kompress/memory.sqlite).
    #[arg(long, env = "KOMPRESS_STORE")]
    pub store: Option<PathBuf>,
    #[arg(long, default_value = "default")]
    pub tenant: String,
    #[arg(long, default_value = "run")]
    pub session: String,
    /// compress (captured, compressed, printed after stdout) or pass (live, untouched).
    /// Overrides `stderr` in run.toml.
    #[arg(long, value_enum)]
    pub stderr: Option<StderrMode>,
    /// Time N runs of `kompress run -- CMD` against N runs of CMD alone and print p50/p95.
    #[arg(long, value_name = "N")]
    pub bench: Option<usize>,
    /// The command and its arguments.
    #[arg(last = true, required = true, num_args = 1..)]
    pub command: Vec<String>,
}

/// `--store`/`$KOMPRESS_STORE`, else `$XDG_DATA_HOME/kompress/memory.sqlite`, else
/// `~/.local/share/kompress/memory.sqlite`.
pub fn store_path(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .context("no store path: set --store, KOMPRESS_STORE, XDG_DATA_HOME or HOME")?;
    Ok(base.join("kompress").join("memory.sqlite"))
}

/// The shell line rules are matched against: the script of `sh -c SCRIPT`, else the words.
pub fn command_line(argv: &[String]) -> String {
    match argv {
        [sh, flag, script, ..]
            if flag == "-c" && ["sh", "bash", "zsh", "dash"].contains(&basename(sh)) =>
        {
            script.clone()
        }
        _ => argv.join(" "),
    }
}

fn basename(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

/// A fresh id per run: `run-` + 12 hex digits of the command, directory, clock and pid.
fn run_id(argv: &[String]) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for a in argv {
        h.update((a.len() as u64).to_le_bytes());
        h.update(a.as_bytes());
    }
    if let Ok(d) = std::env::current_dir() {
        h.update(d.as_os_str().as_encoded_bytes());
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    h.update(now.to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    format!("run-{}", hex::encode(&h.finalize()[..6]))
}

/// The record that keeps a stream's compressed text, found by the stream's ref.
pub fn stream_eviction(stream_ref: &str, compressed: &str) -> Eviction {
    Eviction {
        transcript_id: format!("{stream_ref}{STREAM_SUFFIX}"),
        message_index: 0,
        start: 0,
        end: compressed.len() as u64,
        original: compressed.to_string(),
        replacement: String::new(),
        decoded: None,
        handle: stream_ref.to_string(),
        hash: kompress_core::content_hash(compressed),
        kind: EvictionKind::Lines,
    }
}

/// One captured stream and what will be printed for it.
struct Stream {
    id: String,
    raw: Vec<u8>,
    compressed: Option<(String, Vec<Eviction>)>,
}

impl Stream {
    fn printed(&self) -> &[u8] {
        match &self.compressed {
            Some((out, _)) => out.as_bytes(),
            None => &self.raw,
        }
    }
}

/// Runs the child with stdout (and stderr unless `pass`) captured; returns the bytes and the
/// exit code (128+n for signal n).
fn capture(argv: &[String], stderr: StderrMode) -> anyhow::Result<(Vec<u8>, Vec<u8>, i32)> {
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped());
    cmd.stderr(match stderr {
        StderrMode::Compress => Stdio::piped(),
        StderrMode::Pass => Stdio::inherit(),
    });
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            // what a shell answers: 127 not found, 126 found but not runnable
            eprintln!("kompress run: {}: {e}", argv[0]);
            let code = if e.kind() == std::io::ErrorKind::NotFound {
                127
            } else {
                126
            };
            return Ok((Vec::new(), Vec::new(), code));
        }
    };
    let err_reader = child.stderr.take().map(|mut pipe| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            pipe.read_to_end(&mut buf).map(|_| buf)
        })
    });
    let mut out = Vec::new();
    if let Some(mut pipe) = child.stdout.take() {
        pipe.read_to_end(&mut out)
            .context("reading the command's stdout")?;
    }
    let err = match err_reader {
        Some(t) => t
            .join()
            .map_err(|_| anyhow::anyhow!("stderr reader panicked"))?
            .context("reading the command's stderr")?,
        None => Vec::new(),
    };
    let status = child.wait().context("waiting for the command")?;
    use std::os::unix::process::ExitStatusExt;
    let code = status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1);
    Ok((out, err, code))
}

pub fn run(a: Args) -> anyhow::Result<i32> {
    if let Some(n) = a.bench {
        super::run_bench::run(&a.command, n)?;
        return Ok(0);
    }
    let rules = Rules::load(a.config.as_deref())?;
    let cfg = &rules.config;
    let action = rules.action_for(&command_line(&a.command));
    let stderr_mode = a.stderr.unwrap_or(cfg.stderr);
    let (out, err, code) = capture(&a.command, stderr_mode)?;

    let id = run_id(&a.command);
    let mut streams = vec![Stream {
        id: id.clone(),
        raw: out,
        compressed: None,
    }];
    if stderr_mode == StderrMode::Compress {
        streams.push(Stream {
            id: format!("{id}.stderr"),
            raw: err,
            compressed: None,
        });
    }
    if matches!(action, Action::Compress | Action::Safe) {
        let todo = streams.iter().any(|s| s.raw.len() >= cfg.min_bytes);
        if todo {
            if let Err(e) = compress_streams(&a, &rules, action, &mut streams) {
                eprintln!("kompress run: output printed unchanged: {e:#}");
                streams.iter_mut().for_each(|s| s.compressed = None);
            }
        }
    }
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(streams[0].printed())?;
    stdout.flush()?;
    let mut stderr = std::io::stderr().lock();
    let mut last = b'\n';
    if let Some(s) = streams.get(1) {
        stderr.write_all(s.printed())?;
        last = s.printed().last().copied().unwrap_or(b'\n');
    }
    if let Some(h) = hint(&a, &streams) {
        // the hint is a line of its own even after output without a final newline
        let sep = if last == b'\n' { "" } else { "\n" };
        writeln!(stderr, "{sep}{h}")?;
    }
    Ok(code)
}

/// Compresses every stream long enough, then stores their records (also when nothing was
/// evicted: `kompress recall REF` gives any stored stream back); only then are they marked
/// for printing compressed.
fn compress_streams(
    a: &Args,
    rules: &Rules,
    action: Action,
    streams: &mut [Stream],
) -> anyhow::Result<()> {
    let mut fc = settings::load(rules.config.settings.as_deref())?;
    fc.compression.mode = match action {
        Action::Safe => kompress_core::Mode::Safe,
        _ => rules.config.mode,
    };
    let pipeline = settings::pipeline(&fc)?;
    let rt = super::runtime()?;
    let mut records = Vec::new();
    let mut done = Vec::new();
    for (i, s) in streams.iter().enumerate() {
        if s.raw.len() < rules.config.min_bytes {
            continue;
        }
        let Ok(text) = std::str::from_utf8(&s.raw) else {
            continue;
        };
        let (output, evictions) = compress_one(&rt, &pipeline, &fc.compression, &s.id, text)?;
        records.extend(kompress_memory::records_for(
            &a.tenant, &a.session, &evictions, None,
        )?);
        records.extend(kompress_memory::records_for(
            &a.tenant,
            &a.session,
            &[stream_eviction(&s.id, &output)],
            None,
        )?);
        done.push((i, output, evictions));
    }
    if done.is_empty() {
        return Ok(());
    }
    let db = store_path(a.store.as_deref())?;
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let store = kompress_memory::open_store(&kompress_memory::MemoryConfig::sqlite(&db))?;
    store
        .put_batch(&records)
        .with_context(|| format!("storing evictions in {}", db.display()))?;
    for (i, output, evictions) in done {
        streams[i].compressed = Some((output, evictions));
    }
    Ok(())
}

fn compress_one(
    rt: &tokio::runtime::Runtime,
    pipeline: &Pipeline,
    config: &CompressionConfig,
    id: &str,
    text: &str,
) -> anyhow::Result<(String, Vec<Eviction>)> {
    let req = CompressRequest {
        transcript_id: id.to_string(),
        format: Format::Text,
        input: text.to_string(),
        config: config.clone(),
    };
    let resp = rt
        .block_on(pipeline.compress(req))
        .with_context(|| format!("compressing {id}"))?;
    Ok((resp.output, resp.evictions))
}

/// One line naming the refs of the stored streams, or nothing when none was stored.
fn hint(a: &Args, streams: &[Stream]) -> Option<String> {
    let mut extra = String::new();
    if a.store.is_some() && std::env::var_os("KOMPRESS_STORE").is_none() {
        let p = a.store.as_deref().map(|p| p.display().to_string());
        extra.push_str(&format!(" --store {}", super::hook::sh_quote(&p?)));
    }
    if a.tenant != "default" {
        extra.push_str(&format!(" --tenant {}", super::hook::sh_quote(&a.tenant)));
    }
    let parts: Vec<String> = streams
        .iter()
        .filter_map(|s| {
            let (_, ev) = s.compressed.as_ref()?;
            let what = if s.id.ends_with(".stderr") {
                "stderr"
            } else {
                "stdout"
            };
            Some(match ev.len() {
                0 => format!("{what} kept whole: kompress recall{extra} {}", s.id),
                n => format!(
                    "{what}: {n} spans evicted, whole: kompress recall{extra} {}",
                    s.id
                ),
            })
        })
        .collect();
    if parts.is_empty() {
        return None;
    }
    let evicted = streams
        .iter()
        .any(|s| s.compressed.as_ref().is_some_and(|(_, ev)| !ev.is_empty()));
    let span = if evicted {
        format!("; one span: kompress recall{extra} REF (the ref=… of a marker)")
    } else {
        String::new()
    };
    Some(format!("[kompress: {}{span}]", parts.join("; ")))
}
