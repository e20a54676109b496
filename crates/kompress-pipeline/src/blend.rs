//! [`BlendPruner`]: several pruners scoring the same tokens, their logits averaged with weights,
//! plus an optional eviction bias added to every token logit. With the gate's
//! `p = sigmoid(tok - gamma * g(span))` a bias `b` is the same as moving the gate's threshold
//! from 0.5 to `sigmoid(-b)` for this pruner alone. Each part keeps its own tokenisation of the
//! problem (the learned model's sub-word windows, the statistical pruner's line analysis); the
//! blend sees only the per-token logits they return, so any two [`Pruner`]s combine.

use kompress_core::{CoreError, Pruner, PrunerScores, TokenizedText};

pub struct BlendPruner {
    name: String,
    parts: Vec<(Box<dyn Pruner>, f32)>,
    bias: f32,
}

impl std::fmt::Debug for BlendPruner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlendPruner")
            .field("name", &self.name)
            .field(
                "weights",
                &self.parts.iter().map(|p| p.1).collect::<Vec<_>>(),
            )
            .field("bias", &self.bias)
            .finish()
    }
}

impl BlendPruner {
    /// Weights must be positive and finite; they are normalised to sum to 1.
    pub fn new(parts: Vec<(Box<dyn Pruner>, f32)>) -> Result<BlendPruner, CoreError> {
        if parts.is_empty() {
            return Err(CoreError::config("pruner.blend", "no parts to blend"));
        }
        if let Some((p, w)) = parts.iter().find(|(_, w)| !(w.is_finite() && *w > 0.0)) {
            return Err(CoreError::config(
                "pruner.blend_weight",
                format!("weight of {} must be a positive number, got {w}", p.name()),
            ));
        }
        let total: f32 = parts.iter().map(|p| p.1).sum();
        let name = format!(
            "blend({})",
            parts
                .iter()
                .map(|(p, w)| format!("{}:{:.2}", p.name(), w / total))
                .collect::<Vec<_>>()
                .join(",")
        );
        let parts = parts.into_iter().map(|(p, w)| (p, w / total)).collect();
        Ok(BlendPruner {
            name,
            parts,
            bias: 0.0,
        })
    }

    /// Adds `bias` to every blended token (eviction) logit: positive evicts more.
    pub fn with_bias(mut self, bias: f32) -> Result<BlendPruner, CoreError> {
        if !bias.is_finite() {
            return Err(CoreError::config(
                "pruner.blend_bias",
                format!("must be a finite number, got {bias}"),
            ));
        }
        if bias != 0.0 {
            self.name = format!("{}{bias:+.2}", self.name);
        }
        self.bias = bias;
        Ok(self)
    }
}

fn add_scaled(acc: &mut [f32], xs: &[f32], w: f32) {
    for (a, x) in acc.iter_mut().zip(xs) {
        *a += w * x;
    }
}

impl Pruner for BlendPruner {
    fn name(&self) -> &str {
        &self.name
    }

    fn score_batch(&mut self, texts: &[&TokenizedText]) -> Result<Vec<PrunerScores>, CoreError> {
        let mut out: Vec<PrunerScores> = texts
            .iter()
            .map(|t| PrunerScores {
                token_logits: vec![self.bias; t.tokens.len()],
                span_logits: vec![0.0; t.tokens.len()],
            })
            .collect();
        for (pruner, w) in &mut self.parts {
            let scores = pruner.score_batch(texts)?;
            if scores.len() != texts.len() {
                return Err(CoreError::Pruner {
                    pruner: pruner.name().to_string(),
                    reason: format!("{} results for {} texts", scores.len(), texts.len()),
                });
            }
            for ((acc, s), t) in out.iter_mut().zip(&scores).zip(texts) {
                let n = t.tokens.len();
                if s.token_logits.len() != n || s.span_logits.len() != n {
                    return Err(CoreError::Pruner {
                        pruner: pruner.name().to_string(),
                        reason: format!(
                            "{} token / {} span logits for {n} tokens",
                            s.token_logits.len(),
                            s.span_logits.len()
                        ),
                    });
                }
                add_scaled(&mut acc.token_logits, &s.token_logits, *w);
                add_scaled(&mut acc.span_logits, &s.span_logits, *w);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Constant(f32, f32, &'static str);
    impl Pruner for Constant {
        fn name(&self) -> &str {
            self.2
        }
        fn score_batch(
            &mut self,
            texts: &[&TokenizedText],
        ) -> Result<Vec<PrunerScores>, CoreError> {
            Ok(texts
                .iter()
                .map(|t| PrunerScores {
                    token_logits: vec![self.0; t.tokens.len()],
                    span_logits: vec![self.1; t.tokens.len()],
                })
                .collect())
        }
    }

    #[test]
    fn blended_logits_are_the_weighted_mean_of_the_parts() {
        let doc = kompress_tokenize::tokenize("error: x\nmore text here\n");
        let mut b = BlendPruner::new(vec![
            (Box::new(Constant(4.0, -2.0, "a")), 3.0),
            (Box::new(Constant(-4.0, 2.0, "b")), 1.0),
        ])
        .unwrap();
        let s = b.score_batch(&[&doc]).unwrap().pop().unwrap();
        assert_eq!(s.token_logits.len(), doc.tokens.len());
        assert!(s.token_logits.iter().all(|x| (*x - 2.0).abs() < 1e-6));
        assert!(s.span_logits.iter().all(|x| (*x + 1.0).abs() < 1e-6));
        assert_eq!(b.name(), "blend(a:0.75,b:0.25)");
    }

    #[test]
    fn non_positive_weights_are_a_config_error_naming_the_field() {
        let err = BlendPruner::new(vec![(Box::new(Constant(0.0, 0.0, "a")), 0.0)]).unwrap_err();
        assert!(err.to_string().contains("pruner.blend_weight"), "{err}");
    }

    #[test]
    fn a_bias_shifts_every_token_logit_and_leaves_span_logits_alone() {
        let doc = kompress_tokenize::tokenize("a b c\n");
        let mut b = BlendPruner::new(vec![(Box::new(Constant(1.0, 3.0, "a")), 1.0)])
            .unwrap()
            .with_bias(0.5)
            .unwrap();
        let s = b.score_batch(&[&doc]).unwrap().pop().unwrap();
        assert!(s.token_logits.iter().all(|x| (*x - 1.5).abs() < 1e-6));
        assert!(s.span_logits.iter().all(|x| (*x - 3.0).abs() < 1e-6));
        assert_eq!(b.name(), "blend(a:1.00)+0.50");
        let bad = BlendPruner::new(vec![(Box::new(Constant(0.0, 0.0, "a")), 1.0)])
            .unwrap()
            .with_bias(f32::NAN)
            .unwrap_err();
        assert!(bad.to_string().contains("pruner.blend_bias"), "{bad}");
    }
}
