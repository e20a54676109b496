//! Markdown tables for the results.

use std::fmt::Write;

use crate::ensemble::EnsembleReport;
use crate::harness::{Aggregate, SystemResult};
use crate::speed::{RssPoint, StageReport};

fn f3(x: Option<f64>) -> String {
    x.map_or("-".to_string(), |v| format!("{v:.3}"))
}

fn f1(x: Option<f64>) -> String {
    x.map_or("-".to_string(), |v| format!("{v:.1}"))
}

pub const MAIN_HEADER: &str = "| system | source | n | crit keep | ordered keep | line keep | line keep (ANSI stripped) | o200k savings | median ms | p95 ms |\n|---|---|---|---|---|---|---|---|---|---|\n";

fn agg_cells(a: &Aggregate) -> String {
    format!(
        "{} | {} | {} | {} | {} | {:.3} | {} | {}",
        a.n,
        f3(a.crit_keep),
        f3(a.ordered_keep),
        f3(a.line_keep),
        f3(a.line_keep_noansi),
        a.savings,
        f1(a.median_ms),
        f1(a.p95_ms)
    )
}

/// One row per system and source (`ALL` last); unavailable systems say why.
pub fn main_table(results: &[SystemResult]) -> String {
    let mut s = String::from(MAIN_HEADER);
    for r in results {
        if !r.available {
            let _ = writeln!(
                s,
                "| {} | - | - | {} | | | | | | |",
                r.name,
                r.note.as_deref().unwrap_or("not available")
            );
            continue;
        }
        let mut keys: Vec<&String> = r.by_source.keys().filter(|k| *k != "ALL").collect();
        if let Some(all) = r.by_source.keys().find(|k| *k == "ALL") {
            keys.push(all);
        }
        for k in keys {
            let _ = writeln!(s, "| {} | {} | {} |", r.name, k, agg_cells(&r.by_source[k]));
        }
    }
    s
}

/// Voters and rules on the standard metrics, then recall per stratum.
pub fn ensemble_tables(e: &EnsembleReport) -> String {
    let mut s = main_table(&e.results);
    let _ = writeln!(s, "\nRecall per stratum (a label counts when every token it covers is kept; strata are the floor categories overlapping it):\n");
    let _ = writeln!(s, "| stratum | labels | {} |", e.columns.join(" | "));
    let _ = writeln!(s, "|---|---|{}", "---|".repeat(e.columns.len()));
    for row in &e.strata {
        let cells: Vec<String> = row.recall.iter().map(|r| format!("{r:.3}")).collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} |",
            row.stratum,
            row.total,
            cells.join(" | ")
        );
    }
    let _ = writeln!(
        s,
        "\nPareto-best vote rule(s) on (savings, keep): {}",
        e.pareto_best.join(", ")
    );
    s
}

pub fn stage_table(reports: &[StageReport], memcpy_gb_s: f64) -> String {
    let mut s = String::from("| input | bytes | tokens | stage | median µs | MB/s | M tokens/s |\n|---|---|---|---|---|---|---|\n");
    for r in reports {
        for st in &r.stages {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {:.0} | {:.1} | {:.2} |",
                r.input, r.bytes, r.tokens, st.stage, st.median_us, st.mb_per_s, st.mtokens_per_s
            );
        }
    }
    let _ = writeln!(
        s,
        "\nHardware limit: memcpy {memcpy_gb_s:.1} GB/s (bytes read + written, 64 MiB buffers).\n"
    );
    let _ = writeln!(s, "| input | gate bytes/token | gate GB/s | gate share of memcpy | CPU path MB/s (total) | CPU path share of memcpy |\n|---|---|---|---|---|---|");
    for r in reports {
        let total = r.stages.last().map_or(0.0, |t| t.mb_per_s);
        let _ = writeln!(
            s,
            "| {} | {:.1} | {:.2} | {:.1}% | {:.1} | {:.2}% |",
            r.input,
            r.gate_bytes_per_token,
            r.gate_gb_per_s,
            100.0 * r.gate_gb_per_s / memcpy_gb_s,
            total,
            100.0 * total / 1e3 / memcpy_gb_s
        );
    }
    s
}

pub fn rss_table(points: &[RssPoint]) -> String {
    let mut s = String::from("| input bytes | peak RSS before compressing (KiB) | peak RSS after (KiB) | growth (KiB) | growth / input bytes | ms |\n|---|---|---|---|---|---|\n");
    for p in points {
        let growth = p.peak_kib.saturating_sub(p.before_kib);
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {:.1} | {:.1} |",
            p.input_bytes,
            p.before_kib,
            p.peak_kib,
            growth,
            growth as f64 * 1024.0 / p.input_bytes.max(1) as f64,
            p.ms
        );
    }
    s
}

/// The learned pruner's throughput against the device's measured GEMM rate.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ModelSpeedRow {
    pub name: String,
    pub device: String,
    pub threads: i32,
    pub pieces: usize,
    pub pieces_per_s: f64,
    pub flops_per_piece: f64,
    pub achieved_gflops: f64,
    pub gemm_gflops: f64,
}

pub fn model_speed_table(rows: &[ModelSpeedRow]) -> String {
    let mut s = String::from("| model | device | threads | pieces | pieces/s | MFLOPs/piece | achieved GFLOP/s | GEMM GFLOP/s (same device and type) | share of GEMM |\n|---|---|---|---|---|---|---|---|---|\n");
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.0}% |",
            r.name,
            r.device,
            r.threads,
            r.pieces,
            r.pieces_per_s,
            r.flops_per_piece / 1e6,
            r.achieved_gflops,
            r.gemm_gflops,
            100.0 * r.achieved_gflops / r.gemm_gflops.max(1e-9)
        );
    }
    s
}
