//! Records into model-sized training windows with per-piece targets.

use kompress_core::{Token, TokenizedText};

use super::data::Record;
use super::teacher::{Teacher, TokenLabels};
use crate::chunk::chunk_pieces;
use crate::error::ModelError;
use crate::hf::HfTokenizer;

/// One window: `[CLS] pieces [SEP]` with a target per position (special tokens have weight 0).
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub ids: Vec<i64>,
    /// 1 = keep, 0 = evict (the token head's class).
    pub keep: Vec<i64>,
    /// Loss weight: 0 for special tokens, `critical_weight` for critical pieces, else 1.
    pub weight: Vec<f32>,
    /// Span-head target in {0, 1}.
    pub span: Vec<f32>,
}

/// Labels of the tokens overlapping `[s, e)`: (keep, critical, span), each "any".
fn piece_label(tokens: &[Token], l: &TokenLabels, s: u32, e: u32) -> (bool, bool, bool) {
    let mut t = tokens.partition_point(|tok| tok.end <= s);
    let (mut k, mut c, mut sp) = (false, false, false);
    while t < tokens.len() && tokens[t].start < e.max(s + 1) {
        k |= l.keep[t];
        c |= l.critical[t];
        sp |= l.span[t];
        t += 1;
    }
    (k, c, sp)
}

pub fn examples_of(
    rec: &Record,
    doc: &TokenizedText,
    teacher: &Teacher,
    tok: &HfTokenizer,
    window: usize,
    critical_weight: f32,
) -> Result<Vec<Example>, ModelError> {
    let labels = teacher.label(rec, doc);
    let pieces = tok.pieces(&doc.text)?;
    let chunks = chunk_pieces(
        &doc.text,
        &doc.lines,
        &pieces,
        window - 2,
        tok.cls_id(),
        tok.sep_id(),
    );
    Ok(chunks
        .into_iter()
        .map(|c| {
            let n = c.ids.len();
            let (mut keep, mut weight, mut span) = (vec![0i64; n], vec![0f32; n], vec![0f32; n]);
            for (k, &(s, e)) in c.offsets.iter().enumerate() {
                let (kp, cr, sp) = piece_label(&doc.tokens, &labels, s, e);
                keep[k + 1] = i64::from(kp);
                weight[k + 1] = if cr { critical_weight } else { 1.0 };
                span[k + 1] = if sp { 1.0 } else { 0.0 };
            }
            Example {
                ids: c.ids,
                keep,
                weight,
                span,
            }
        })
        .collect())
}
