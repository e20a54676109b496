//! One span per HTTP request. An incoming W3C `traceparent` (and `tracestate`) header makes
//! the caller's span its parent, so the service's spans — the request, the compression and
//! each pipeline stage — join the caller's trace when they are exported.

use actix_web::dev::ServiceRequest;
use actix_web::http::header::HeaderMap;
use tracing::field::Empty;
use tracing::Span;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The span of one request to `route` (the matched pattern, never the raw path, so spans
/// group by endpoint and carry no identifiers from the URL).
pub fn request_span(req: &ServiceRequest, route: &str) -> Span {
    let method = req.method().as_str();
    let span = tracing::info_span!(
        "http.request",
        otel.name = %format_args!("{method} {route}"),
        otel.kind = "server",
        http.request.method = %method,
        http.route = %route,
        http.response.status_code = Empty,
        otel.status_code = Empty,
    );
    let headers = req.headers();
    if let Some(tp) = header(headers, kompress_telemetry::TRACEPARENT) {
        let ts = header(headers, kompress_telemetry::TRACESTATE);
        kompress_telemetry::set_remote_parent(&span, tp, ts);
    }
    span
}

/// Records the response status on the request span (server errors mark it failed).
pub fn record_status(span: &Span, status: u16) {
    span.record("http.response.status_code", status);
    if status >= 500 {
        span.record("otel.status_code", "ERROR");
    }
}
