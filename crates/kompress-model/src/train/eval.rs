//! Token-level metrics of a pruner on the dev set's evaluation split: how many critical tokens
//! it keeps (alone and with the floor's forced lines) and how many tokens it keeps overall.
//! Keep = eviction logit below 0 (the token head's argmax). The pipeline's gate, rewriter and
//! line logic are not involved; the end-to-end figures come from `kscore.py`.

use serde::{Deserialize, Serialize};

use kompress_core::TokenKind;

use super::data::{is_held_out, Record};
use super::teacher::Teacher;
use crate::error::ModelError;
use crate::pruner::TchPruner;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EvalMetrics {
    pub cases: usize,
    /// Non-blank tokens scored.
    pub tokens: usize,
    pub critical_tokens: usize,
    /// Fraction of critical tokens the model keeps on its own.
    pub critical_recall_model: f64,
    /// Same, with the floor's forced lines kept too.
    pub critical_recall_with_floor: f64,
    /// Fraction of non-blank tokens kept (model or floor).
    pub keep_rate_with_floor: f64,
}

pub fn evaluate(
    pruner: &TchPruner,
    teacher: &Teacher,
    dev: &[Record],
) -> Result<EvalMetrics, ModelError> {
    let mut m = EvalMetrics::default();
    let (mut crit_model, mut crit_floor, mut kept) = (0usize, 0usize, 0usize);
    for rec in dev
        .iter()
        .filter(|r| is_held_out(r) && r.has_external_labels())
    {
        let doc = kompress_tokenize::tokenize(rec.text.as_str());
        let labels = teacher.label(rec, &doc);
        let scores = &pruner.score_texts(&[&doc])?[0];
        let mask = teacher.floor().mask(&doc);
        m.cases += 1;
        for (i, tok) in doc.tokens.iter().enumerate() {
            if tok.kind == TokenKind::Space {
                continue;
            }
            let model_keep = scores.token_logits[i] < 0.0;
            let keep = model_keep || mask.line_forced[tok.line as usize];
            m.tokens += 1;
            kept += usize::from(keep);
            if labels.critical[i] {
                m.critical_tokens += 1;
                crit_model += usize::from(model_keep);
                crit_floor += usize::from(keep);
            }
        }
    }
    let frac = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    m.critical_recall_model = frac(crit_model, m.critical_tokens);
    m.critical_recall_with_floor = frac(crit_floor, m.critical_tokens);
    m.keep_rate_with_floor = frac(kept, m.tokens);
    Ok(m)
}
