//! W3C trace context (`traceparent`, `tracestate`) between `tracing` spans and carriers
//! such as HTTP or Kafka headers. Without the OpenTelemetry layer installed these are no-ops
//! (nothing to link), so callers use them unconditionally.

use std::collections::HashMap;

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt;

pub const TRACEPARENT: &str = "traceparent";
pub const TRACESTATE: &str = "tracestate";

struct Carrier<'a> {
    traceparent: &'a str,
    tracestate: Option<&'a str>,
}

impl Extractor for Carrier<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        match key {
            TRACEPARENT => Some(self.traceparent),
            TRACESTATE => self.tracestate,
            _ => None,
        }
    }
    fn keys(&self) -> Vec<&str> {
        vec![TRACEPARENT, TRACESTATE]
    }
}

/// Makes the caller's span (from a `traceparent` value, with an optional `tracestate`) the
/// parent of `span`. Call it right after creating `span`, before entering it. Returns
/// whether a valid remote parent was applied (false for a malformed value, or when spans
/// are not exported).
pub fn set_remote_parent(
    span: &tracing::Span,
    traceparent: &str,
    tracestate: Option<&str>,
) -> bool {
    let carrier = Carrier {
        traceparent: traceparent.trim(),
        tracestate,
    };
    let cx = TraceContextPropagator::new().extract(&carrier);
    if !cx.span().span_context().is_remote() {
        return false;
    }
    span.set_parent(cx).is_ok()
}

/// The `traceparent` value naming `span`, for the headers of what it sends on; `None` when
/// the span is not exported (no OpenTelemetry layer, filtered out).
pub fn traceparent_of(span: &tracing::Span) -> Option<String> {
    let cx = span.context();
    if !cx.span().span_context().is_valid() {
        return None;
    }
    let mut headers: HashMap<String, String> = HashMap::new();
    TraceContextPropagator::new().inject_context(&cx, &mut HeaderSink(&mut headers));
    headers.remove(TRACEPARENT)
}

struct HeaderSink<'a>(&'a mut HashMap<String, String>);

impl Injector for HeaderSink<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key.to_string(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    fn with_exporting_subscriber(f: impl FnOnce()) {
        use opentelemetry::trace::TracerProvider as _;
        use tracing_subscriber::layer::SubscriberExt;
        // spans are recorded and sampled, and go nowhere: no exporter
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
        let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("test"));
        tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), f);
    }

    #[test]
    fn remote_parent_puts_the_span_in_the_callers_trace() {
        with_exporting_subscriber(|| {
            let span = tracing::info_span!("request");
            assert!(set_remote_parent(&span, PARENT, None));
            let mine = traceparent_of(&span).expect("exported span has a traceparent");
            let parts: Vec<&str> = mine.split('-').collect();
            assert_eq!(parts[1], "4bf92f3577b34da6a3ce929d0e0e4736", "same trace");
            assert_ne!(parts[2], "00f067aa0ba902b7", "its own span id");
            assert_eq!(parts[3], "01", "sampled like its parent");
        });
    }

    #[test]
    fn malformed_traceparent_is_ignored() {
        with_exporting_subscriber(|| {
            let span = tracing::info_span!("request");
            for bad in [
                "",
                "garbage",
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            ] {
                assert!(!set_remote_parent(&span, bad, None), "{bad:?}");
            }
        });
    }

    #[test]
    fn without_the_layer_nothing_is_linked() {
        let span = tracing::info_span!("request");
        assert!(!set_remote_parent(&span, PARENT, None));
        assert_eq!(traceparent_of(&span), None);
    }
}
