//! Runs the default floor over the dev set and reports how much of the labelled critical
//! content it protects, how dense its hits are, and how fast it scans.
//!
//! cargo run --release -p kompress-floor --example devset -- [DEV_JSONL] [--split all|eval|train]
//!     [--misses N]   (print N unprotected critical spans and lines, default 12)

use std::time::Instant;

use anyhow::{bail, Context, Result};
use kompress_core::split_lines;
use kompress_floor::{Floor, FloorHit, Keep};
use sha2::{Digest, Sha256};

struct Case {
    id: String,
    source: String,
    text: String,
    spans: Vec<String>,
    lines: Vec<String>,
}

fn is_eval(id: &str) -> bool {
    // int(sha256(id), 16) % 3 == 0, computed digit by digit.
    Sha256::digest(id.as_bytes())
        .iter()
        .fold(0u32, |r, b| (r * 256 + u32::from(*b)) % 3)
        == 0
}

fn load(path: &str, split: &str) -> Result<Vec<Case>> {
    let src = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    let mut out = Vec::new();
    for (n, line) in src.lines().enumerate() {
        let v: serde_json::Value =
            serde_json::from_str(line).with_context(|| format!("{path}:{}", n + 1))?;
        let strs = |k: &str| -> Vec<String> {
            v.get(k)
                .and_then(|a| a.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        let id = v["id"].as_str().context("id")?.to_string();
        let keep = match split {
            "all" => true,
            "eval" => is_eval(&id),
            "train" => !is_eval(&id),
            other => bail!("unknown split {other:?}"),
        };
        if keep {
            out.push(Case {
                source: v["source"].as_str().context("source")?.to_string(),
                text: v["text"].as_str().context("text")?.to_string(),
                spans: strs("critical_spans"),
                lines: strs("critical_lines"),
                id,
            });
        }
    }
    Ok(out)
}

/// Whether every non-whitespace byte of `[a, b)` lies inside some hit (hits are sorted).
fn covered(text: &[u8], hits: &[FloorHit], a: usize, b: usize) -> bool {
    let mut k = hits.partition_point(|h| (h.end as usize) <= a);
    for (i, &byte) in text.iter().enumerate().take(b).skip(a) {
        if byte.is_ascii_whitespace() {
            continue;
        }
        while k < hits.len() && (hits[k].end as usize) <= i {
            k += 1;
        }
        if k == hits.len() || (hits[k].start as usize) > i {
            return false;
        }
    }
    true
}

#[derive(Default)]
struct Tally {
    spans: usize,
    spans_covered: usize,
    spans_protected: usize,
    crit_lines: usize,
    crit_lines_forced: usize,
    lines: usize,
    lines_forced: usize,
    bytes: usize,
    hit_bytes: usize,
    hits: usize,
    /// Per span kind (guessed from its shape): (spans, fully covered by hits).
    kinds: std::collections::BTreeMap<&'static str, (usize, usize)>,
}

/// The dev set labels three kinds of defects4j spans without saying which is which:
/// frames (`at ...`), exception class names (one word), messages (the rest).
fn span_kind(span: &str) -> &'static str {
    if span.starts_with("at ") {
        "frame"
    } else if !span.contains(char::is_whitespace) && span.contains(['.', '$']) {
        "exception"
    } else {
        "message"
    }
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    let split = flag("--split").map_or("all", String::as_str);
    let max_misses: usize = flag("--misses")
        .map_or(Ok(12), |s| s.parse())
        .context("--misses N")?;
    let path = args
        .iter()
        .enumerate()
        .find(|(i, a)| !a.starts_with("--") && (*i == 0 || !args[i - 1].starts_with("--")))
        .map_or("../shared/data/dev.jsonl", |(_, a)| a.as_str());
    let cases = load(path, split)?;
    let floor = Floor::embedded_default();

    let mut by_source: std::collections::BTreeMap<String, Tally> = Default::default();
    let mut scan_secs = 0.0f64;
    let mut misses = Vec::new();
    for case in &cases {
        let t0 = Instant::now();
        let hits = floor.scan(&case.text);
        scan_secs += t0.elapsed().as_secs_f64();
        let lines = split_lines(&case.text);
        let mut forced = vec![false; lines.len()];
        for h in hits
            .iter()
            .filter(|h| floor.category_keep(h.category) == Keep::Line)
        {
            let l = lines.partition_point(|l| l.next <= h.start);
            if l < forced.len() {
                forced[l] = true;
            }
        }
        let t = by_source.entry(case.source.clone()).or_default();
        t.bytes += case.text.len();
        t.hits += hits.len();
        t.hit_bytes += hits
            .iter()
            .map(|h| (h.end - h.start) as usize)
            .sum::<usize>();
        t.lines += lines.len();
        t.lines_forced += forced.iter().filter(|f| **f).count();
        let bytes = case.text.as_bytes();
        let mut from = 0;
        for span in &case.spans {
            let Some(off) = case.text[from..].find(span.as_str()) else {
                continue;
            };
            let (a, b) = (from + off, from + off + span.len());
            from = a + 1;
            t.spans += 1;
            let is_cov = covered(bytes, &hits, a, b);
            let l = lines.partition_point(|l| l.next as usize <= a);
            let line_kept = forced.get(l).copied().unwrap_or(false);
            t.spans_covered += usize::from(is_cov);
            let k = t.kinds.entry(span_kind(span)).or_default();
            k.0 += 1;
            k.1 += usize::from(is_cov);
            t.spans_protected += usize::from(is_cov || line_kept);
            if !is_cov && !line_kept && misses.len() < max_misses {
                misses.push(format!("{}: {span:?}", case.id));
            }
        }
        let mut li = 0;
        for want in case.lines.iter().filter(|l| !l.trim().is_empty()) {
            while li < lines.len() && lines[li].content(&case.text) != want {
                li += 1;
            }
            if li == lines.len() {
                break;
            }
            t.crit_lines += 1;
            t.crit_lines_forced += usize::from(forced[li]);
            if !forced[li] && misses.len() < max_misses {
                misses.push(format!("{} line {}: {want:?}", case.id, li + 1));
            }
            li += 1;
        }
    }
    let total_bytes: usize = by_source.values().map(|t| t.bytes).sum();
    println!(
        "dev set {path} (split {split}): {} cases, {:.2} MB",
        cases.len(),
        total_bytes as f64 / 1e6
    );
    println!(
        "floor: {} categories, {} patterns",
        floor.categories().count(),
        floor.patterns().count()
    );
    for (src, t) in &by_source {
        println!(
            "[{src}] {:.1} hits/KB, {:.1}% of bytes in hits, {:.1}% of lines line-forced",
            t.hits as f64 * 1024.0 / t.bytes as f64,
            100.0 * t.hit_bytes as f64 / t.bytes as f64,
            100.0 * t.lines_forced as f64 / t.lines.max(1) as f64
        );
        if t.spans > 0 {
            println!("  critical spans: {}, fully covered by hits {:.3}, covered or on a forced line {:.3}", t.spans, t.spans_covered as f64 / t.spans as f64, t.spans_protected as f64 / t.spans as f64);
            for (kind, (n, cov)) in &t.kinds {
                println!(
                    "    {kind}: {n}, fully covered by hits {:.3}",
                    *cov as f64 / *n as f64
                );
            }
        }
        if t.crit_lines > 0 {
            println!(
                "  critical lines: {}, line-forced {:.3}",
                t.crit_lines,
                t.crit_lines_forced as f64 / t.crit_lines as f64
            );
        }
    }
    println!(
        "scan throughput (one thread, whole texts): {:.1} MB/s",
        total_bytes as f64 / 1e6 / scan_secs
    );
    if !misses.is_empty() {
        println!("some unprotected critical spans and lines:");
        for m in misses {
            println!("  {m}");
        }
    }
    Ok(())
}
