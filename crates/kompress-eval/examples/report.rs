//! The full report without the CLI (same code `kompress eval --report` runs):
//!
//!     cargo run --release -p kompress-eval --example report -- DATA [OUT_DIR] [README] [RSS_MAX_MB]
//!
//! The Python peer runs from `.venv/bin/python scripts/eval/headroom_peer.py` when present.

use std::path::{Path, PathBuf};

use kompress_eval::run::{full_report, PeerSetup, ReportSetup};
use kompress_eval::speed;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--rss-child") {
        let n: usize = args.get(1).map_or(Ok(1024), |s| s.parse())?;
        println!("{}", serde_json::to_string(&speed::rss_child(n)?)?);
        return Ok(());
    }
    let data = PathBuf::from(
        args.first()
            .map_or("../shared/data/dev.jsonl", String::as_str),
    );
    let out_dir = PathBuf::from(args.get(1).map_or("docs/report", String::as_str));
    let readme = PathBuf::from(args.get(2).map_or("benches/README.md", String::as_str));
    let rss_max_mb: usize = args.get(3).map_or(Ok(10), |s| s.parse())?;
    let exe = std::env::current_exe()?;
    let rss = move |n: usize| speed::rss_point_in_child(&exe, &[], n);
    let mut sizes = Vec::new();
    let mut n = 1_000usize;
    while n <= rss_max_mb * 1_000_000 {
        sizes.push(n);
        n *= 10;
    }
    let python = Path::new(".venv/bin/python");
    let setup = ReportSetup {
        data: &data,
        out_dir: &out_dir,
        readme: &readme,
        ratios: vec![0.1, 0.2, 0.3, 0.5, 0.7, 0.9],
        peer: python.exists().then(|| PeerSetup {
            python: python.to_path_buf(),
            script: PathBuf::from("scripts/eval/headroom_peer.py"),
        }),
        ensemble: vec![
            "stat-safe".into(),
            "stat-ultra".into(),
            "stat-safe@0.3".into(),
        ],
        rss_sizes: sizes,
        rss_point: &rss,
    };
    print!("{}", full_report(&setup, &|m| eprintln!("report: {m}"))?);
    Ok(())
}
