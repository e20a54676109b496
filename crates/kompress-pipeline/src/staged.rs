//! The stage order through the actors, written once for every caller (compress, explain):
//! tokenize → prune ∥ floor scan → decide (gate, then the floor's span widening) → rewrite.
//! The direct, single-thread path runs the same functions in the same order
//! ([`crate::stages::run_observed`]).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kompress_core::{CompressionConfig, PrunerScores, TokenizedText};
use kompress_floor::FloorMask;
use kompress_rewrite::Rewritten;

use crate::actors::{Decide, Rewrite, Scan, Score, Tokenize};
use crate::error::PipelineError;
use crate::metrics::ActorKind;
use crate::pipeline::Pipeline;
use crate::stages::Stage;

/// What the actors decided for one text.
pub(crate) struct Staged {
    pub doc: Arc<TokenizedText>,
    pub scores: Arc<PrunerScores>,
    pub mask: Arc<FloorMask>,
    /// After the gate and the floor's widening (1 = keep).
    pub keep: Vec<u8>,
    pub rewritten: Rewritten,
}

/// `fut` and its wall time.
async fn timed<T>(fut: impl Future<Output = T>) -> (T, Duration) {
    let t = Instant::now();
    let out = fut.await;
    (out, t.elapsed())
}

impl Pipeline {
    /// Runs `text` through the roles in order; each stage's wall time (mailbox wait included;
    /// prune and floor scan run at once, each timed on its own) goes to `observe`.
    pub(crate) async fn run_stages(
        &self,
        text: Arc<str>,
        cfg: Arc<CompressionConfig>,
        observe: &mut (dyn FnMut(Stage, Duration) + Send),
    ) -> Result<Staged, PipelineError> {
        let a = &self.addrs;
        let (doc, took) = timed(
            a.tok
                .send(self.traced(ActorKind::Tokenizer, Tokenize(text))),
        )
        .await;
        let doc = doc.map_err(|e| PipelineError::stage("tokenizer", e))?;
        observe(Stage::Tokenize, took);
        let ((scores, prune), (mask, scan)) = futures::join!(
            timed(
                a.pruner
                    .send(self.traced(ActorKind::Pruner, Score(doc.clone())))
            ),
            timed(
                a.floor
                    .send(self.traced(ActorKind::Floor, Scan(doc.clone())))
            )
        );
        let scores = Arc::new(scores.map_err(|e| PipelineError::stage("pruner", e))??);
        let mask = Arc::new(mask.map_err(|e| PipelineError::stage("floor", e))?);
        observe(Stage::Prune, prune);
        observe(Stage::Floor, scan);
        let (decided, took) = timed(a.gate.send(self.traced(
            ActorKind::Gate,
            Decide {
                doc: doc.clone(),
                scores: scores.clone(),
                mask: Some(mask.clone()),
                cfg: cfg.clone(),
            },
        )))
        .await;
        let decided = decided.map_err(|e| PipelineError::stage("gate", e))?;
        observe(Stage::Decide, took);
        let keep = decided.keep;
        let (rewritten, took) = timed(a.rw.send(self.traced(
            ActorKind::Rewriter,
            Rewrite {
                doc: doc.clone(),
                keep: keep.clone(),
                mask: mask.clone(),
                in_block: decided.in_block,
                cfg,
            },
        )))
        .await;
        let rewritten = rewritten.map_err(|e| PipelineError::stage("rewriter", e))?;
        observe(Stage::Rewrite, took);
        Ok(Staged {
            doc,
            scores,
            mask,
            keep,
            rewritten,
        })
    }
}
