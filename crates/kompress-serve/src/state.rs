//! What every handler shares: settings, the prefix-stable compressor, metrics, the
//! concurrency permits and the optional memory store.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use futures::StreamExt;
use kompress_memory::MemoryStore;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::ServeConfig;
use crate::error::ServeError;
use crate::metrics::Metrics;
use crate::stable::StableCompressor;

pub struct AppState {
    pub cfg: ServeConfig,
    pub compressor: StableCompressor,
    pub metrics: Arc<Metrics>,
    pub permits: Arc<Semaphore>,
    pub memory: Option<Arc<dyn MemoryStore>>,
    /// What each tenant and session saved (`/v1/savings`, `/savings`, `/metrics`).
    pub savings: crate::savings::Savings,
}

/// Holds one concurrency slot; the in-flight gauge follows it.
pub struct Slot {
    _permit: OwnedSemaphorePermit,
    metrics: Arc<Metrics>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.metrics.inflight.fetch_sub(1, Relaxed);
    }
}

impl AppState {
    /// A slot now, or 429: requests never wait in an unbounded queue.
    pub fn slot(&self) -> Result<Slot, ServeError> {
        let p = self
            .permits
            .clone()
            .try_acquire_owned()
            .map_err(|_| ServeError::Busy {
                inflight: self.cfg.max_inflight,
            })?;
        self.metrics.inflight.fetch_add(1, Relaxed);
        Ok(Slot {
            _permit: p,
            metrics: self.metrics.clone(),
        })
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.cfg.request_timeout_ms)
    }

    /// Runs `fut` under the request timeout.
    pub async fn timed<T>(
        &self,
        fut: impl std::future::Future<Output = Result<T, ServeError>>,
    ) -> Result<T, ServeError> {
        tokio::time::timeout(self.timeout(), fut)
            .await
            .map_err(|_| ServeError::Timeout {
                millis: self.cfg.request_timeout_ms,
            })?
    }

    /// Stores evictions for later recall; a no-op without a memory store.
    pub async fn remember(
        &self,
        tenant: &str,
        session: &str,
        evictions: &[kompress_core::Eviction],
    ) -> Result<(), ServeError> {
        let Some(store) = self.memory.clone() else {
            return Ok(());
        };
        if evictions.is_empty() {
            return Ok(());
        }
        let ttl = self.cfg.memory.as_ref().and_then(|m| m.default_ttl());
        let records = kompress_memory::records_for(tenant, session, evictions, ttl)?;
        kompress_memory::put_batch_async(store, records).await?;
        Ok(())
    }
}

/// Reads the whole body, failing with 413 as soon as it passes `limit` bytes.
pub async fn read_body(
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::BytesMut, ServeError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ServeError::Body(e.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(ServeError::BodyTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The body as UTF-8 text, or a typed 400 naming the offset.
pub fn utf8(body: &[u8]) -> Result<&str, ServeError> {
    kompress_core::utf8(body).map_err(|e| ServeError::Pipeline(e.into()))
}
