//! Telemetry settings: the `[telemetry]` table of a service's TOML file. Every field has a
//! default, unknown fields are rejected, and `validate` names the offending field.
//!
//! Trace export is off unless an OTLP endpoint is given here or in the standard
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT` variables
//! (`OTEL_SDK_DISABLED=true` turns it off again). Logs go to stdout as JSON lines by default.

use serde::{Deserialize, Serialize};
use tracing_subscriber::EnvFilter;

use crate::error::TelemetryError;

/// How log events are written to stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One JSON object per line (the default: what log shippers expect).
    #[default]
    Json,
    /// Human-readable lines.
    Text,
    /// No log output (traces may still be exported).
    Off,
}

/// Where log lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogStream {
    #[default]
    Stdout,
    /// For programs whose stdout carries results (e.g. counters printed at exit).
    Stderr,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetryConfig {
    /// `service.name` of exported spans; unset: `OTEL_SERVICE_NAME`, then `default_service`.
    pub service_name: Option<String>,
    /// OTLP/HTTP (protobuf) base URL such as `http://127.0.0.1:4318` (`/v1/traces` is appended
    /// unless the path already ends with it); plain HTTP only, to a local collector or agent.
    /// Unset: the standard OTLP variables; none there either: no export.
    pub otlp_endpoint: Option<String>,
    /// Share of new traces recorded, 0.0 to 1.0. A request that arrives with a
    /// `traceparent` follows its caller's sampling decision.
    pub sampling_ratio: f64,
    /// Longest one export request may take.
    pub otlp_timeout_ms: u64,
    /// Which spans are exported (`tracing` filter directives).
    pub trace_filter: String,
    pub log_format: LogFormat,
    pub log_stream: LogStream,
    /// Which events are logged (`tracing` filter directives); `KOMPRESS_LOG` overrides it.
    pub log_filter: String,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        TelemetryConfig {
            service_name: None,
            otlp_endpoint: None,
            sampling_ratio: 1.0,
            otlp_timeout_ms: 10_000,
            trace_filter: "info".into(),
            log_format: LogFormat::Json,
            log_stream: LogStream::Stdout,
            log_filter: "info".into(),
        }
    }
}

/// The settings with the environment applied: what [`crate::init`] installs.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub service_name: String,
    /// Full URL spans are posted to; `None`: export off.
    pub traces_url: Option<String>,
    pub log_filter: String,
}

/// Path of the traces signal in OTLP/HTTP.
pub const TRACES_PATH: &str = "/v1/traces";

impl TelemetryConfig {
    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<(), TelemetryError> {
        let bad = |field, reason: &str| TelemetryError::Config {
            field,
            reason: reason.into(),
        };
        if !(0.0..=1.0).contains(&self.sampling_ratio) {
            return Err(bad("sampling_ratio", "must be between 0.0 and 1.0"));
        }
        if self.otlp_timeout_ms == 0 {
            return Err(bad("otlp_timeout_ms", "must be at least 1"));
        }
        if let Some(e) = &self.otlp_endpoint {
            check_url("otlp_endpoint", e)?;
        }
        if self.service_name.as_deref().is_some_and(str::is_empty) {
            return Err(bad("service_name", "must not be empty"));
        }
        parse_filter("trace_filter", &self.trace_filter)?;
        parse_filter("log_filter", &self.log_filter)?;
        Ok(())
    }

    /// Applies the environment (read through `env`, so tests need not touch the process's).
    pub fn resolve(
        &self,
        default_service: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Resolved, TelemetryError> {
        self.validate()?;
        let set = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        let disabled = set("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let traces_url = if disabled {
            None
        } else if let Some(e) = &self.otlp_endpoint {
            Some(with_traces_path(e))
        } else if let Some(e) = set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
            check_url("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &e)?;
            Some(e)
        } else if let Some(e) = set("OTEL_EXPORTER_OTLP_ENDPOINT") {
            check_url("OTEL_EXPORTER_OTLP_ENDPOINT", &e)?;
            Some(with_traces_path(&e))
        } else {
            None
        };
        let log_filter = match set("KOMPRESS_LOG") {
            Some(f) => {
                parse_filter("KOMPRESS_LOG", &f)?;
                f
            }
            None => self.log_filter.clone(),
        };
        let service_name = self
            .service_name
            .clone()
            .or_else(|| set("OTEL_SERVICE_NAME"))
            .unwrap_or_else(|| default_service.to_string());
        Ok(Resolved {
            service_name,
            traces_url,
            log_filter,
        })
    }
}

fn check_url(field: &'static str, url: &str) -> Result<(), TelemetryError> {
    // the exporter is built without TLS: send to a local collector/agent, which forwards
    let reason = if url.starts_with("https://") {
        format!("{url:?}: https is not supported; point this at a local OTLP collector (http://)")
    } else {
        match url.strip_prefix("http://") {
            Some(r) if !r.is_empty() && !r.starts_with('/') => return Ok(()),
            _ => format!("{url:?} is not an http:// URL with a host"),
        }
    };
    Err(TelemetryError::Config { field, reason })
}

fn with_traces_path(base: &str) -> String {
    let base = base.trim_end_matches('/');
    if base.ends_with(TRACES_PATH) {
        base.to_string()
    } else {
        format!("{base}{TRACES_PATH}")
    }
}

pub(crate) fn parse_filter(field: &'static str, value: &str) -> Result<EnvFilter, TelemetryError> {
    EnvFilter::builder()
        .parse(value)
        .map_err(|source| TelemetryError::Filter {
            field,
            value: value.to_string(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn export_is_off_and_json_logs_are_on_by_default() {
        let r = TelemetryConfig::default()
            .resolve("kompress", env(&[]))
            .unwrap();
        assert_eq!(r.traces_url, None);
        assert_eq!(r.service_name, "kompress");
        assert_eq!(TelemetryConfig::default().log_format, LogFormat::Json);
    }

    #[test]
    fn generic_env_endpoint_gets_the_traces_path() {
        let r = TelemetryConfig::default()
            .resolve(
                "k",
                env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/")]),
            )
            .unwrap();
        assert_eq!(r.traces_url.as_deref(), Some("http://c:4318/v1/traces"));
    }

    #[test]
    fn signal_env_endpoint_is_used_as_given_and_config_wins_over_env() {
        let vars = [("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:9/custom")];
        let r = TelemetryConfig::default().resolve("k", env(&vars)).unwrap();
        assert_eq!(r.traces_url.as_deref(), Some("http://c:9/custom"));
        let cfg = TelemetryConfig {
            otlp_endpoint: Some("http://mine:4318/v1/traces".into()),
            ..Default::default()
        };
        let r = cfg.resolve("k", env(&vars)).unwrap();
        assert_eq!(r.traces_url.as_deref(), Some("http://mine:4318/v1/traces"));
    }

    #[test]
    fn sdk_disabled_turns_export_off() {
        let cfg = TelemetryConfig {
            otlp_endpoint: Some("http://c:4318".into()),
            ..Default::default()
        };
        let r = cfg
            .resolve("k", env(&[("OTEL_SDK_DISABLED", "TRUE")]))
            .unwrap();
        assert_eq!(r.traces_url, None);
    }

    #[test]
    fn service_name_from_env_when_config_leaves_it_unset() {
        let r = TelemetryConfig::default()
            .resolve("k", env(&[("OTEL_SERVICE_NAME", "edge-proxy")]))
            .unwrap();
        assert_eq!(r.service_name, "edge-proxy");
    }

    #[test]
    fn bad_fields_are_named() {
        let field_of = |c: TelemetryConfig| match c.validate() {
            Err(TelemetryError::Config { field, .. } | TelemetryError::Filter { field, .. }) => {
                field
            }
            other => panic!("expected a field error, got {other:?}"),
        };
        let d = TelemetryConfig::default;
        let ratio = TelemetryConfig {
            sampling_ratio: 1.5,
            ..d()
        };
        assert_eq!(field_of(ratio), "sampling_ratio");
        let url = TelemetryConfig {
            otlp_endpoint: Some("localhost:4318".into()),
            ..d()
        };
        assert_eq!(field_of(url), "otlp_endpoint");
        let filter = TelemetryConfig {
            trace_filter: "kompress=loud".into(),
            ..d()
        };
        assert_eq!(field_of(filter), "trace_filter");
        let err = TelemetryConfig::default()
            .resolve("k", env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "nope")]))
            .unwrap_err();
        assert!(
            err.to_string().contains("OTEL_EXPORTER_OTLP_ENDPOINT"),
            "{err}"
        );
    }

    #[test]
    fn unknown_fields_are_rejected_in_toml() {
        let ok: TelemetryConfig = toml::from_str(
            "otlp_endpoint = \"http://c:4318\"\nlog_format = \"text\"\nlog_stream = \"stderr\"",
        )
        .unwrap();
        assert_eq!(ok.log_format, LogFormat::Text);
        assert_eq!(ok.log_stream, LogStream::Stderr);
        let err = toml::from_str::<TelemetryConfig>("otlp_endpont = \"x\"").unwrap_err();
        assert!(err.to_string().contains("otlp_endpont"), "{err}");
    }
}
