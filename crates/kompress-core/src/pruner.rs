//! The pruner role: scores tokens for eviction. The statistical scorer and the learned model
//! both implement [`Pruner`]; the pipeline owns one on its own actor.

use crate::{CoreError, TokenizedText};

/// Per-token scores for one text, aligned with `TokenizedText::tokens`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PrunerScores {
    /// Eviction logit per token (higher = more evictable).
    pub token_logits: Vec<f32>,
    /// Span-coherence logit per token (higher = belongs to a span worth keeping).
    pub span_logits: Vec<f32>,
}

impl PrunerScores {
    pub fn with_len(n: usize) -> Self {
        PrunerScores {
            token_logits: vec![0.0; n],
            span_logits: vec![0.0; n],
        }
    }
}

/// A token scorer. Implementations are `Send` so they can live on their owner actor's thread;
/// they take a batch so that models can batch by token budget.
pub trait Pruner: Send + 'static {
    fn name(&self) -> &str;
    fn score_batch(&mut self, texts: &[&TokenizedText]) -> Result<Vec<PrunerScores>, CoreError>;
}
