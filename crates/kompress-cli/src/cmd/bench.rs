//! `kompress bench`: throughput of the CPU path (no model) on a set of texts, median of runs;
//! `--gate` benchmarks the fused CUDA gate kernel against its unfused form and the CPU twin.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use kompress_core::{CompressionConfig, Mode};
use kompress_floor::Floor;
use kompress_pipeline::stages::compress_text_direct;
use kompress_stat::StatPruner;

#[derive(clap::Args)]
pub struct Args {
    /// JSONL with a "text" field per line (e.g. ../shared/data/dev.jsonl), or a plain text file.
    #[arg(long)]
    data: Option<PathBuf>,
    #[arg(long, default_value_t = 7)]
    runs: usize,
    #[arg(long)]
    mode: Option<Mode>,
    /// Benchmark the gate kernel instead (GPU when present, CPU twin always).
    #[arg(long)]
    gate: bool,
    /// Also time each text as one call, in process, with the default pruner (`auto`, built as
    /// `kompress compress` builds it) and with `--pruner stat`, in the same run: p50 and p95.
    #[arg(long)]
    latency: bool,
    /// Also run `kompress compress` on the first text as a child process this many times, with
    /// the default pruner and with `--pruner stat`: end-to-end wall time, p50 and p95; first
    /// `kompress --version` as many times: start-up time and peak RSS.
    #[arg(long, default_value_t = 0)]
    spawn: usize,
}

fn texts(path: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let s = super::read_input(path)?;
    if path.extension().is_some_and(|e| e == "jsonl") {
        s.lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
            .map(|(i, l)| {
                let v: serde_json::Value = serde_json::from_str(l)
                    .with_context(|| format!("{}:{}", path.display(), i + 1))?;
                v["text"]
                    .as_str()
                    .map(str::to_string)
                    .with_context(|| format!("{}:{}: no \"text\" field", path.display(), i + 1))
            })
            .collect()
    } else {
        Ok(vec![s])
    }
}

pub fn run(a: Args) -> anyhow::Result<()> {
    if a.gate {
        let report = kompress_gpu::bench_gate(&kompress_gpu::BenchOptions::default())?;
        println!("{report}");
        return Ok(());
    }
    let path = a
        .data
        .context("--data is required (a JSONL set or a text file)")?;
    let texts = texts(&path)?;
    let bytes: usize = texts.iter().map(String::len).sum();
    let floor = Floor::embedded_default();
    let mut pruner = StatPruner::default();
    let cfg = CompressionConfig {
        mode: a.mode.unwrap_or_default(),
        ..Default::default()
    };
    let mut secs = Vec::with_capacity(a.runs);
    let mut out_bytes = 0;
    for _ in 0..a.runs.max(1) {
        let t0 = Instant::now();
        out_bytes = 0;
        for t in &texts {
            let (_, r) = compress_text_direct(t, &mut pruner, &floor, &cfg)?;
            out_bytes += r.text.len();
        }
        secs.push(t0.elapsed().as_secs_f64());
    }
    secs.sort_by(f64::total_cmp);
    let med = secs[secs.len() / 2];
    println!(
        "cpu path ({:?}, one thread): {} texts, {:.2} MB in, {:.2} MB out; median {:.1} ms of {} runs = {:.1} MB/s (min {:.1} ms)",
        cfg.mode,
        texts.len(),
        bytes as f64 / 1e6,
        out_bytes as f64 / 1e6,
        med * 1e3,
        secs.len(),
        bytes as f64 / 1e6 / med,
        secs[0] * 1e3
    );
    if a.latency {
        latency(&texts, &floor, &cfg, a.runs.max(1))?;
    }
    if a.spawn > 0 {
        spawn(&texts[0], a.spawn)?;
    }
    Ok(())
}

fn pct(xs: &mut [f64], p: f64) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[((p * xs.len() as f64).ceil() as usize).clamp(1, xs.len()) - 1]
}

/// Per-call time of each text with the default pruner and the statistical one, interleaved
/// call by call so that both see the same machine.
fn latency(
    texts: &[String],
    floor: &Floor,
    cfg: &CompressionConfig,
    runs: usize,
) -> anyhow::Result<()> {
    let stat_cfg = kompress_stat::StatConfig::default();
    let mut auto = kompress_pruners::PrunerSpec::default().build(&stat_cfg)?;
    let mut stat: Box<dyn kompress_core::Pruner> = Box::new(StatPruner::default());
    let (mut ta, mut ts) = (Vec::new(), Vec::new());
    let bpe = tiktoken_rs::o200k_base().context("loading o200k_base")?;
    let tokens: usize = texts.iter().map(|t| bpe.encode_ordinary(t).len()).sum();
    for _ in 0..runs {
        for t in texts {
            for (p, out) in [(&mut auto, &mut ta), (&mut stat, &mut ts)] {
                let t0 = Instant::now();
                let r = compress_text_direct(t, p.as_mut(), floor, cfg)?;
                std::hint::black_box(r);
                out.push(t0.elapsed().as_secs_f64() * 1e3);
            }
        }
    }
    println!(
        "per call, in process ({} texts, {:.0} o200k tokens each on average, {runs} runs):",
        texts.len(),
        tokens as f64 / texts.len().max(1) as f64
    );
    for (name, xs) in [("default (auto)", &mut ta), ("--pruner stat", &mut ts)] {
        println!(
            "  {name:<15} p50 {:.2} ms  p95 {:.2} ms",
            pct(xs, 0.5),
            pct(xs, 0.95)
        );
    }
    Ok(())
}

/// Largest resident set of any child waited for so far, in MiB (`getrusage(RUSAGE_CHILDREN)`).
fn children_peak_rss_mib() -> f64 {
    // SAFETY: getrusage fills the zeroed struct it is given and reads nothing else.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above; RUSAGE_CHILDREN is a valid `who`.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    if rc == 0 {
        ru.ru_maxrss as f64 / 1024.0
    } else {
        f64::NAN
    }
}

/// Start-up of this binary: `kompress --version` as a child `n` times (wall p50 / p95, and the
/// peak RSS of those children, measured before any other child runs).
fn startup(exe: &std::path::Path, n: usize) -> anyhow::Result<()> {
    let mut xs = Vec::new();
    for _ in 0..n {
        let t0 = Instant::now();
        let st = std::process::Command::new(exe)
            .arg("--version")
            .stdout(std::process::Stdio::null())
            .status()?;
        xs.push(t0.elapsed().as_secs_f64() * 1e3);
        anyhow::ensure!(st.success(), "kompress --version exited with {st}");
    }
    println!(
        "start-up, `kompress --version` ({n} runs, learned pruner {}): p50 {:.1} ms  p95 {:.1} ms  \
         peak RSS {:.1} MiB",
        if kompress_pruners::LEARNED {
            "linked"
        } else {
            "not built"
        },
        pct(&mut xs, 0.5),
        pct(&mut xs, 0.95),
        children_peak_rss_mib()
    );
    Ok(())
}

/// `kompress compress` as a child process on `text`, default pruner and stat alternating.
fn spawn(text: &str, n: usize) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    startup(&exe, n)?;
    let input = std::env::temp_dir().join(format!("kompress-bench-{}.txt", std::process::id()));
    std::fs::write(&input, text)?;
    let (mut ta, mut ts) = (Vec::new(), Vec::new());
    for _ in 0..n {
        for (extra, out) in [(None, &mut ta), (Some("stat"), &mut ts)] {
            let mut c = std::process::Command::new(&exe);
            c.arg("compress").arg(&input);
            if let Some(p) = extra {
                c.args(["--pruner", p]);
            }
            c.stdout(std::process::Stdio::null());
            let t0 = Instant::now();
            let st = c.status()?;
            out.push(t0.elapsed().as_secs_f64() * 1e3);
            anyhow::ensure!(st.success(), "kompress compress exited with {st}");
        }
    }
    std::fs::remove_file(&input).ok();
    println!(
        "end to end, `kompress compress FILE` ({} bytes, {n} runs each):",
        text.len()
    );
    for (name, xs) in [("default (auto)", &mut ta), ("--pruner stat", &mut ts)] {
        println!(
            "  {name:<15} p50 {:.1} ms  p95 {:.1} ms",
            pct(xs, 0.5),
            pct(xs, 0.95)
        );
    }
    Ok(())
}
