//! `kompress.Store`: the embedded SQLite memory store, the same file `kompress compress
//! --store` and `kompress recall` use. Every call releases the GIL while SQLite works.

use std::sync::Arc;

use kompress_memory::{MemoryConfig, MemoryStore};
use pyo3::prelude::*;

use crate::errors::PyFailure;

#[pyclass(module = "kompress._native", frozen)]
pub struct Store {
    inner: Arc<dyn MemoryStore>,
    path: String,
}

#[pymethods]
impl Store {
    /// Opens (creating when missing) the SQLite store at `path`.
    #[new]
    fn new(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Self> {
        let shown = path.display().to_string();
        let inner = py
            .allow_threads(|| kompress_memory::open_store(&MemoryConfig::sqlite(&path)))
            .map_err(PyFailure::from)?;
        Ok(Store { inner, path: shown })
    }

    #[getter]
    fn path(&self) -> &str {
        &self.path
    }

    /// Stores evictions (a JSON array) under tenant and session; returns (inserted,
    /// already present, scrubbed). Storing the same evictions again is a no-op.
    fn put(
        &self,
        py: Python<'_>,
        evictions_json: &str,
        tenant: &str,
        session: &str,
    ) -> PyResult<(usize, usize, usize)> {
        let ev = crate::evictions_arg(evictions_json)?;
        let report = py
            .allow_threads(|| {
                let records = kompress_memory::records_for(tenant, session, &ev, None)?;
                self.inner.put_batch(&records)
            })
            .map_err(PyFailure::from)?;
        Ok((report.inserted, report.already_present, report.scrubbed))
    }

    /// The original text behind a marker's handle (`ab12cd34`, `ref=ab12cd34` or the whole
    /// marker), or None when the tenant holds no such record.
    #[pyo3(signature = (reference, tenant, session=None))]
    fn recall(
        &self,
        py: Python<'_>,
        reference: &str,
        tenant: &str,
        session: Option<&str>,
    ) -> PyResult<Option<String>> {
        let handle = handle_of(reference);
        let found = py
            .allow_threads(|| self.inner.get_by_handle(tenant, session, handle))
            .map_err(PyFailure::from)?;
        Ok(found.map(|r| r.text))
    }

    /// The stored evictions of a transcript, as a JSON array ordered by offset.
    fn evictions(&self, py: Python<'_>, transcript_id: &str, tenant: &str) -> PyResult<String> {
        let ev = py
            .allow_threads(|| self.inner.evictions_for_transcript(tenant, transcript_id))
            .map_err(PyFailure::from)?;
        Ok(serde_json::to_string(&ev).expect("evictions serialise"))
    }

    /// The original of a compressed text whose evictions this store holds, byte-exact.
    fn restore(
        &self,
        py: Python<'_>,
        compressed: &str,
        transcript_id: &str,
        tenant: &str,
    ) -> PyResult<String> {
        py.allow_threads(|| {
            let ev = self
                .inner
                .evictions_for_transcript(tenant, transcript_id)
                .map_err(PyFailure::from)?;
            kompress_core::restore(compressed, &ev).map_err(PyFailure::from)
        })
        .map_err(PyErr::from)
    }

    /// Full-text search over evicted text in the tenant: a JSON array of hits, best first.
    #[pyo3(signature = (query, tenant, limit=10, session=None))]
    fn search(
        &self,
        py: Python<'_>,
        query: &str,
        tenant: &str,
        limit: usize,
        session: Option<&str>,
    ) -> PyResult<String> {
        let hits = py
            .allow_threads(|| self.inner.search(tenant, session, query, limit))
            .map_err(PyFailure::from)?;
        Ok(serde_json::to_string(&hits).expect("hits serialise"))
    }

    /// Record counts of the whole store, as a JSON object.
    fn stats(&self, py: Python<'_>) -> PyResult<String> {
        let s = py
            .allow_threads(|| self.inner.stats())
            .map_err(PyFailure::from)?;
        Ok(serde_json::to_string(&s).expect("stats serialise"))
    }

    fn __repr__(&self) -> String {
        format!("Store({:?})", self.path)
    }
}

/// `ab12cd34` from `ab12cd34`, `ref=ab12cd34` or `[…3 lines, ref=ab12cd34]`.
fn handle_of(reference: &str) -> &str {
    let r = reference.trim().trim_end_matches(']');
    match r.rfind("ref=") {
        Some(i) => &r[i + 4..],
        None => r,
    }
}
