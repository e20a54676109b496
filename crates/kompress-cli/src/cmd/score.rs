//! `kompress score`: the kscore metrics, natively, over a JSONL set (../shared/data format).
//! Every case is also restored and checked byte-exact against its input.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use kompress_core::Format;
use kompress_pipeline::CompressRequest;
use serde::Deserialize;

use kompress_eval::metrics::{crit_keep, line_keep, line_keep_noansi, ordered_keep};

use crate::settings;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub pruner: crate::settings::PrunerFlags,
    /// JSONL cases: {"id", "source", "text", "critical_spans"?, "critical_lines"?}.
    #[arg(long)]
    data: PathBuf,
    /// eval | train | all (a case is in eval when sha256(id) % 3 == 0).
    #[arg(long, default_value = "all")]
    split: String,
    #[command(flatten)]
    pub compression: settings::CompressionFlags,
    /// Also write {"id", "out"} lines for ../shared/data/kscore.py --outputs.
    #[arg(long)]
    outputs: Option<PathBuf>,
    /// Write the table (Markdown) here as well as to stdout.
    #[arg(long)]
    table: Option<PathBuf>,
    #[arg(long)]
    config: Option<PathBuf>,
    /// Name shown in the table.
    #[arg(long, default_value = "kompress")]
    name: String,
}

#[derive(Deserialize)]
struct Case {
    id: String,
    #[serde(default)]
    source: String,
    text: String,
    #[serde(default)]
    critical_spans: Vec<String>,
    #[serde(default)]
    critical_lines: Vec<String>,
}

pub fn in_eval_split(id: &str) -> bool {
    use sha2::Digest;
    sha2::Sha256::digest(id.as_bytes())
        .iter()
        .fold(0u32, |r, b| (r * 256 + u32::from(*b)) % 3)
        == 0
}

#[derive(Default)]
struct Agg {
    n: usize,
    crit: (usize, usize),
    ord: (usize, usize),
    line: (usize, usize),
    linea: (usize, usize),
    tok_in: usize,
    tok_out: usize,
    ms: Vec<f64>,
    restore_fail: usize,
}

fn ratio(a: (usize, usize)) -> String {
    if a.1 == 0 {
        "-".into()
    } else {
        format!("{:.3}", a.0 as f64 / a.1 as f64)
    }
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let mut fc = settings::load(a.config.as_deref())?;
    a.pruner.apply(&mut fc)?;
    a.compression.apply(&mut fc.compression)?;
    let f =
        std::fs::File::open(&a.data).with_context(|| format!("opening {}", a.data.display()))?;
    let mut cases = Vec::new();
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let c: Case = serde_json::from_str(&line)
            .with_context(|| format!("{}:{}: not a case", a.data.display(), i + 1))?;
        let keep = match a.split.as_str() {
            "all" => true,
            "eval" => in_eval_split(&c.id),
            "train" => !in_eval_split(&c.id),
            other => anyhow::bail!(kompress_core::CoreError::config(
                "split",
                format!("{other:?} is not one of: eval, train, all")
            )),
        };
        if keep {
            cases.push(c);
        }
    }
    let bpe = tiktoken_rs::o200k_base().context("loading o200k_base")?;
    let pipeline = settings::pipeline(&fc)?;
    let rt = super::runtime()?;
    let pb = indicatif::ProgressBar::new(cases.len() as u64);
    pb.set_style(indicatif::ProgressStyle::with_template(
        "{bar:40} {pos}/{len} {msg} [{elapsed}<{eta}]",
    )?);
    let mut aggs: BTreeMap<String, Agg> = BTreeMap::new();
    let mut outs = a
        .outputs
        .as_ref()
        .map(|p| std::fs::File::create(p).map(std::io::BufWriter::new))
        .transpose()?;
    for c in &cases {
        pb.set_message(c.id.clone());
        let t0 = Instant::now();
        let req = CompressRequest {
            transcript_id: c.id.clone(),
            format: Format::Text,
            input: c.text.clone(),
            config: fc.compression.clone(),
        };
        let resp = rt
            .block_on(pipeline.compress(req))
            .with_context(|| format!("case {}", c.id))?;
        let ms = t0.elapsed().as_secs_f64() * 1e3;
        let restored_ok = kompress_core::restore(&resp.output, &resp.evictions)
            .map(|r| r == c.text)
            .unwrap_or(false);
        let out = &resp.output;
        // per source, per detected kind of text (what `auto` routes on), and overall
        let kind = kompress_stat::classify(&kompress_tokenize::tokenize(c.text.as_str()));
        for key in [
            c.source.clone(),
            format!("kind:{}", kind.name()),
            "ALL".to_string(),
        ] {
            let g = aggs.entry(key).or_default();
            g.n += 1;
            g.ms.push(ms);
            g.restore_fail += usize::from(!restored_ok);
            g.tok_in += bpe.encode_ordinary(&c.text).len();
            g.tok_out += bpe.encode_ordinary(out).len();
            if !c.critical_spans.is_empty() {
                let k = crit_keep(&c.critical_spans, out);
                let o = ordered_keep(&c.critical_spans, out);
                g.crit = (g.crit.0 + k.0, g.crit.1 + k.1);
                g.ord = (g.ord.0 + o.0, g.ord.1 + o.1);
            }
            if !c.critical_lines.is_empty() {
                let k = line_keep(&c.critical_lines, out);
                g.line = (g.line.0 + k.0, g.line.1 + k.1);
                let k = line_keep_noansi(&c.critical_lines, out);
                g.linea = (g.linea.0 + k.0, g.linea.1 + k.1);
            }
        }
        if let Some(w) = outs.as_mut() {
            serde_json::to_writer(
                &mut *w,
                &serde_json::json!({"id": c.id, "out": out, "kind": kind.name()}),
            )?;
            w.write_all(b"\n")?;
        }
        pb.inc(1);
    }
    pb.finish_and_clear();
    if let Some(w) = outs.as_mut() {
        w.flush()?;
    }
    let mut table = String::from(
        "| name | source | n | crit keep | ordered keep | line keep | line keep (ANSI stripped) | o200k savings | median ms | p95 ms | restore ok |\n|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for (src, g) in &mut aggs {
        g.ms.sort_by(f64::total_cmp);
        let pct = |p: f64| g.ms[((p * g.ms.len() as f64).ceil() as usize).clamp(1, g.ms.len()) - 1];
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {:.3} | {:.1} | {:.1} | {}/{} |\n",
            a.name,
            src,
            g.n,
            ratio(g.crit),
            ratio(g.ord),
            ratio(g.line),
            ratio(g.linea),
            1.0 - g.tok_out as f64 / g.tok_in.max(1) as f64,
            pct(0.5),
            pct(0.95),
            g.n - g.restore_fail,
            g.n
        ));
    }
    print!("{table}");
    if let Some(p) = &a.table {
        std::fs::write(p, &table)?;
    }
    let fails: usize = aggs.get("ALL").map_or(0, |g| g.restore_fail);
    if fails > 0 {
        anyhow::bail!(kompress_core::CoreError::Restore {
            reason: format!("{fails} cases did not restore byte-exact")
        });
    }
    Ok(())
}
