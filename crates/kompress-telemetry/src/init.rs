//! Installs the process's `tracing` subscriber: stdout logs (JSON by default) and, when an
//! OTLP endpoint is configured, `tracing-opentelemetry` feeding a batch span exporter over
//! OTLP/HTTP protobuf. Each output has its own filter, so quiet logs do not hide spans.

use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use opentelemetry_sdk::Resource;
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, Registry};

use crate::config::{parse_filter, LogFormat, LogStream, Resolved, TelemetryConfig};
use crate::error::TelemetryError;

/// Keeps the exporter alive; dropping it flushes the spans still buffered and stops export.
#[must_use = "dropping the guard stops trace export at once"]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
    resolved: Resolved,
}

impl TelemetryGuard {
    /// Where spans are sent; `None` when export is off.
    pub fn traces_url(&self) -> Option<&str> {
        self.resolved.traces_url.as_deref()
    }

    pub fn service_name(&self) -> &str {
        &self.resolved.service_name
    }

    /// Sends every finished span now and waits for the collector's answer.
    pub fn flush(&self) -> Result<(), TelemetryError> {
        match &self.provider {
            Some(p) => Ok(p.force_flush()?),
            None => Ok(()),
        }
    }

    /// Flushes and stops the exporter, reporting a failure instead of printing it.
    pub fn shutdown(mut self) -> Result<(), TelemetryError> {
        match self.provider.take() {
            Some(p) => Ok(p.shutdown()?),
            None => Ok(()),
        }
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(p) = self.provider.take() {
            if let Err(e) = p.shutdown() {
                eprintln!("kompress telemetry: final span export failed: {e}");
            }
        }
    }
}

type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// Installs the subscriber for this process, reading the standard variables from the
/// environment. `default_service` names the service when neither config nor
/// `OTEL_SERVICE_NAME` does. Fails if a global subscriber is already installed.
pub fn init(cfg: &TelemetryConfig) -> Result<TelemetryGuard, TelemetryError> {
    init_as(cfg, "kompress")
}

/// [`init`] with another default service name (e.g. `kompress-kafka`).
pub fn init_as(
    cfg: &TelemetryConfig,
    default_service: &str,
) -> Result<TelemetryGuard, TelemetryError> {
    let resolved = cfg.resolve(default_service, |k| std::env::var(k).ok())?;
    let (subscriber, guard) = build(cfg, resolved)?;
    subscriber
        .try_init()
        .map_err(TelemetryError::AlreadyInstalled)?;
    Ok(guard)
}

/// The subscriber and its guard without installing it globally (for scoped use in tests).
pub fn build(
    cfg: &TelemetryConfig,
    resolved: Resolved,
) -> Result<(impl tracing::Subscriber + Send + Sync, TelemetryGuard), TelemetryError> {
    let log_filter = parse_filter("log_filter", &resolved.log_filter)?;
    let writer = match cfg.log_stream {
        LogStream::Stdout => BoxMakeWriter::new(std::io::stdout),
        LogStream::Stderr => BoxMakeWriter::new(std::io::stderr),
    };
    let logs: Option<BoxedLayer> = match cfg.log_format {
        LogFormat::Json => Some(
            tracing_subscriber::fmt::layer()
                .json()
                .with_writer(writer)
                .with_filter(log_filter)
                .boxed(),
        ),
        LogFormat::Text => Some(
            tracing_subscriber::fmt::layer()
                .with_writer(writer)
                .with_ansi(false)
                .with_filter(log_filter)
                .boxed(),
        ),
        LogFormat::Off => None,
    };
    let provider = match &resolved.traces_url {
        Some(url) => Some(provider(cfg, &resolved.service_name, url)?),
        None => None,
    };
    let otel = match &provider {
        Some(p) => Some(
            tracing_opentelemetry::layer()
                .with_tracer(p.tracer("kompress"))
                .with_tracked_inactivity(false)
                .with_filter(parse_filter("trace_filter", &cfg.trace_filter)?),
        ),
        None => None,
    };
    let subscriber = tracing_subscriber::registry().with(logs).with(otel);
    Ok((subscriber, TelemetryGuard { provider, resolved }))
}

fn provider(
    cfg: &TelemetryConfig,
    service: &str,
    url: &str,
) -> Result<SdkTracerProvider, TelemetryError> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(url)
        .with_timeout(Duration::from_millis(cfg.otlp_timeout_ms))
        .build()
        .map_err(|source| TelemetryError::Exporter {
            endpoint: url.to_string(),
            source,
        })?;
    let sampler = Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(cfg.sampling_ratio)));
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_sampler(sampler)
        .with_resource(
            Resource::builder()
                .with_service_name(service.to_string())
                .build(),
        )
        .build())
}
