//! Orchestration: the standard line-up, the Pareto sweep, the ensemble and the full report.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use kompress_core::Mode;
use serde::Serialize;

use crate::data::{Case, Split};
use crate::ensemble::{self, EnsembleReport};
use crate::harness::{combined_keep, Bench, SystemResult};
use crate::machine::Machine;
use crate::plot::{self, Series};
use crate::speed::{self, RssPoint, StageReport};
use crate::systems::{self, parse_system, Chooser, Rate, SharedPruner};
use crate::{report, EvalError};

/// Where the peer wrapper lives and which Python runs it.
#[derive(Debug, Clone)]
pub struct PeerSetup {
    pub python: PathBuf,
    pub script: PathBuf,
}

/// Outputs of the peer over a set of cases, or why it could not run.
pub type PeerOutputs = Result<(String, HashMap<String, (Option<String>, f64)>), String>;

/// Runs the peer once over `cases` (its outputs are scored on every split).
pub fn peer_outputs(peer: Option<&PeerSetup>, cases: &[Case]) -> PeerOutputs {
    let p = peer.ok_or_else(|| "not run (no --peer-python given)".to_string())?;
    let version = crate::peer::version(&p.python, &p.script).map_err(|e| e.to_string())?;
    let outs = crate::peer::run(&p.python, &p.script, cases).map_err(|e| e.to_string())?;
    Ok((version, outs))
}

const LEARNED_ROWS: [&str; 4] = [
    "learned + floor",
    "learned, no floor",
    "learned + floor, no self-labelling round",
    "learned, no floor, no self-labelling round",
];

/// A learned pruner under a label (e.g. `final`, `round0`), shared by every system built on it.
#[derive(Clone)]
pub struct LearnedModel {
    pub label: String,
    pub pruner: SharedPruner,
}

/// Two systems per model: with the floor (the product) and without it.
pub fn learned_systems(models: &[LearnedModel]) -> Vec<systems::System> {
    models
        .iter()
        .flat_map(|m| {
            [true, false].map(|floor| {
                let name = if floor {
                    format!("learned {} + floor", m.label)
                } else {
                    format!("learned {}, no floor", m.label)
                };
                systems::pruner_system(&name, m.pruner.clone(), Mode::Safe, None, floor)
            })
        })
        .collect()
}

/// Identity, the statistical pruner (safe, ultra), random and TextRank at the keep rate
/// stat-safe reached on each case, the floor alone, the learned rows and the peer.
/// `learned` = None: the learned rows are listed as unavailable with the reason given.
pub fn standard(
    bench: &Bench<'_>,
    peer: &PeerOutputs,
    learned: Result<&mut [systems::System], &str>,
) -> Result<Vec<SystemResult>, EvalError> {
    let mut out = Vec::new();
    out.push(bench.run(&mut parse_system("identity")?)?);
    let safe = bench.run(&mut systems::stat_system("stat-safe", Mode::Safe, None))?;
    let matched = Rate::Matched(safe.kept_fraction.clone());
    out.push(safe);
    out.push(bench.run(&mut systems::stat_system("stat-ultra", Mode::Ultra, None))?);
    let mut random = systems::simple_system(
        "random lines (rate of stat-safe, seed 42)",
        Chooser::RandomLines {
            rate: matched.clone(),
            seed: 42,
        },
    );
    out.push(bench.run(&mut random)?);
    let mut tr = systems::simple_system(
        "TextRank lines (rate of stat-safe)",
        Chooser::TextRank { rate: matched },
    );
    out.push(bench.run(&mut tr)?);
    out.push(bench.run(&mut systems::simple_system(
        "regex floor only",
        Chooser::FloorOnly,
    ))?);
    match learned {
        Ok(systems) => {
            for sys in systems.iter_mut() {
                out.push(bench.run(sys)?);
            }
        }
        Err(why) => {
            for name in LEARNED_ROWS {
                out.push(SystemResult::unavailable(name, why));
            }
        }
    }
    match peer {
        Ok((version, outs)) => {
            let mut r = bench.score_outputs("headroom-ai (offline, non-ML path)", outs);
            r.note = Some(version.clone());
            out.push(r);
        }
        Err(why) => out.push(SystemResult::unavailable("headroom-ai", why)),
    }
    Ok(out)
}

/// Sweeps `ratios` for the ratio-driven systems; fixed systems become single points.
pub fn pareto(
    bench: &Bench<'_>,
    ratios: &[f32],
    fixed: &[SystemResult],
) -> Result<Vec<Series>, EvalError> {
    let mut series = Vec::new();
    for base in ["stat-safe", "stat-ultra", "textrank", "random"] {
        let mut points = Vec::new();
        for r in ratios {
            let res = bench.run(&mut parse_system(&format!("{base}@{r}"))?)?;
            points.push((
                res.all().map_or(0.0, |a| a.savings),
                combined_keep(&res).unwrap_or(0.0),
            ));
        }
        series.push(Series {
            name: format!("{base} @ target ratio"),
            points,
        });
    }
    for r in fixed.iter().filter(|r| r.available) {
        if let (Some(a), Some(k)) = (r.all(), combined_keep(r)) {
            series.push(Series {
                name: r.name.clone(),
                points: vec![(a.savings, k)],
            });
        }
    }
    Ok(series)
}

#[derive(Serialize)]
pub struct SeriesJson {
    pub name: String,
    /// (savings, keep) per point.
    pub points: Vec<(f64, f64)>,
}

pub fn series_json(s: &[Series]) -> Vec<SeriesJson> {
    s.iter()
        .map(|s| SeriesJson {
            name: s.name.clone(),
            points: s.points.clone(),
        })
        .collect()
}

/// The ensemble of `specs` on the bench. A spec naming a learned model's label (`learned:LABEL`)
/// votes with that model + floor; any other spec goes through [`parse_system`].
pub fn run_ensemble(
    bench: &Bench<'_>,
    specs: &[String],
    models: &[LearnedModel],
) -> Result<EnsembleReport, EvalError> {
    let mut voters = specs
        .iter()
        .map(|s| match s.strip_prefix("learned:") {
            Some(label) => models
                .iter()
                .find(|m| m.label == label)
                .map(|m| systems::pruner_system(s, m.pruner.clone(), Mode::Safe, None, true))
                .ok_or_else(|| {
                    EvalError::config(
                        "ensemble",
                        format!("{s:?}: no model labelled {label:?} was given"),
                    )
                }),
            None => parse_system(s),
        })
        .collect::<Result<Vec<_>, _>>()?;
    ensemble::run(bench, &mut voters)
}

/// Everything `kompress eval --report` regenerates.
pub struct ReportSetup<'a> {
    pub data: &'a Path,
    pub out_dir: &'a Path,
    pub readme: &'a Path,
    pub ratios: Vec<f32>,
    pub peer: Option<PeerSetup>,
    pub ensemble: Vec<String>,
    /// Learned models for the eval-split rows and `learned:LABEL` voters.
    pub learned: Vec<LearnedModel>,
    /// The learned pruner's measured throughput (empty: no model given).
    pub model_speed: Vec<report::ModelSpeedRow>,
    pub rss_sizes: Vec<usize>,
    /// Measures one RSS point (the CLI runs a child process per size).
    pub rss_point: &'a dyn Fn(usize) -> Result<RssPoint, EvalError>,
    /// The command that regenerates the report (shown in its header).
    pub command: String,
}

fn write(path: &Path, s: &str) -> Result<(), EvalError> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(|e| EvalError::io(d, e))?;
    }
    std::fs::write(path, s).map_err(|e| EvalError::io(path, e))
}

/// Runs the whole report and writes it; returns the Markdown.
pub fn full_report(setup: &ReportSetup<'_>, log: &dyn Fn(&str)) -> Result<String, EvalError> {
    let machine = Machine::detect();
    let all_cases = crate::data::load_cases(setup.data, Split::All)?;
    let eval_cases: Vec<Case> = all_cases
        .iter()
        .filter(|c| Split::Eval.contains(&c.id))
        .cloned()
        .collect();
    log("peer: headroom-ai over all cases");
    let peer = peer_outputs(setup.peer.as_ref(), &all_cases);
    let mut md = format!(
        "# kompress evaluation report\n\n{}\nData: `{}`. Regenerate with:\n\n```\n{}\n```\n\n",
        machine.stamp(),
        setup.data.display(),
        setup.command
    );
    let mut json = serde_json::Map::new();
    json.insert("machine".into(), serde_json::to_value(&machine)?);
    let mut eval_results = Vec::new();
    for (split, cases) in [(Split::Eval, &eval_cases), (Split::All, &all_cases)] {
        log(&format!("main table, split {}", split.name()));
        let bench = Bench::new(cases)?;
        let mut learned = learned_systems(&setup.learned);
        let rows = match (split, learned.is_empty()) {
            (_, true) => Err("no model given (kompress eval --model LABEL=DIR)"),
            (Split::Eval, false) => Ok(&mut learned[..]),
            _ => Err("eval split only: the models were trained on the training split"),
        };
        let results = standard(&bench, &peer, rows)?;
        md.push_str(&format!(
            "## Quality, {} split ({} cases)\n\n{}\n{}\n",
            split.name(),
            cases.len(),
            machine.stamp(),
            report::main_table(&results)
        ));
        json.insert(
            format!("systems_{}", split.name()),
            serde_json::to_value(&results)?,
        );
        if split == Split::Eval {
            eval_results = results;
        }
    }
    md.push_str(LEGEND);
    let eval_bench = Bench::new(&eval_cases)?;
    log("pareto sweep, eval split");
    let series = pareto(&eval_bench, &setup.ratios, &eval_results)?;
    let svg = setup.out_dir.join("pareto_eval.svg");
    std::fs::create_dir_all(setup.out_dir).map_err(|e| EvalError::io(setup.out_dir, e))?;
    plot::pareto_svg(
        &svg,
        &format!(
            "savings vs critical keep, eval split ({})",
            machine.date_utc
        ),
        &series,
    )?;
    json.insert(
        "pareto_eval".into(),
        serde_json::to_value(series_json(&series))?,
    );
    md.push_str(&format!("\n## Pareto: savings vs critical keep (eval split)\n\n{}\n![pareto](pareto_eval.svg)\n\nTarget ratios: {:?}.\n", machine.stamp(), setup.ratios));
    log("ensemble, eval split");
    let ens = run_ensemble(&eval_bench, &setup.ensemble, &setup.learned)?;
    md.push_str(&format!(
        "\n## Ensemble voting (eval split): {}\n\n{}\n{}",
        setup.ensemble.join(", "),
        machine.stamp(),
        report::ensemble_tables(&ens)
    ));
    json.insert("ensemble_eval".into(), serde_json::to_value(&ens)?);
    log("speed per stage");
    let dev_all: String = all_cases
        .iter()
        .map(|c| c.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let stages: Vec<StageReport> = vec![
        speed::time_stages("dev set, all texts joined", &dev_all, 5),
        speed::time_stages("generated log, 8 MB", &speed::generate_log(8 << 20, 3), 3),
    ];
    let memcpy = speed::memcpy_gb_per_s();
    md.push_str(&format!("\n## Speed per stage (CPU, one thread, statistical pruner)\n\n{}\n{}\nGPU: no GPU available to this task.\n", machine.stamp(), report::stage_table(&stages, memcpy)));
    if setup.model_speed.is_empty() {
        md.push_str("\nLearned pruner speed: not measured (no model given).\n");
    } else {
        md.push_str(&format!(
            "\n## Learned pruner speed vs the hardware limit\n\n{}\n{}",
            machine.stamp(),
            report::model_speed_table(&setup.model_speed)
        ));
        json.insert(
            "model_speed".into(),
            serde_json::to_value(&setup.model_speed)?,
        );
    }
    json.insert("stages".into(), serde_json::to_value(&stages)?);
    json.insert("memcpy_gb_per_s".into(), memcpy.into());
    log("peak RSS vs input size");
    let rss: Vec<RssPoint> = setup
        .rss_sizes
        .iter()
        .map(|&n| (setup.rss_point)(n))
        .collect::<Result<_, _>>()?;
    md.push_str(&format!(
        "\n## Peak RSS vs input size (generated log, one child process per size)\n\n{}\n{}",
        machine.stamp(),
        report::rss_table(&rss)
    ));
    json.insert("rss".into(), serde_json::to_value(&rss)?);
    write(&setup.out_dir.join("README.md"), &md)?;
    write(
        &setup.out_dir.join("eval.json"),
        &serde_json::to_string_pretty(&json)?,
    )?;
    let bench_md = md.replace("](pareto_eval.svg)", "](../docs/report/pareto_eval.svg)");
    write(setup.readme, &bench_md)?;
    Ok(md)
}

pub const LEGEND: &str = "crit keep: count-aware share of critical span occurrences found byte-exact in the output (stack traces); ordered keep: the same matched in order; line keep: critical lines present whole and byte-exact (CI logs), also with ANSI colour codes stripped on both sides; savings: 1 - o200k tokens out / in, pooled over cases; ms: per case, in-process (the peer: measured inside its Python process). Random and TextRank keep whole lines up to the share of tokens stat-safe kept on the same case; both run without the floor. Every in-process system is rendered by the same rewriter (elision markers included). Learned rows: a model directory scores each case once, and that time is in the first row using it (`learned LABEL + floor`); the rows after it that reuse those scores (the same model without the floor, blends of it) show only their own stages, so see \"Learned pruner speed\" below for the model's cost.\n";
