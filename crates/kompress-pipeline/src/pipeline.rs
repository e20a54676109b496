//! The [`Pipeline`] handle: starts the actor system on its own thread and runs requests through
//! the roles. Usable from any async runtime (tokio, actix-web, rdkafka tasks).

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use kompress_core::{CompressionConfig, Eviction, Format};
use kompress_floor::Floor;
use kompress_stat::{StatConfig, StatPruner};
use serde::Serialize;
use tokio::sync::Semaphore;

use crate::actors::*;
use crate::assemble::{assemble, SegmentResult};
use crate::error::PipelineError;
use crate::metrics::{ActorKind, PipelineMetrics};
use crate::traced::Traced;
use crate::transcript::{self, Segment};
use tracing::Instrument;

pub struct PipelineSettings {
    /// Builds the pruner on its owner thread. Default: the statistical pruner.
    pub pruner: PrunerFactory,
    pub floor: Arc<Floor>,
    /// Threads for each stateless role (tokenizer, floor, gate, rewriter).
    pub workers: usize,
    /// Pruner batches close at this many tokens…
    pub batch_token_budget: usize,
    /// …or after this long (zero: as soon as the requests already waiting are queued).
    pub batch_max_wait: Duration,
    /// Requests in flight at once; `compress` waits beyond it, `try_compress` fails with Busy.
    pub max_inflight: usize,
    /// Pruner mailbox size.
    pub mailbox: usize,
    /// What this pipeline computes, as a hash of its pruner's description and its floor
    /// ([`pipeline_identity`]). Serve's prefix cache and the Kafka output ids mix it into their
    /// keys with the `[compression]` fingerprint, so that another pruner, `[stat]` or floor
    /// never reuses an output made under the old ones. Whoever sets `pruner` sets this too.
    pub identity: u64,
}

/// The identity of a pipeline whose pruner is described by `pruner` (its kind and every
/// setting that changes its scores, e.g. `stat {…}` with the `[stat]` table as JSON) and
/// whose floor is `floor`.
pub fn pipeline_identity(pruner: &str, floor: &Floor) -> u64 {
    let mut bytes = Vec::with_capacity(pruner.len() + 8);
    bytes.extend_from_slice(&floor.fingerprint().to_le_bytes());
    bytes.extend_from_slice(pruner.as_bytes());
    xxhash_rust::xxh3::xxh3_64(&bytes)
}

/// The description of the statistical pruner with `stat` (for [`pipeline_identity`]).
pub fn stat_description(stat: &StatConfig) -> String {
    format!(
        "stat {}",
        serde_json::to_string(stat).expect("StatConfig serialises")
    )
}

impl Default for PipelineSettings {
    fn default() -> Self {
        let floor = Floor::embedded_default();
        PipelineSettings {
            identity: pipeline_identity(&stat_description(&StatConfig::default()), &floor),
            pruner: Box::new(|| Ok(Box::new(StatPruner::new(StatConfig::default())))),
            floor: Arc::new(floor),
            workers: std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .min(8),
            batch_token_budget: 16_384,
            batch_max_wait: Duration::ZERO,
            max_inflight: 64,
            mailbox: 256,
        }
    }
}

pub struct CompressRequest {
    pub transcript_id: String,
    pub format: Format,
    /// Plain text, or the raw JSON of a transcript.
    pub input: String,
    pub config: CompressionConfig,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Stats {
    pub bytes_in: usize,
    pub bytes_out: usize,
    /// Word tokens (the built-in tokenizer) in and out; o200k counts are for the scorer.
    pub tokens_in: usize,
    pub tokens_out: usize,
    pub segments: usize,
    pub segments_compressed: usize,
    pub lines_evicted: usize,
    pub floor_hits: usize,
    pub micros_total: u64,
}

#[derive(Debug, Clone)]
pub struct CompressResponse {
    pub output: String,
    pub evictions: Vec<Eviction>,
    pub stats: Stats,
}

#[derive(Clone)]
pub(crate) struct Addrs {
    pub(crate) tok: Addr<TokenizerActor>,
    pub(crate) floor: Addr<FloorActor>,
    pub(crate) gate: Addr<GateActor>,
    pub(crate) rw: Addr<RewriterActor>,
    pub(crate) pruner: Addr<PrunerActor>,
}

#[derive(Clone)]
pub struct Pipeline {
    pub(crate) addrs: Addrs,
    pub(crate) inflight: Arc<Semaphore>,
    pub(crate) max_inflight: usize,
    pub(crate) metrics: Arc<PipelineMetrics>,
    pruner_name: Arc<str>,
    identity: u64,
}

impl Pipeline {
    pub fn start(settings: PipelineSettings) -> Result<Pipeline, PipelineError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let max_inflight = settings.max_inflight.max(1);
        let identity = settings.identity;
        std::thread::Builder::new()
            .name("kompress-actors".into())
            .spawn(move || {
                let sys = System::new();
                sys.block_on(async move {
                    let floor = settings.floor.clone();
                    let w = settings.workers.max(1);
                    let tok = SyncArbiter::start(w, || TokenizerActor);
                    let fl = SyncArbiter::start(w, move || FloorActor {
                        floor: floor.clone(),
                    });
                    let gate = SyncArbiter::start(w, || GateActor);
                    let rw = SyncArbiter::start(w, || RewriterActor);
                    let arb = Arbiter::new();
                    let (ptx, prx) = std::sync::mpsc::channel();
                    let (budget, wait, mailbox, factory) = (
                        settings.batch_token_budget,
                        settings.batch_max_wait,
                        settings.mailbox,
                        settings.pruner,
                    );
                    arb.spawn_fn(move || match factory() {
                        Ok(p) => {
                            let name: Arc<str> = p.name().into();
                            let addr = PrunerActor::new(p, budget, wait, mailbox).start();
                            let _ = ptx.send(Ok((addr, name)));
                        }
                        Err(e) => {
                            let _ = ptx.send(Err(PipelineError::Core(e)));
                        }
                    });
                    let res = prx
                        .recv()
                        .map_err(|e| PipelineError::stage("pruner", e))
                        .and_then(|r| r)
                        .map(|(pruner, name)| {
                            (
                                Addrs {
                                    tok,
                                    floor: fl,
                                    gate,
                                    rw,
                                    pruner,
                                },
                                name,
                            )
                        });
                    let _ = tx.send(res);
                });
                sys.run().ok();
            })
            .map_err(PipelineError::Start)?;
        let (addrs, pruner_name) = rx
            .recv()
            .map_err(|e| PipelineError::stage("pipeline", e))??;
        Ok(Pipeline {
            addrs,
            inflight: Arc::new(Semaphore::new(max_inflight)),
            max_inflight,
            metrics: Arc::default(),
            pruner_name,
            identity,
        })
    }

    /// [`PipelineSettings::identity`]: what this pipeline computes (pruner, `[stat]`, floor).
    pub fn identity(&self) -> u64 {
        self.identity
    }

    pub fn pruner_name(&self) -> &str {
        &self.pruner_name
    }

    /// Per-actor handling time and queue depth, shared by every clone of this handle.
    pub fn metrics(&self) -> &Arc<PipelineMetrics> {
        &self.metrics
    }

    /// Requests holding an in-flight slot now (`compress`, `try_compress`, `explain`).
    pub fn inflight_in_use(&self) -> usize {
        self.max_inflight
            .saturating_sub(self.inflight.available_permits())
    }

    /// Slots in all: beyond them `compress` waits and `try_compress` fails with Busy.
    pub fn inflight_capacity(&self) -> usize {
        self.max_inflight
    }

    /// `msg` for `actor`, with the caller's span and a meter counting it on that actor.
    pub(crate) fn traced<M>(&self, actor: ActorKind, msg: M) -> Traced<M> {
        Traced::metered(msg, self.metrics.meter(actor))
    }

    /// Compresses one request, waiting for a slot when the pipeline is saturated.
    pub async fn compress(&self, req: CompressRequest) -> Result<CompressResponse, PipelineError> {
        let _permit = self
            .inflight
            .acquire()
            .await
            .map_err(|e| PipelineError::stage("pipeline", e))?;
        self.run(req).await
    }

    /// Like [`compress`](Self::compress) but fails at once with `Busy` when saturated (HTTP 429).
    pub async fn try_compress(
        &self,
        req: CompressRequest,
    ) -> Result<CompressResponse, PipelineError> {
        let _permit = self
            .inflight
            .try_acquire()
            .map_err(|_| PipelineError::Busy {
                inflight: self.max_inflight,
            })?;
        self.run(req).await
    }

    async fn run(&self, req: CompressRequest) -> Result<CompressResponse, PipelineError> {
        // instrumented, not entered: a guard held across `.await` would leak the span into
        // whatever else the thread polls meanwhile
        let span = tracing::info_span!("compress", transcript = %req.transcript_id, bytes = req.input.len());
        self.run_in_span(req).instrument(span).await
    }

    async fn run_in_span(&self, req: CompressRequest) -> Result<CompressResponse, PipelineError> {
        let t0 = Instant::now();
        req.config.validate()?;
        if req.input.is_empty() {
            return Err(kompress_core::CoreError::EmptyInput.into());
        }
        if req.input.len() > req.config.max_bytes {
            return Err(kompress_core::CoreError::Oversized {
                size: req.input.len(),
                limit: req.config.max_bytes,
            }
            .into());
        }
        let input: Arc<str> = req.input.into();
        let (segments, is_json) = match req.format {
            Format::Text => (
                vec![Segment {
                    message_index: 0,
                    role: "tool".into(),
                    raw: 0..input.len(),
                    text: input.to_string(),
                }],
                false,
            ),
            f => {
                let root = crate::jsonspan::parse(&input)?;
                (transcript::segments(&root, f, &req.config.roles)?, true)
            }
        };
        let cfg = Arc::new(req.config);
        let futs = segments.iter().map(|s| self.segment(s, cfg.clone()));
        let results: Vec<SegmentResult> = futures::future::try_join_all(futs).await?;
        let mut resp = assemble(&input, &segments, results, is_json, &req.transcript_id);
        resp.stats.micros_total = t0.elapsed().as_micros() as u64;
        Ok(resp)
    }

    async fn segment(
        &self,
        seg: &Segment,
        cfg: Arc<CompressionConfig>,
    ) -> Result<SegmentResult, PipelineError> {
        if seg.text.len() < cfg.min_bytes {
            return Ok(SegmentResult::untouched(seg));
        }
        let s = self
            .run_stages(seg.text.as_str().into(), cfg, &mut |_, _| {})
            .await?;
        let (doc, keep, rewritten) = (s.doc, s.keep, s.rewritten);
        let floor_hits = s.mask.hits.len();
        Ok(SegmentResult::compressed(
            seg, &doc, &keep, rewritten, floor_hits,
        ))
    }
}
