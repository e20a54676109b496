//! Self-labelling (`kompress relabel`): a trained model plus the floor become the oracle for
//! the records that have no external labels; the next training round reads the result.
//! Records with dev-set labels keep them (they are the ground truth), evaluation-split cases
//! are dropped.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::config::RelabelConfig;
use super::data::write_jsonl;
use super::load_training_records;
use super::teacher::Teacher;
use crate::error::ModelError;
use crate::pruner::TchPruner;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelabelReport {
    pub records: usize,
    pub relabelled: usize,
    /// Tokens whose keep label differs from the teacher's, over tokens relabelled.
    pub changed_fraction: f64,
    pub seconds: f64,
}

/// Merges adjacent kept tokens into byte ranges.
fn ranges(tokens: &[kompress_core::Token], keep: impl Fn(usize) -> bool) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if !keep(i) {
            continue;
        }
        match out.last_mut() {
            Some(last) if last.1 == t.start => last.1 = t.end,
            _ => out.push((t.start, t.end)),
        }
    }
    out
}

pub fn relabel(cfg: &RelabelConfig) -> Result<RelabelReport, ModelError> {
    let started = Instant::now();
    tch::set_num_threads(cfg.threads);
    let pruner = TchPruner::load(&cfg.model_dir, crate::device::best_device())?;
    let teacher = Teacher::new(kompress_floor::Floor::embedded_default());
    let mut records = load_training_records(&cfg.data, None)?;
    let (mut relabelled, mut changed, mut total) = (0usize, 0usize, 0usize);
    for rec in records.iter_mut().filter(|r| !r.has_external_labels()) {
        rec.keep_ranges = None;
        rec.critical_ranges = None;
        let doc = kompress_tokenize::tokenize(rec.text.as_str());
        let before = teacher.label(rec, &doc);
        let scores = &pruner.score_texts(&[&doc])?[0];
        let mask = teacher.floor().mask(&doc);
        let forced = |i: usize| mask.line_forced[doc.tokens[i].line as usize];
        let keep = |i: usize| scores.token_logits[i] < 0.0 || forced(i);
        changed += (0..doc.tokens.len())
            .filter(|&i| keep(i) != before.keep[i])
            .count();
        total += doc.tokens.len();
        rec.keep_ranges = Some(ranges(&doc.tokens, keep));
        rec.critical_ranges = Some(ranges(&doc.tokens, forced));
        relabelled += 1;
    }
    write_jsonl(&cfg.out, &records)?;
    Ok(RelabelReport {
        records: records.len(),
        relabelled,
        changed_fraction: if total == 0 {
            0.0
        } else {
            changed as f64 / total as f64
        },
        seconds: started.elapsed().as_secs_f64(),
    })
}
