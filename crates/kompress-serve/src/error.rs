//! The one error type of the service, with the HTTP status and the stable `kind` each maps to.
//! Every error leaves as a typed JSON body: `{"error": {"kind": …, "message": …}}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use kompress_core::CoreError;
use kompress_pipeline::PipelineError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ServeError {
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error("request body is larger than {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("request body: {0}")]
    Body(String),
    #[error("request is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("invalid request: field `{field}`: {reason}")]
    Request { field: &'static str, reason: String },
    #[error("the service is saturated ({inflight} requests in flight); retry later")]
    Busy { inflight: usize },
    #[error("request took longer than {millis} ms")]
    Timeout { millis: u64 },
    #[error("upstream {name:?} is not in the allow-list")]
    UpstreamNotAllowed { name: String },
    #[error("upstream request failed: {0}")]
    Upstream(String),
    #[error("the upstream answered {status}, a redirect; the proxy never follows redirects")]
    UpstreamRedirect { status: u16 },
    #[error("memory store: {0}")]
    Memory(#[from] kompress_memory::MemoryError),
    #[error("no memory store is configured")]
    NoMemory,
    #[error("nothing is stored under handle {handle:?} for this tenant")]
    NotFound { handle: String },
    #[error("configuration: field `{field}`: {reason}")]
    Config { field: &'static str, reason: String },
    #[error("cannot bind or run the server: {0}")]
    Io(#[from] std::io::Error),
}

impl ServeError {
    /// A short stable name, used in error bodies and as the `kind` label of the error metric.
    pub fn kind(&self) -> &'static str {
        match self {
            ServeError::Pipeline(e) => e.kind(),
            ServeError::BodyTooLarge { .. } => "oversized",
            ServeError::Body(_) => "body",
            ServeError::Json(_) => "malformed_json",
            ServeError::Request { .. } => "schema",
            ServeError::Busy { .. } => "busy",
            ServeError::Timeout { .. } => "timeout",
            ServeError::UpstreamNotAllowed { .. } => "upstream_not_allowed",
            ServeError::Upstream(_) => "upstream",
            ServeError::UpstreamRedirect { .. } => "upstream_redirect",
            ServeError::Memory(_) => "memory",
            ServeError::NoMemory => "no_memory",
            ServeError::NotFound { .. } => "not_found",
            ServeError::Config { .. } => "config",
            ServeError::Io(_) => "io",
        }
    }
}

fn core_status(e: &CoreError) -> StatusCode {
    match e {
        CoreError::InvalidUtf8 { .. }
        | CoreError::MalformedJson { .. }
        | CoreError::Schema { .. }
        | CoreError::EmptyInput => StatusCode::BAD_REQUEST,
        CoreError::Oversized { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        CoreError::UnknownRole { .. } | CoreError::InvalidConfig { .. } => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl ResponseError for ServeError {
    fn status_code(&self) -> StatusCode {
        match self {
            ServeError::Pipeline(PipelineError::Core(e)) => core_status(e),
            ServeError::Pipeline(PipelineError::Busy { .. }) | ServeError::Busy { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ServeError::Pipeline(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ServeError::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ServeError::Body(_) | ServeError::Json(_) | ServeError::Request { .. } => {
                StatusCode::BAD_REQUEST
            }
            ServeError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            ServeError::UpstreamNotAllowed { .. } => StatusCode::FORBIDDEN,
            ServeError::Upstream(_) | ServeError::UpstreamRedirect { .. } => {
                StatusCode::BAD_GATEWAY
            }
            ServeError::NoMemory | ServeError::NotFound { .. } => StatusCode::NOT_FOUND,
            ServeError::Memory(e) if e.is_invalid_scope() => StatusCode::UNPROCESSABLE_ENTITY,
            ServeError::Memory(_) | ServeError::Config { .. } | ServeError::Io(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut b = HttpResponse::build(self.status_code());
        if matches!(self.status_code(), StatusCode::TOO_MANY_REQUESTS) {
            b.insert_header(("retry-after", "1"));
        }
        b.json(serde_json::json!({"error": {"kind": self.kind(), "message": self.to_string()}}))
    }
}
