//! kompress-pipeline: the compression pipeline. Each role (tokenizer, pruner, gate, safety
//! floor, rewriter) is an actix actor with typed messages ([`actors`]); [`Pipeline`] is the handle
//! callers use from any async runtime. [`stages`] holds the plain functions the actors run.

pub mod actors;
pub mod assemble;
pub mod blend;
pub mod error;
pub mod explain;
pub mod jsonspan;
pub mod metrics;
pub mod pipeline;
pub mod routed;
mod staged;
pub mod stages;
pub mod traced;
pub mod transcript;

pub use actors::PrunerFactory;
pub use blend::BlendPruner;
pub use error::PipelineError;
pub use explain::{Explanation, HitCategory, StageMicros};
pub use metrics::{ActorKind, HistogramSnapshot, PipelineMetrics};
pub use pipeline::{
    pipeline_identity, stat_description, CompressRequest, CompressResponse, Pipeline,
    PipelineSettings, Stats,
};
pub use routed::{RoutedPruner, DEFAULT_LEARNED_KINDS, DEFAULT_LEARNED_MIN_TOKENS};
