//! `kompress run --bench N -- CMD …`: what `kompress run` adds to a command. Times N runs
//! of `kompress run -- CMD` (this binary, a throw-away store) against N runs of CMD alone,
//! after 3 warm-up runs of each, interleaved so load changes hit both alike: wall time to the
//! first byte of output (to exit when there is none) and to exit, p50 and p95.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

struct Timing {
    first: Duration,
    exit: Duration,
}

fn time_once(argv: &[String], store: &std::path::Path) -> anyhow::Result<Timing> {
    let t0 = Instant::now();
    let mut child = Command::new(&argv[0])
        .args(&argv[1..])
        .env("KOMPRESS_STORE", store)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", argv[0]))?;
    let mut pipe = child.stdout.take().context("no stdout pipe")?;
    let mut buf = [0u8; 64 * 1024];
    let mut first = None;
    loop {
        let n = pipe.read(&mut buf)?;
        if n == 0 {
            break;
        }
        first.get_or_insert_with(|| t0.elapsed());
    }
    child.wait()?;
    let exit = t0.elapsed();
    Ok(Timing {
        first: first.unwrap_or(exit),
        exit,
    })
}

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)].as_secs_f64() * 1e3
}

pub fn run(command: &[String], n: usize) -> anyhow::Result<()> {
    let n = n.max(1);
    let exe = std::env::current_exe().context("locating the kompress binary")?;
    let mut wrapped = vec![exe.display().to_string(), "run".into(), "--".into()];
    wrapped.extend(command.iter().cloned());
    let store = std::env::temp_dir().join(format!("kompress-bench-{}.sqlite", std::process::id()));
    let (mut d_first, mut d_exit, mut k_first, mut k_exit) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..n + 3 {
        let d = time_once(command, &store)?;
        let k = time_once(&wrapped, &store)?;
        if i >= 3 {
            d_first.push(d.first);
            d_exit.push(d.exit);
            k_first.push(k.first);
            k_exit.push(k.exit);
        }
    }
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", store.display()));
    }
    println!(
        "command: {}   runs: {n} (after 3 warm-up runs)",
        command.join(" ")
    );
    println!("                         p50 ms   p95 ms");
    let rows = [
        ("direct, first output", &mut d_first),
        ("direct, exit", &mut d_exit),
        ("kompress run, first output", &mut k_first),
        ("kompress run, exit", &mut k_exit),
    ];
    let mut p50 = Vec::new();
    for (name, v) in rows {
        let (a, b) = (pct(v, 0.5), pct(v, 0.95));
        p50.push(a);
        println!("{name:<27} {a:>7.2}  {b:>7.2}");
    }
    println!("added to first output (p50): {:.2} ms", p50[2] - p50[0]);
    Ok(())
}
