//! `scan` throughput on realistic tool output: the dev set texts when present
//! (`KOMPRESS_DEV_SET`, default `../shared/data/dev.jsonl` beside the repo), else a generated
//! CI log. Also times the alternative design (RegexSet prefilter + one `find_iter` per
//! matching pattern) that the one-pass multi-pattern regex was chosen over.

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kompress_floor::Floor;

fn dev_set_text() -> Option<String> {
    let path = std::env::var_os("KOMPRESS_DEV_SET")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/dev.jsonl")
        });
    let src = std::fs::read_to_string(&path).ok()?;
    let mut all = String::new();
    for line in src.lines() {
        let v: serde_json::Value = serde_json::from_str(line).ok()?;
        all.push_str(v.get("text")?.as_str()?);
        all.push('\n');
    }
    eprintln!(
        "floor bench: {} bytes of dev-set text from {}",
        all.len(),
        path.display()
    );
    Some(all)
}

/// A deterministic CI log: timestamps, maven/gradle noise, a compiler error, a stack trace.
fn generated_log(target: usize) -> String {
    let mut out = String::with_capacity(target + 512);
    let mut i = 0u64;
    while out.len() < target {
        let h = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40;
        let line = match i % 9 {
            0 => format!("2024-03-0{}T12:{:02}:{:02}.{:07}Z [INFO] Downloading from central: https://repo.maven.apache.org/maven2/org/apache/commons/commons-lang3/3.12.{}/commons-lang3-3.12.{}.pom", i % 9 + 1, i % 60, (i * 7) % 60, h % 10_000_000, i % 10, i % 10),
            1 => format!("[INFO] Compiling {} source files to /home/runner/work/app/app/target/classes", h % 500),
            2 => format!("[ERROR] /home/runner/work/app/src/main/java/org/acme/service/OrderService.java:[{},{}] cannot find symbol", h % 900, i % 80),
            3 => "  symbol:   class ImportScanner".to_string(),
            4 => format!("\tat org.acme.service.OrderService.place(OrderService.java:{})", h % 1000),
            5 => format!("java.lang.IllegalStateException: order {:08x} already closed after {}ms", h, i % 5000),
            6 => format!("Step {} took {:.1}s, memory 512MB, exit code {}", i, (h % 100) as f64 / 10.0, i % 3),
            7 => format!("commit {:012x} Author: dev{}@example.com  merged the well-known fix for the deadline issue, e.g. retries", h, i % 7),
            _ => format!("warning: unused variable `x{}` --> src/lib.rs:{}:5 (run with -O2 --verbose to see more)", i, h % 300),
        };
        out.push_str(&line);
        out.push('\n');
        i += 1;
    }
    out
}

/// The rejected design: a RegexSet says which patterns occur, then each of them is searched
/// on its own and overlaps are resolved by earliest start, then pattern priority.
struct SetScan {
    set: regex::RegexSet,
    each: Vec<regex::Regex>,
}

impl SetScan {
    fn new(floor: &Floor) -> SetScan {
        let pats: Vec<&str> = floor.patterns().map(|(_, p)| p).collect();
        SetScan {
            set: regex::RegexSet::new(&pats).expect("set builds"),
            each: pats
                .iter()
                .map(|p| regex::Regex::new(p).expect("pattern builds"))
                .collect(),
        }
    }

    fn scan(&self, text: &str) -> usize {
        let mut all: Vec<(usize, usize, usize)> = Vec::new();
        for id in self.set.matches(text).iter() {
            all.extend(
                self.each[id]
                    .find_iter(text)
                    .map(|m| (m.start(), id, m.end())),
            );
        }
        all.sort_unstable();
        let mut end = 0;
        let mut kept = 0;
        for (s, _, e) in all {
            if s >= end {
                kept += 1;
                end = e;
            }
        }
        kept
    }
}

fn bench(c: &mut Criterion) {
    let floor = Floor::embedded_default();
    let dev = dev_set_text();
    let generated = generated_log(4 << 20);
    let mut g = c.benchmark_group("floor_scan");
    g.sample_size(10);
    let mut inputs = vec![("generated_ci_log", generated)];
    if let Some(d) = dev {
        inputs.insert(0, ("dev_set", d));
    } else {
        eprintln!("floor bench: dev set not found, using only the generated log");
    }
    for (name, text) in &inputs {
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(format!("meta_one_pass/{name}"), |b| {
            b.iter(|| floor.scan(std::hint::black_box(text)).len())
        });
    }
    if std::env::var_os("KOMPRESS_BENCH_REGEXSET").is_some() {
        // Far slower (one full pass per matching pattern): timed on a 256 KiB prefix.
        let set = SetScan::new(&floor);
        for (name, text) in &inputs {
            let mut cut = text.len().min(256 << 10);
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            let prefix = &text[..cut];
            g.throughput(Throughput::Bytes(prefix.len() as u64));
            g.bench_function(format!("meta_one_pass_256k/{name}"), |b| {
                b.iter(|| floor.scan(std::hint::black_box(prefix)).len())
            });
            g.bench_function(format!("regexset_then_find_iter_256k/{name}"), |b| {
                b.iter(|| set.scan(std::hint::black_box(prefix)))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
