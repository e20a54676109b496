//! kompress-core: the domain types, configuration and errors that every other kompress crate
//! shares. No engine (libtorch, CUDA, Kafka, HTTP) is reachable from here.

pub mod config;
pub mod error;
pub mod eviction;
pub mod exit;
pub mod gate;
pub mod kind;
pub mod layered;
pub mod pruner;
pub mod text;

pub use config::{CompressionConfig, Format, Mode, KNOWN_ROLES};
pub use error::{utf8, CoreError, ErrorDomain};
pub use eviction::{content_hash, handle_for, restore, Eviction, EvictionKind};
pub use gate::{gate_cpu, GateParams, SpanSquash};
pub use kind::TextKind;
pub use pruner::{Pruner, PrunerScores};
pub use text::{split_lines, Line, Token, TokenKind, TokenizedText};
