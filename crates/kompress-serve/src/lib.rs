//! kompress-serve: `kompress serve`. An HTTP compress API shaped like Headroom's, an OpenAI /
//! Anthropic proxy that compresses tool results before forwarding to an allow-listed
//! upstream, prefix-stable compression through a content-hash LRU, Prometheus metrics, typed
//! JSON errors, concurrency and size limits, graceful shutdown and a small playground page.

pub mod allow;
pub mod api;
pub mod config;
pub mod error;
pub mod history;
pub mod metrics;
pub mod playground;
pub mod proxy;
pub mod reqspan;
pub mod retrieve_loop;
pub mod retrieve_stream;
pub mod savings;
pub mod server;
pub mod stable;
pub mod state;
pub mod usage;

pub use config::{ProxyConfig, ServeConfig};
pub use error::ServeError;
pub use server::{bind, run, state, Bound};
