//! [`Pipeline::explain`]: one plain text through the same actors as `compress`, in the same
//! stage order (`staged.rs`, which both run), keeping what each role decided and how long it
//! took, plus the gate's choice without the floor. For the playground and for debugging;
//! `compress` stays the fast path.
//! Its messages go through the same traced, metered handlers as `compress`, so they count in
//! [`crate::metrics::PipelineMetrics`] (handler time) as well as in [`StageMicros`] (wall
//! time seen by the caller, mailbox wait included).

use std::sync::Arc;
use std::time::Instant;

use actix::prelude::*;
use kompress_core::{CompressionConfig, TokenizedText};
use kompress_floor::FloorMask;
use kompress_rewrite::Rewritten;
use serde::Serialize;

use crate::actors::{Decide, FloorActor};
use crate::error::PipelineError;
use crate::metrics::ActorKind;
use crate::pipeline::Pipeline;
use crate::staged::Staged;
use crate::stages::Stage;

/// Wall time of each stage in microseconds (mailbox wait included), in pipeline order.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct StageMicros {
    pub tokenize: u64,
    pub prune: u64,
    /// The gate and the floor's widening of its decision over critical spans.
    pub gate: u64,
    /// Floor scan (it runs alongside the pruner).
    pub floor: u64,
    pub rewrite: u64,
    pub total: u64,
}

/// The floor category of one hit in [`FloorMask::hits`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HitCategory {
    pub name: String,
    /// The category keeps whole lines (`keep = "line"`), not just the span.
    pub whole_line: bool,
}

/// What every role decided for one text.
#[derive(Debug, Clone)]
pub struct Explanation {
    pub doc: Arc<TokenizedText>,
    /// The pruner and gate alone, without the floor (1 = keep), per token.
    pub model_keep: Vec<u8>,
    /// After the gate with the floor's forced lines and the widening of critical spans.
    pub keep: Vec<u8>,
    pub mask: Arc<FloorMask>,
    /// `categories[k]` names the category of `mask.hits[k]`.
    pub categories: Vec<HitCategory>,
    pub rewritten: Rewritten,
    pub micros: StageMicros,
}

/// Names the categories of floor hits (the floor actor owns the category table).
#[derive(Message)]
#[rtype(result = "Vec<HitCategory>")]
struct Categories(Vec<u16>);

impl Handler<Categories> for FloorActor {
    type Result = MessageResult<Categories>;
    fn handle(&mut self, msg: Categories, _: &mut Self::Context) -> Self::Result {
        MessageResult(
            msg.0
                .into_iter()
                .map(|id| HitCategory {
                    name: self.floor.category_name(id).to_string(),
                    whole_line: self.floor.category_keep(id) == kompress_floor::Keep::Line,
                })
                .collect(),
        )
    }
}

fn micros_since(t: Instant) -> u64 {
    t.elapsed().as_micros() as u64
}

impl Pipeline {
    /// Runs `text` through every role, stage by stage, and returns each role's decision.
    /// Fails with `Busy` at once when the pipeline is saturated, like `try_compress`.
    pub async fn explain(
        &self,
        text: &str,
        cfg: &CompressionConfig,
    ) -> Result<Explanation, PipelineError> {
        let _permit = self
            .inflight
            .try_acquire()
            .map_err(|_| PipelineError::Busy {
                inflight: self.max_inflight,
            })?;
        cfg.validate()?;
        if text.is_empty() {
            return Err(kompress_core::CoreError::EmptyInput.into());
        }
        if text.len() > cfg.max_bytes {
            return Err(kompress_core::CoreError::Oversized {
                size: text.len(),
                limit: cfg.max_bytes,
            }
            .into());
        }
        let a = &self.addrs;
        let t_all = Instant::now();
        let mut micros = StageMicros::default();
        let cfg = Arc::new(cfg.clone());
        let us = |d: std::time::Duration| d.as_micros() as u64;
        let staged = self
            .run_stages(text.into(), cfg.clone(), &mut |stage, took| match stage {
                Stage::Tokenize => micros.tokenize = us(took),
                Stage::Prune => micros.prune = us(took),
                Stage::Floor => micros.floor = us(took),
                Stage::Decide => micros.gate = us(took),
                Stage::Rewrite => micros.rewrite = us(took),
            })
            .await?;
        let Staged {
            doc,
            scores,
            mask,
            keep,
            rewritten,
        } = staged;

        // not timed: only the explanation needs the model's decision without the floor
        let alone = a
            .gate
            .send(self.traced(
                ActorKind::Gate,
                Decide {
                    doc: doc.clone(),
                    scores,
                    mask: None,
                    cfg,
                },
            ))
            .await
            .map_err(|e| PipelineError::stage("gate", e))?;

        let categories = a
            .floor
            .send(Categories(mask.hits.iter().map(|h| h.category).collect()))
            .await
            .map_err(|e| PipelineError::stage("floor", e))?;

        micros.total = micros_since(t_all);

        Ok(Explanation {
            doc,
            model_keep: alone.keep,
            keep,
            mask,
            categories,
            rewritten,
            micros,
        })
    }
}
