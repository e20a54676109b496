//! kompress-stat: the statistical pruner, the default when no model is configured.
//! See [`score`] for the evidence it weighs. It scores lines and gives every token of a line the
//! line's logit; the span logit carries error-block membership.

pub mod config;
pub mod kind;
pub mod lines;
pub mod pyframes;
pub mod score;
pub mod signals;

use kompress_core::{CoreError, Pruner, PrunerScores, TokenizedText};

pub use config::StatConfig;
pub use kind::classify;
pub use score::{score_lines, LineScores};
pub use signals::Signals;

/// Span logit magnitude: inside an error block `g(span)` is ~1, outside ~0.
const BLOCK_LOGIT: f32 = 6.0;

pub struct StatPruner {
    cfg: StatConfig,
    signals: Signals,
}

impl StatPruner {
    pub fn new(cfg: StatConfig) -> StatPruner {
        StatPruner {
            cfg,
            signals: Signals::new(),
        }
    }

    pub fn score_one(&self, doc: &TokenizedText) -> PrunerScores {
        let ls = score_lines(doc, &self.cfg, &self.signals);
        let mut out = PrunerScores::with_len(doc.tokens.len());
        for (li, (&k, &b)) in ls.keep.iter().zip(&ls.block).enumerate() {
            let span = if b && !ls.harness_tail[li] {
                BLOCK_LOGIT
            } else {
                -BLOCK_LOGIT
            };
            for t in doc.token_range_of_line(li) {
                out.token_logits[t] = -k;
                out.span_logits[t] = span;
            }
        }
        out
    }
}

impl Default for StatPruner {
    fn default() -> Self {
        StatPruner::new(StatConfig::default())
    }
}

impl Pruner for StatPruner {
    fn name(&self) -> &str {
        "stat"
    }

    fn score_batch(&mut self, texts: &[&TokenizedText]) -> Result<Vec<PrunerScores>, CoreError> {
        Ok(texts.iter().map(|d| self.score_one(d)).collect())
    }
}
