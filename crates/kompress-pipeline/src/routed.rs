//! The default pruner (`[pruner] kind = "auto"`): the statistical pruner for every text, and
//! the learned blend only for the kinds listed in `learned_kinds` and texts of at least
//! `learned_min_tokens` tokens. The model is loaded the first time such a text arrives, once
//! per process (long-running commands keep it); when it does not load, the statistical pruner
//! scores those texts too and that is said once on stderr.

use kompress_core::{CoreError, Pruner, PrunerScores, TextKind, TokenizedText};
use kompress_stat::StatPruner;

/// The kinds `auto` gives the learned blend (decided on the corpus's training split by the
/// rule in models/README.md).
pub const DEFAULT_LEARNED_KINDS: &[TextKind] = &[];
/// Texts with fewer tokens never wait for the model.
pub const DEFAULT_LEARNED_MIN_TOKENS: usize = 512;

/// Builds the model on first use (on the pruner's owner thread).
pub type Loader = Box<dyn FnMut() -> Result<Box<dyn Pruner>, CoreError> + Send>;

enum Model {
    NotLoaded(Loader),
    Loaded(Box<dyn Pruner>),
    Failed,
}

pub struct RoutedPruner {
    stat: StatPruner,
    model: Model,
    kinds: Vec<TextKind>,
    min_tokens: usize,
}

impl RoutedPruner {
    pub fn new(
        stat: StatPruner,
        kinds: Vec<TextKind>,
        min_tokens: usize,
        loader: Loader,
    ) -> RoutedPruner {
        RoutedPruner {
            stat,
            model: Model::NotLoaded(loader),
            kinds,
            min_tokens,
        }
    }

    fn wants_model(&self, doc: &TokenizedText) -> bool {
        doc.tokens.len() >= self.min_tokens
            && !self.kinds.is_empty()
            && self.kinds.contains(&kompress_stat::classify(doc))
    }

    fn model(&mut self) -> Option<&mut Box<dyn Pruner>> {
        if let Model::NotLoaded(load) = &mut self.model {
            self.model = match load() {
                Ok(m) => Model::Loaded(m),
                Err(e) => {
                    eprintln!(
                        "kompress: the default model did not load, using the statistical \
                         pruner ({e})"
                    );
                    Model::Failed
                }
            };
        }
        match &mut self.model {
            Model::Loaded(m) => Some(m),
            _ => None,
        }
    }

    /// Whether the model has been loaded.
    pub fn model_loaded(&self) -> bool {
        matches!(self.model, Model::Loaded(_))
    }
}

impl Pruner for RoutedPruner {
    fn name(&self) -> &str {
        "auto"
    }

    fn score_batch(&mut self, texts: &[&TokenizedText]) -> Result<Vec<PrunerScores>, CoreError> {
        let routed: Vec<bool> = texts.iter().map(|d| self.wants_model(d)).collect();
        let mut out: Vec<Option<PrunerScores>> = vec![None; texts.len()];
        if routed.iter().any(|r| *r) {
            let learned: Vec<&TokenizedText> = texts
                .iter()
                .zip(&routed)
                .filter(|(_, r)| **r)
                .map(|(d, _)| *d)
                .collect();
            if let Some(m) = self.model() {
                let scores = m.score_batch(&learned)?;
                let mut it = scores.into_iter();
                for (slot, r) in out.iter_mut().zip(&routed) {
                    if *r {
                        *slot = it.next();
                    }
                }
            }
        }
        Ok(out
            .into_iter()
            .zip(texts)
            .map(|(s, d)| s.unwrap_or_else(|| self.stat.score_one(d)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kompress_stat::StatConfig;
    use kompress_tokenize::tokenize;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    struct Evict;
    impl Pruner for Evict {
        fn name(&self) -> &str {
            "evict"
        }
        fn score_batch(&mut self, t: &[&TokenizedText]) -> Result<Vec<PrunerScores>, CoreError> {
            Ok(t.iter()
                .map(|d| {
                    let mut s = PrunerScores::with_len(d.tokens.len());
                    s.token_logits.iter_mut().for_each(|x| *x = 9.0);
                    s
                })
                .collect())
        }
    }

    fn routed(kinds: Vec<TextKind>, loads: Arc<AtomicUsize>) -> RoutedPruner {
        RoutedPruner::new(
            StatPruner::new(StatConfig::default()),
            kinds,
            8,
            Box::new(move || {
                loads.fetch_add(1, Ordering::SeqCst);
                Ok(Box::new(Evict) as Box<dyn Pruner>)
            }),
        )
    }

    #[test]
    fn the_model_loads_lazily_once_and_only_for_its_kinds() {
        let loads = Arc::new(AtomicUsize::new(0));
        let mut p = routed(vec![TextKind::Other], loads.clone());
        let ls = tokenize("-rw-r--r-- 1 root root 98 Dec  2 16:26 a.txt\n-rw-r--r-- 1 root root 98 Dec  2 16:26 b.txt\n");
        p.score_batch(&[&ls]).unwrap();
        assert_eq!(
            loads.load(Ordering::SeqCst),
            0,
            "a listing never needs the model"
        );
        let trace = tokenize("java.lang.IllegalStateException: boom\n\tat a.B.c(B.java:1)\n");
        let s = p.score_batch(&[&trace, &ls]).unwrap();
        assert_eq!(s[0].token_logits[0], 9.0, "the trace went to the model");
        assert_ne!(s[1].token_logits[0], 9.0, "the listing did not");
        p.score_batch(&[&trace]).unwrap();
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        assert!(p.model_loaded());
    }

    #[test]
    fn short_texts_and_an_empty_route_never_load_the_model() {
        let loads = Arc::new(AtomicUsize::new(0));
        let mut p = routed(vec![], loads.clone());
        let trace = tokenize("java.lang.IllegalStateException: boom\n\tat a.B.c(B.java:1)\n");
        p.score_batch(&[&trace]).unwrap();
        let mut q = routed(vec![TextKind::Other], loads.clone());
        q.score_batch(&[&tokenize("error: x\n")]).unwrap();
        assert_eq!(loads.load(Ordering::SeqCst), 0);
    }
}
