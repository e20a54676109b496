//! The roles as actors. Tokenizer, gate, floor and rewriter are stateless CPU work and run on a
//! `SyncArbiter` pool; the pruner owns its model on exactly one thread and batches requests by a
//! token budget with a maximum wait (text-embeddings-inference style). Mailboxes are bounded, so
//! a full stage makes `send` wait: backpressure is explicit at every boundary.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use kompress_core::{CoreError, Pruner, PrunerScores, TokenizedText};
use kompress_floor::{Floor, FloorMask};
use kompress_rewrite::Rewritten;
use tokio::sync::oneshot;

use crate::metrics::Meter;
use crate::stages::{self, Decided};

// ---- tokenizer -------------------------------------------------------------------------

pub struct TokenizerActor;
impl Actor for TokenizerActor {
    type Context = SyncContext<Self>;
}

#[derive(Message)]
#[rtype(result = "Arc<TokenizedText>")]
pub struct Tokenize(pub Arc<str>);

impl Handler<Tokenize> for TokenizerActor {
    type Result = MessageResult<Tokenize>;
    fn handle(&mut self, msg: Tokenize, _: &mut Self::Context) -> Self::Result {
        let _s = tracing::info_span!("tokenize", bytes = msg.0.len()).entered();
        MessageResult(Arc::new(kompress_tokenize::tokenize(msg.0)))
    }
}

// ---- safety floor ----------------------------------------------------------------------

pub struct FloorActor {
    pub floor: Arc<Floor>,
}
impl Actor for FloorActor {
    type Context = SyncContext<Self>;
}

#[derive(Message)]
#[rtype(result = "FloorMask")]
pub struct Scan(pub Arc<TokenizedText>);

impl Handler<Scan> for FloorActor {
    type Result = MessageResult<Scan>;
    fn handle(&mut self, msg: Scan, _: &mut Self::Context) -> Self::Result {
        let _s = tracing::info_span!("floor", op = "scan").entered();
        MessageResult(self.floor.mask(&msg.0))
    }
}

// ---- gate ------------------------------------------------------------------------------

pub struct GateActor;
impl Actor for GateActor {
    type Context = SyncContext<Self>;
}

/// The stages between prune ∥ floor scan and the rewriter ([`stages::decide`]): the gate,
/// with the floor's forced lines as bits and its span widening after (pure functions of
/// kompress-floor: the floor actor is visited once, for the scan). `mask: None` gives the
/// model's choice alone.
#[derive(Message)]
#[rtype(result = "Decided")]
pub struct Decide {
    pub doc: Arc<TokenizedText>,
    pub scores: Arc<PrunerScores>,
    pub mask: Option<Arc<FloorMask>>,
    pub cfg: Arc<kompress_core::CompressionConfig>,
}

impl Handler<Decide> for GateActor {
    type Result = MessageResult<Decide>;
    fn handle(&mut self, m: Decide, _: &mut Self::Context) -> Self::Result {
        let _s = tracing::info_span!("gate", tokens = m.scores.token_logits.len()).entered();
        MessageResult(stages::decide(&m.doc, &m.scores, m.mask.as_deref(), &m.cfg))
    }
}

// ---- rewriter --------------------------------------------------------------------------

pub struct RewriterActor;
impl Actor for RewriterActor {
    type Context = SyncContext<Self>;
}

#[derive(Message)]
#[rtype(result = "Rewritten")]
pub struct Rewrite {
    pub doc: Arc<TokenizedText>,
    pub keep: Vec<u8>,
    pub mask: Arc<FloorMask>,
    pub in_block: Vec<bool>,
    pub cfg: Arc<kompress_core::CompressionConfig>,
}

impl Handler<Rewrite> for RewriterActor {
    type Result = MessageResult<Rewrite>;
    fn handle(&mut self, m: Rewrite, _: &mut Self::Context) -> Self::Result {
        let _s = tracing::info_span!("rewrite").entered();
        MessageResult(stages::rewrite(
            &m.doc,
            &m.keep,
            &m.mask,
            &m.in_block,
            &m.cfg,
        ))
    }
}

// ---- pruner: one owner, batched by token budget -----------------------------------------

/// Builds the pruner on its owner thread (a libtorch model must be created where it runs).
pub type PrunerFactory = Box<dyn FnOnce() -> Result<Box<dyn Pruner>, CoreError> + Send>;

#[derive(Message)]
#[rtype(result = "Result<PrunerScores, CoreError>")]
pub struct Score(pub Arc<TokenizedText>);

/// A queued text, its reply channel, the span of the request that sent it and its meter
/// (dropped with the entry: after the reply, or when the caller left).
struct Waiting {
    doc: Arc<TokenizedText>,
    tx: oneshot::Sender<Result<PrunerScores, CoreError>>,
    span: tracing::Span,
    meter: Option<Meter>,
}

pub struct PrunerActor {
    pruner: Box<dyn Pruner>,
    queue: Vec<Waiting>,
    queued_tokens: usize,
    budget: usize,
    max_wait: Duration,
    flush_pending: bool,
    mailbox: usize,
}

impl PrunerActor {
    pub fn new(pruner: Box<dyn Pruner>, budget: usize, max_wait: Duration, mailbox: usize) -> Self {
        PrunerActor {
            pruner,
            queue: Vec::new(),
            queued_tokens: 0,
            budget: budget.max(1),
            max_wait,
            flush_pending: false,
            mailbox,
        }
    }

    fn flush(&mut self) {
        self.flush_pending = false;
        // work whose caller went away is dropped, not computed
        let batch: Vec<Waiting> = std::mem::take(&mut self.queue)
            .into_iter()
            .filter(|w| !w.tx.is_closed())
            .collect();
        self.queued_tokens = 0;
        if batch.is_empty() {
            return;
        }
        // one `prune` span per request, under that request's span, open while its batch runs
        let (name, n) = (self.pruner.name(), batch.len());
        let spans: Vec<tracing::Span> = batch
            .iter()
            .map(|w| {
                tracing::info_span!(parent: &w.span, "prune", pruner = name, batch = n, tokens = w.doc.tokens.len())
            })
            .collect();
        let docs: Vec<&TokenizedText> = batch.iter().map(|w| w.doc.as_ref()).collect();
        let t = Instant::now();
        let result = {
            let _in = spans.first().map(tracing::Span::enter);
            self.pruner.score_batch(&docs)
        };
        let took = t.elapsed();
        drop(spans);
        // each message's handling time is the batch that scored it
        for m in batch.iter().filter_map(|w| w.meter.as_ref()) {
            m.record(took);
        }
        match result {
            Ok(scores) if scores.len() == batch.len() => {
                for (w, s) in batch.into_iter().zip(scores) {
                    let _ = w.tx.send(Ok(s));
                }
            }
            Ok(scores) => {
                let reason = format!(
                    "returned {} results for a batch of {}",
                    scores.len(),
                    batch.len()
                );
                for w in batch {
                    let _ = w.tx.send(Err(CoreError::Pruner {
                        pruner: self.pruner.name().into(),
                        reason: reason.clone(),
                    }));
                }
            }
            Err(e) => {
                let reason = e.to_string();
                for w in batch {
                    let _ = w.tx.send(Err(CoreError::Pruner {
                        pruner: self.pruner.name().into(),
                        reason: reason.clone(),
                    }));
                }
            }
        }
    }
}

impl Actor for PrunerActor {
    type Context = Context<Self>;
    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(self.mailbox);
    }
}

#[derive(Message)]
#[rtype(result = "()")]
struct Flush;

impl Handler<Flush> for PrunerActor {
    type Result = ();
    fn handle(&mut self, _: Flush, _: &mut Self::Context) {
        if self.flush_pending {
            self.flush();
        }
    }
}

impl Handler<Score> for PrunerActor {
    type Result = ResponseFuture<Result<PrunerScores, CoreError>>;
    fn handle(&mut self, msg: Score, ctx: &mut Self::Context) -> Self::Result {
        self.enqueue(msg, tracing::Span::current(), None, ctx)
    }
}

impl PrunerActor {
    /// Queues a text for the next batch (see [`crate::traced`] for the span).
    pub(crate) fn enqueue(
        &mut self,
        msg: Score,
        span: tracing::Span,
        meter: Option<Meter>,
        ctx: &mut Context<Self>,
    ) -> ResponseFuture<Result<PrunerScores, CoreError>> {
        let (tx, rx) = oneshot::channel();
        self.queued_tokens += msg.0.tokens.len();
        self.queue.push(Waiting {
            doc: msg.0,
            tx,
            span,
            meter,
        });
        if self.queued_tokens >= self.budget {
            self.flush();
        } else if !self.flush_pending {
            self.flush_pending = true;
            if self.max_wait.is_zero() {
                // runs after every Score already in the mailbox: requests that arrived while the
                // model was busy form one batch, a lone request waits for nothing
                ctx.notify(Flush);
            } else {
                ctx.run_later(self.max_wait, |a, _| a.flush());
            }
        }
        let name = self.pruner.name().to_string();
        Box::pin(async move {
            rx.await.unwrap_or_else(|_| {
                Err(CoreError::Pruner {
                    pruner: name,
                    reason: "pruner stopped".into(),
                })
            })
        })
    }
}
