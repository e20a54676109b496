//! Runs systems over cases and scores every output with the kscore metrics.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use kompress_floor::Floor;
use serde::Serialize;

use crate::data::Case;
use crate::metrics::{self, Kept, TokenCounter};
use crate::systems::{Prepared, System};
use crate::EvalError;

/// The score of one output.
#[derive(Debug, Clone, Serialize)]
pub struct CaseRow {
    pub id: String,
    pub source: String,
    pub tokens_in: usize,
    pub tokens_out: usize,
    pub crit: Kept,
    pub ord: Kept,
    pub line: Kept,
    pub line_noansi: Kept,
    pub ms: f64,
    pub failed: bool,
}

/// Pooled (micro) figures over a group of cases.
#[derive(Debug, Clone, Serialize)]
pub struct Aggregate {
    pub n: usize,
    pub failed: usize,
    pub crit_keep: Option<f64>,
    pub ordered_keep: Option<f64>,
    pub line_keep: Option<f64>,
    pub line_keep_noansi: Option<f64>,
    pub savings: f64,
    pub tokens_in: usize,
    pub tokens_out: usize,
    pub median_ms: Option<f64>,
    pub p95_ms: Option<f64>,
}

/// One system's run: per source plus `ALL`.
#[derive(Debug, Clone, Serialize)]
pub struct SystemResult {
    pub name: String,
    pub available: bool,
    pub note: Option<String>,
    pub by_source: BTreeMap<String, Aggregate>,
    #[serde(skip)]
    pub rows: Vec<CaseRow>,
    /// Token keep fraction per case id (drives the matched-rate random baseline).
    #[serde(skip)]
    pub kept_fraction: HashMap<String, f32>,
}

impl SystemResult {
    /// A row for a system that could not run in this build, with the reason.
    pub fn unavailable(name: &str, why: &str) -> SystemResult {
        SystemResult {
            name: name.to_string(),
            available: false,
            note: Some(why.to_string()),
            by_source: BTreeMap::new(),
            rows: Vec::new(),
            kept_fraction: HashMap::new(),
        }
    }

    pub fn all(&self) -> Option<&Aggregate> {
        self.by_source.get("ALL")
    }
}

/// The cases with what every system needs once: o200k counts of the inputs.
pub struct Bench<'a> {
    pub cases: &'a [Case],
    pub tokens_in: Vec<usize>,
    pub counter: TokenCounter,
    pub floor: Floor,
}

impl<'a> Bench<'a> {
    pub fn new(cases: &'a [Case]) -> Result<Bench<'a>, EvalError> {
        let counter = TokenCounter::o200k()?;
        let tokens_in = cases.iter().map(|c| counter.count(&c.text)).collect();
        Ok(Bench {
            cases,
            tokens_in,
            counter,
            floor: Floor::embedded_default(),
        })
    }

    /// Scores one output (`None`: the system failed on the case, kept nothing, saved nothing).
    pub fn score(&self, i: usize, out: Option<&str>, ms: f64) -> CaseRow {
        let c = &self.cases[i];
        let failed = out.is_none();
        let o = out.unwrap_or("");
        let spans = |f: fn(&[String], &str) -> Kept| {
            if c.critical_spans.is_empty() {
                (0, 0)
            } else {
                f(&c.critical_spans, o)
            }
        };
        let lines = |f: fn(&[String], &str) -> Kept| {
            if c.critical_lines.is_empty() {
                (0, 0)
            } else {
                f(&c.critical_lines, o)
            }
        };
        CaseRow {
            id: c.id.clone(),
            source: c.source.clone(),
            tokens_in: self.tokens_in[i],
            tokens_out: if failed {
                self.tokens_in[i]
            } else {
                self.counter.count(o)
            },
            crit: spans(metrics::crit_keep),
            ord: spans(metrics::ordered_keep),
            line: lines(metrics::line_keep),
            line_noansi: lines(metrics::line_keep_noansi),
            ms,
            failed,
        }
    }

    /// Runs an in-process system over every case.
    pub fn run(&self, sys: &mut System) -> Result<SystemResult, EvalError> {
        let mut rows = Vec::with_capacity(self.cases.len());
        let mut kept_fraction = HashMap::new();
        for (i, c) in self.cases.iter().enumerate() {
            let t0 = Instant::now();
            let out = if sys.is_identity() {
                c.text.clone()
            } else {
                let p = Prepared::new(&c.text, &self.floor);
                let choice = sys.choose(&c.id, &p)?;
                sys.render(&c.text, &p, &choice)
            };
            let ms = t0.elapsed().as_secs_f64() * 1e3;
            let row = self.score(i, Some(&out), ms);
            // the share of o200k tokens kept: what a control "at the same saving" matches
            // (a mask's share of kept tokens overstates it where lines fold into rows)
            kept_fraction.insert(
                c.id.clone(),
                (row.tokens_out as f32 / row.tokens_in.max(1) as f32).clamp(0.0, 1.0),
            );
            rows.push(row);
        }
        Ok(finish(&sys.name, rows, kept_fraction))
    }

    /// Scores outputs made elsewhere (`id -> (output or failure, ms)`).
    pub fn score_outputs(
        &self,
        name: &str,
        outs: &HashMap<String, (Option<String>, f64)>,
    ) -> SystemResult {
        let rows = (0..self.cases.len())
            .map(|i| match outs.get(&self.cases[i].id) {
                Some((o, ms)) => self.score(i, o.as_deref(), *ms),
                None => self.score(i, None, 0.0),
            })
            .collect();
        finish(name, rows, HashMap::new())
    }
}

fn add(a: Kept, b: Kept) -> Kept {
    (a.0 + b.0, a.1 + b.1)
}

/// Pools rows into one aggregate.
pub fn aggregate(rows: &[&CaseRow]) -> Aggregate {
    let sum = |f: fn(&CaseRow) -> Kept| rows.iter().fold((0, 0), |acc, r| add(acc, f(r)));
    let tokens_in: usize = rows.iter().map(|r| r.tokens_in).sum();
    let tokens_out: usize = rows.iter().map(|r| r.tokens_out).sum();
    let ms: Vec<f64> = rows.iter().map(|r| r.ms).collect();
    Aggregate {
        n: rows.len(),
        failed: rows.iter().filter(|r| r.failed).count(),
        crit_keep: metrics::ratio(sum(|r| r.crit)),
        ordered_keep: metrics::ratio(sum(|r| r.ord)),
        line_keep: metrics::ratio(sum(|r| r.line)),
        line_keep_noansi: metrics::ratio(sum(|r| r.line_noansi)),
        savings: if tokens_in == 0 {
            0.0
        } else {
            1.0 - tokens_out as f64 / tokens_in as f64
        },
        tokens_in,
        tokens_out,
        median_ms: metrics::percentile(&ms, 0.5),
        p95_ms: metrics::percentile(&ms, 0.95),
    }
}

/// Groups rows per source and overall (`ALL`).
pub fn finish(name: &str, rows: Vec<CaseRow>, kept_fraction: HashMap<String, f32>) -> SystemResult {
    let mut groups: BTreeMap<String, Vec<&CaseRow>> = BTreeMap::new();
    for r in &rows {
        groups.entry(r.source.clone()).or_default().push(r);
        groups.entry("ALL".to_string()).or_default().push(r);
    }
    let by_source = groups
        .iter()
        .map(|(k, v)| (k.clone(), aggregate(v)))
        .collect();
    SystemResult {
        name: name.to_string(),
        available: true,
        note: None,
        by_source,
        rows,
        kept_fraction,
    }
}

/// Keep figure the Pareto plot uses: span keep where there are spans, whole-line keep (ANSI
/// stripped) where there are lines, pooled.
pub fn combined_keep(r: &SystemResult) -> Option<f64> {
    let crit = r.rows.iter().fold((0, 0), |a, x| add(a, x.crit));
    let line = r.rows.iter().fold((0, 0), |a, x| add(a, x.line_noansi));
    metrics::ratio(add(crit, line))
}
