//! Voting ensembles over pruner variants, and recall per stratum of critical content.
//!
//! Every voter decides a keep mask; a `k-of-n` rule keeps a token when at least k voters keep it
//! (`or` = 1-of-n, drop-if-any `and` = n-of-n). Critical labels are located in the input and put
//! in strata by the floor categories of the hits that overlap them; a label counts as recalled by
//! a mask when every token it covers is kept. Every mask, voters' included, keeps floor hits
//! atomic (a hit partly kept is kept whole), so `and` never beats its weakest voter and `or` never
//! falls below its best one.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use serde::Serialize;

use crate::harness::{self, Bench, CaseRow, SystemResult};
use crate::systems::{render_choice, Choice, Prepared, System};
use crate::EvalError;

/// A vote rule: keep a token when at least `k` of the `n` voters keep it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vote {
    pub k: usize,
    pub n: usize,
}

impl Vote {
    /// `and`, `or` or `K-of-N` (N must equal the number of voters).
    pub fn parse(s: &str, n: usize) -> Result<Vote, EvalError> {
        let v = match s {
            "and" => Vote { k: n, n },
            "or" => Vote { k: 1, n },
            _ => {
                let (k, m) = s
                    .split_once("-of-")
                    .and_then(|(k, m)| Some((k.parse::<usize>().ok()?, m.parse::<usize>().ok()?)))
                    .ok_or_else(|| {
                        EvalError::config("vote", format!("{s:?} is not and, or or K-of-N"))
                    })?;
                if m != n || k == 0 || k > n {
                    return Err(EvalError::config(
                        "vote",
                        format!("{s:?} does not fit {n} voters"),
                    ));
                }
                Vote { k, n }
            }
        };
        Ok(v)
    }

    pub fn name(&self) -> String {
        match self.k {
            1 => "or".to_string(),
            k if k == self.n => "and".to_string(),
            k => format!("{k}-of-{}", self.n),
        }
    }

    pub fn combine(&self, masks: &[&[u8]]) -> Vec<u8> {
        let len = masks.first().map_or(0, |m| m.len());
        (0..len)
            .map(|t| u8::from(masks.iter().filter(|m| m[t] != 0).count() >= self.k))
            .collect()
    }
}

/// Recall of one stratum for every voter and rule (same order as [`EnsembleReport::columns`]).
#[derive(Debug, Clone, Serialize)]
pub struct StratumRow {
    pub stratum: String,
    pub total: usize,
    pub recall: Vec<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnsembleReport {
    /// Voter names, then rule names.
    pub columns: Vec<String>,
    pub results: Vec<SystemResult>,
    pub strata: Vec<StratumRow>,
    /// Rules not dominated by another rule on (savings, keep).
    pub pareto_best: Vec<String>,
}

/// Byte ranges of the labelled content of a case, located in order in its text.
fn label_ranges(
    text: &str,
    spans: &[String],
    lines: &[String],
    doc: &kompress_core::TokenizedText,
) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut cursor = 0;
    for s in spans.iter().filter(|s| !s.is_empty()) {
        let found = text[cursor..]
            .find(s.as_str())
            .map(|j| cursor + j)
            .or_else(|| text.find(s.as_str()));
        if let Some(a) = found {
            out.push((a, a + s.len()));
            cursor = a + s.len();
        }
    }
    let mut by_content: HashMap<&str, Vec<usize>> = HashMap::new();
    for (li, l) in doc.lines.iter().enumerate().rev() {
        by_content.entry(l.content(text)).or_default().push(li);
    }
    for l in lines.iter().filter(|l| !l.trim().is_empty()) {
        if let Some(li) = by_content.get_mut(l.as_str()).and_then(|v| v.pop()) {
            let line = &doc.lines[li];
            out.push((line.start as usize, line.end as usize));
        }
    }
    out
}

fn tokens_of(doc: &kompress_core::TokenizedText, a: usize, b: usize) -> std::ops::Range<usize> {
    let first = doc.tokens.partition_point(|t| (t.end as usize) <= a);
    let last = doc.tokens.partition_point(|t| (t.start as usize) < b);
    first..last.max(first)
}

/// Runs the voters and every k-of-n rule over the cases.
pub fn run(bench: &Bench<'_>, voters: &mut [System]) -> Result<EnsembleReport, EvalError> {
    let n = voters.len();
    if n < 2 {
        return Err(EvalError::config("ensemble", "needs at least two voters"));
    }
    let rules: Vec<Vote> = (1..=n).map(|k| Vote { k, n }).collect();
    let mut columns: Vec<String> = voters.iter().map(|v| v.name.clone()).collect();
    columns.extend(rules.iter().map(Vote::name));
    let cols = columns.len();
    let mut rows: Vec<Vec<CaseRow>> = vec![Vec::new(); cols];
    // stratum -> (total, kept per column)
    let mut strata: BTreeMap<String, (usize, Vec<usize>)> = BTreeMap::new();
    for (i, c) in bench.cases.iter().enumerate() {
        let p = Prepared::new(&c.text, &bench.floor);
        let mut choices: Vec<Choice> = Vec::with_capacity(cols);
        let mut ms = Vec::with_capacity(cols);
        for v in voters.iter_mut() {
            let t0 = Instant::now();
            let mut ch = v.choose(&c.id, &p)?;
            p.mask.widen(&mut ch.keep);
            choices.push(ch);
            ms.push(t0.elapsed().as_secs_f64() * 1e3);
        }
        let vote_ms: f64 = ms.iter().sum();
        for r in &rules {
            let masks: Vec<&[u8]> = choices[..n].iter().map(|c| c.keep.as_slice()).collect();
            let mut keep = r.combine(&masks);
            p.mask.widen(&mut keep);
            let in_block = (0..p.doc.lines.len())
                .map(|li| choices[..n].iter().any(|c| c.in_block[li]))
                .collect();
            let use_floor = choices[..n].iter().any(|c| c.use_floor);
            choices.push(Choice {
                keep,
                in_block,
                use_floor,
            });
            ms.push(vote_ms);
        }
        for (col, ch) in choices.iter().enumerate() {
            let cfg = if col < n {
                &voters[col].cfg
            } else {
                &voters[0].cfg
            };
            let t0 = Instant::now();
            let out = render_choice(&c.text, &p, ch, cfg);
            let total_ms = ms[col] + t0.elapsed().as_secs_f64() * 1e3;
            rows[col].push(bench.score(i, Some(&out), total_ms));
        }
        let hits = bench.floor.scan(&c.text);
        for (a, b) in label_ranges(&c.text, &c.critical_spans, &c.critical_lines, &p.doc) {
            let mut cats: Vec<&str> = hits
                .iter()
                .filter(|h| (h.start as usize) < b && (h.end as usize) > a)
                .map(|h| bench.floor.category_name(h.category))
                .collect();
            cats.sort_unstable();
            cats.dedup();
            if cats.is_empty() {
                cats.push("(no floor category)");
            }
            let toks = tokens_of(&p.doc, a, b);
            let kept: Vec<bool> = choices
                .iter()
                .map(|ch| toks.clone().all(|t| ch.keep[t] != 0))
                .collect();
            for cat in cats.into_iter().chain(std::iter::once("ALL")) {
                let e = strata
                    .entry(cat.to_string())
                    .or_insert_with(|| (0, vec![0; cols]));
                e.0 += 1;
                for (col, k) in kept.iter().enumerate() {
                    e.1[col] += usize::from(*k);
                }
            }
        }
    }
    let results: Vec<SystemResult> = columns
        .iter()
        .zip(rows)
        .map(|(name, r)| harness::finish(name, r, HashMap::new()))
        .collect();
    let point = |r: &SystemResult| {
        (
            r.all().map_or(0.0, |a| a.savings),
            harness::combined_keep(r).unwrap_or(0.0),
        )
    };
    let rule_points: Vec<(f64, f64)> = results[n..].iter().map(point).collect();
    let pareto_best = rule_points
        .iter()
        .enumerate()
        .filter(|(i, p)| {
            !rule_points
                .iter()
                .enumerate()
                .any(|(j, q)| j != *i && q.0 >= p.0 && q.1 >= p.1 && (q.0 > p.0 || q.1 > p.1))
        })
        .map(|(i, _)| columns[n + i].clone())
        .collect();
    let strata = strata
        .into_iter()
        .map(|(stratum, (total, kept))| StratumRow {
            stratum,
            total,
            recall: kept
                .iter()
                .map(|k| *k as f64 / total.max(1) as f64)
                .collect(),
        })
        .collect();
    Ok(EnsembleReport {
        columns,
        results,
        strata,
        pareto_best,
    })
}
