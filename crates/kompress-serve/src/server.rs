//! Builds the actix-web app, binds it, and runs it with graceful shutdown: on SIGINT/SIGTERM
//! (or `ServerHandle::stop(true)`) new connections are refused and in-flight requests get up
//! to `shutdown_timeout_secs` to finish.

mod upstream;

pub use upstream::UpstreamClient;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use actix_web::dev::{Server, ServerHandle, Service};
use actix_web::{web, App, HttpServer};
use futures::FutureExt;
use kompress_pipeline::{Pipeline, PipelineSettings};
use tokio::sync::Semaphore;
use tracing::Instrument;

use crate::config::ServeConfig;
use crate::error::ServeError;
use crate::metrics::Metrics;
use crate::stable::StableCompressor;
use crate::state::AppState;
use crate::{api, playground, proxy, reqspan, savings};

/// A bound server: run `server` (await it) and stop it through `handle`.
pub struct Bound {
    pub server: Server,
    pub handle: ServerHandle,
    pub addr: SocketAddr,
    pub state: web::Data<AppState>,
}

/// Shared state from settings and a started pipeline (opens the memory store when set).
pub fn state(cfg: ServeConfig, pipeline: Pipeline) -> Result<web::Data<AppState>, ServeError> {
    cfg.validate()?;
    let metrics = Arc::new(Metrics::default());
    let memory = cfg
        .memory
        .as_ref()
        .map(kompress_memory::open_store)
        .transpose()?;
    Ok(web::Data::new(AppState {
        compressor: StableCompressor::with_limits(
            pipeline,
            cfg.cache_entries,
            cfg.cache_max_bytes,
            metrics.clone(),
        ),
        permits: Arc::new(Semaphore::new(cfg.max_inflight)),
        metrics,
        memory,
        savings: Default::default(),
        cfg,
    }))
}

pub fn routes(c: &mut web::ServiceConfig) {
    c.route("/", web::get().to(playground::page))
        .route("/healthz", web::get().to(api::healthz))
        .route("/readyz", web::get().to(api::readyz))
        .route("/metrics", web::get().to(api::metrics))
        .route("/v1/compress", web::post().to(api::compress))
        .route("/v1/explain", web::post().to(playground::explain))
        .route("/v1/retrieve", web::post().to(api::retrieve))
        .route("/v1/savings", web::get().to(savings::json))
        .route("/savings", web::get().to(savings::page))
        .route("/v1/chat/completions", web::post().to(proxy::openai))
        .route("/v1/responses", web::post().to(proxy::responses))
        .route("/v1/messages", web::post().to(proxy::anthropic));
}

/// Binds `cfg.listen` (port 0 picks a free one) and returns the not-yet-awaited server.
/// Fails on a `proxy.ca_file` that cannot be read or parsed.
pub fn bind(state: web::Data<AppState>) -> Result<Bound, ServeError> {
    let cfg = state.cfg.clone();
    let upstream = UpstreamClient::from_config(&cfg.proxy)?;
    let st = state.clone();
    let srv = HttpServer::new(move || {
        let metrics = st.metrics.clone();
        App::new()
            .app_data(st.clone())
            .app_data(upstream.build())
            .wrap_fn(move |req, srv| {
                let route = req.match_pattern().unwrap_or_else(|| "other".into());
                let metrics = metrics.clone();
                let t0 = Instant::now();
                let span = reqspan::request_span(&req, &route);
                let call = span.in_scope(|| srv.call(req));
                call.instrument(span.clone()).map(move |res| {
                    if let Ok(r) = &res {
                        let status = r.status().as_u16();
                        reqspan::record_status(&span, status);
                        if let Some(e) = r.response().error() {
                            let kind = e.as_error::<ServeError>().map_or("http", ServeError::kind);
                            metrics.error(kind);
                        }
                        metrics.request(&route, status, t0.elapsed());
                    }
                    res
                })
            })
            .configure(routes)
    })
    .workers(cfg.workers)
    .shutdown_timeout(cfg.shutdown_timeout_secs)
    .bind(&cfg.listen)?;
    let addr = *srv.addrs().first().ok_or_else(|| ServeError::Config {
        field: "listen",
        reason: "bound no address".into(),
    })?;
    let server = srv.run();
    Ok(Bound {
        handle: server.handle(),
        server,
        addr,
        state,
    })
}

/// Starts the pipeline, binds, logs the address and serves until a shutdown signal.
pub async fn run(cfg: ServeConfig, settings: PipelineSettings) -> Result<(), ServeError> {
    let pipeline = Pipeline::start(settings)?;
    let bound = bind(state(cfg, pipeline)?)?;
    tracing::info!(addr = %bound.addr, "kompress serve listening");
    // stderr: stdout carries the JSON log lines
    eprintln!("kompress serve listening on http://{}", bound.addr);
    bound.server.await?;
    Ok(())
}
