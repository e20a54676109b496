//! `kompress eval`: every system side by side on a JSONL set (kscore metrics per source and
//! overall), the Pareto sweep, voting ensembles, and `--report` to regenerate docs/report/ and
//! benches/README.md. The harness lives in the kompress-eval crate.

use std::path::{Path, PathBuf};

use anyhow::Context;
use kompress_eval::data::{load_cases, Split};
use kompress_eval::harness::Bench;
use kompress_eval::run::{self, PeerSetup, ReportSetup};
use kompress_eval::speed::RssPoint;
use kompress_eval::{machine::Machine, plot, report, EvalError};

#[derive(clap::Args)]
pub struct Args {
    /// JSONL cases in the ../shared/data format.
    #[arg(long, required_unless_present = "rss_child")]
    data: Option<PathBuf>,
    /// eval | train | all (a case is in eval when sha256(id) % 3 == 0).
    #[arg(long, default_value = "eval")]
    split: String,
    /// Write the results as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the Markdown tables here (they always go to stdout).
    #[arg(long)]
    md: Option<PathBuf>,
    /// Draw the Pareto plot (SVG) here, sweeping --ratios.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Keep ratios for the Pareto sweep.
    #[arg(long, value_delimiter = ',', default_value = "0.1,0.2,0.3,0.5,0.7,0.9")]
    ratios: Vec<f32>,
    /// Voters: identity, floor, stat-safe[@R], stat-ultra[@R], textrank@R, random@R,
    /// learned:LABEL (a --model).
    #[arg(long, value_delimiter = ',')]
    ensemble: Vec<String>,
    /// and | or | K-of-N: the rule to print first (every rule is computed).
    #[arg(long)]
    vote: Option<String>,
    /// Python with headroom-ai installed (the peer); skipped when absent.
    #[arg(long, default_value = ".venv/bin/python")]
    peer_python: PathBuf,
    #[arg(long, default_value = "scripts/eval/headroom_peer.py")]
    peer_script: PathBuf,
    /// Do not run the peer.
    #[arg(long)]
    no_peer: bool,
    /// Regenerate docs/report/ and benches/README.md (tables, plot, speed, RSS).
    #[arg(long)]
    report: bool,
    #[arg(long, default_value = "docs/report")]
    out_dir: PathBuf,
    #[arg(long, default_value = "benches/README.md")]
    readme: PathBuf,
    /// Largest input of the RSS sweep, in MB (100 for the full 1 KB..100 MB sweep).
    #[arg(long, default_value_t = 10)]
    rss_max_mb: usize,
    /// A learned model beside the other systems (eval split): LABEL=DIR, or LABEL=blend:DIR
    /// for the model blended with the statistical pruner. Repeatable; `learned:LABEL` then
    /// names it as an ensemble voter.
    #[arg(long = "model", value_parser = super::eval_models::parse_model_arg)]
    models: Vec<super::eval_models::ModelArg>,
    /// Bytes of eval-split text timed for the learned pruner's speed row (--report).
    #[arg(long, default_value_t = 200_000)]
    model_speed_bytes: usize,
    /// Internal: measure peak RSS for one input size in this process and print it as JSON.
    #[arg(long, hide = true)]
    rss_child: Option<usize>,
}

fn peer(a: &Args) -> Option<PeerSetup> {
    (!a.no_peer).then(|| PeerSetup {
        python: a.peer_python.clone(),
        script: a.peer_script.clone(),
    })
}

/// This invocation as a shell line (`kompress eval …`), for the report's header.
fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    format!("kompress {}", args.join(" "))
}

/// Runs `kompress eval --rss-child N` and reads its JSON line.
fn rss_point(bytes: usize) -> Result<RssPoint, EvalError> {
    let exe = std::env::current_exe().map_err(|e| EvalError::io("current executable", e))?;
    kompress_eval::speed::rss_point_in_child(&exe, &["eval"], bytes)
}

fn rss_sizes(max_mb: usize) -> Vec<usize> {
    let mut v = Vec::new();
    let mut n = 1_000usize;
    while n <= max_mb * 1_000_000 {
        v.push(n);
        n *= 10;
    }
    if max_mb >= 100 && !v.contains(&100_000_000) {
        v.push(100_000_000);
    }
    v
}

fn write_opt(path: Option<&Path>, s: &str) -> anyhow::Result<()> {
    if let Some(p) = path {
        std::fs::write(p, s).with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(())
}

pub fn run(a: Args) -> anyhow::Result<()> {
    if let Some(n) = a.rss_child {
        println!(
            "{}",
            serde_json::to_string(&kompress_eval::speed::rss_child(n)?)?
        );
        return Ok(());
    }
    let data = a.data.clone().context("--data is required")?;
    let learned = super::eval_models::learned_models(&a.models)?;
    if a.report {
        let model_speed = super::eval_models::model_speed(&a.models, &data, a.model_speed_bytes)?;
        let setup = ReportSetup {
            data: &data,
            out_dir: &a.out_dir,
            readme: &a.readme,
            ratios: a.ratios.clone(),
            peer: peer(&a),
            ensemble: if a.ensemble.is_empty() {
                vec![
                    "stat-safe".into(),
                    "stat-ultra".into(),
                    "stat-safe@0.3".into(),
                ]
            } else {
                a.ensemble.clone()
            },
            learned,
            model_speed,
            rss_sizes: rss_sizes(a.rss_max_mb),
            rss_point: &rss_point,
            command: command_line(),
        };
        let md = run::full_report(&setup, &|m| eprintln!("kompress eval: {m}"))?;
        print!("{md}");
        return Ok(());
    }
    let split = Split::parse(&a.split)?;
    let cases = load_cases(&data, split)?;
    let bench = Bench::new(&cases)?;
    let machine = Machine::detect();
    let mut md = format!(
        "{}\nSplit {} ({} cases) of `{}`.\n\n",
        machine.stamp(),
        split.name(),
        cases.len(),
        data.display()
    );
    let mut json = serde_json::Map::new();
    json.insert("machine".into(), serde_json::to_value(&machine)?);
    json.insert("split".into(), split.name().into());
    if a.ensemble.is_empty() {
        let peer_outs = run::peer_outputs(peer(&a).as_ref(), &cases);
        let mut systems = run::learned_systems(&learned);
        let rows = if systems.is_empty() {
            Err("no model given (--model LABEL=DIR)")
        } else {
            Ok(&mut systems[..])
        };
        let results = run::standard(&bench, &peer_outs, rows)?;
        md.push_str(&report::main_table(&results));
        md.push('\n');
        md.push_str(run::LEGEND);
        json.insert("systems".into(), serde_json::to_value(&results)?);
        if let Some(p) = &a.plot {
            let series = run::pareto(&bench, &a.ratios, &results)?;
            plot::pareto_svg(
                p,
                &format!("savings vs critical keep, {} split", split.name()),
                &series,
            )?;
            json.insert(
                "pareto".into(),
                serde_json::to_value(run::series_json(&series))?,
            );
        }
    } else {
        let ens = run::run_ensemble(&bench, &a.ensemble, &learned)?;
        if let Some(v) = &a.vote {
            let rule = kompress_eval::ensemble::Vote::parse(v, a.ensemble.len())?.name();
            if let Some(r) = ens.results.iter().find(|r| r.name == rule) {
                md.push_str(&format!(
                    "Vote rule {rule}:\n\n{}\n",
                    report::main_table(std::slice::from_ref(r))
                ));
            }
        }
        md.push_str(&report::ensemble_tables(&ens));
        json.insert("ensemble".into(), serde_json::to_value(&ens)?);
    }
    print!("{md}");
    write_opt(a.md.as_deref(), &md)?;
    write_opt(a.json.as_deref(), &serde_json::to_string_pretty(&json)?)?;
    Ok(())
}
