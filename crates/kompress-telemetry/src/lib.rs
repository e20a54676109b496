//! kompress-telemetry: how kompress processes report what they do. [`init`] installs one
//! `tracing` subscriber with stdout logs (JSON lines by default) and, when an OTLP endpoint
//! is configured (config or the standard `OTEL_EXPORTER_OTLP_*` variables), exports spans
//! over OTLP/HTTP protobuf through `tracing-opentelemetry`. [`set_remote_parent`] and
//! [`traceparent_of`] carry W3C trace context across HTTP and Kafka headers.

mod config;
mod error;
mod init;
mod propagate;

pub use config::{LogFormat, LogStream, Resolved, TelemetryConfig, TRACES_PATH};
pub use error::TelemetryError;
pub use init::{build, init, init_as, TelemetryGuard};
pub use propagate::{set_remote_parent, traceparent_of, TRACEPARENT, TRACESTATE};
