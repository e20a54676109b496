//! The one error type of the crate.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum TelemetryError {
    /// A config field is out of range or malformed; names the field.
    #[error("telemetry config: field `{field}`: {reason}")]
    Config { field: &'static str, reason: String },
    /// A log or trace filter does not parse.
    #[error("telemetry config: field `{field}`: invalid filter {value:?}")]
    Filter {
        field: &'static str,
        value: String,
        #[source]
        source: tracing_subscriber::filter::ParseError,
    },
    /// The OTLP exporter could not be built (bad endpoint, HTTP client).
    #[error("cannot build the OTLP exporter for {endpoint}")]
    Exporter {
        endpoint: String,
        #[source]
        source: opentelemetry_otlp::ExporterBuildError,
    },
    /// Flushing or shutting down the exporter failed.
    #[error("telemetry export: {0}")]
    Export(#[from] opentelemetry_sdk::error::OTelSdkError),
    /// Another global `tracing` subscriber is already installed in this process.
    #[error("a global tracing subscriber is already installed")]
    AlreadyInstalled(#[source] tracing_subscriber::util::TryInitError),
}
