//! `kompress._native`: the kompress pipeline in a Python process, with no server. The Python
//! half (`python/kompress`) turns Python values into the JSON this module takes and back, and
//! defines the exception classes raised here ([`errors`]).
//!
//! Each pruner kind gets one pipeline per process, started on first use and kept: its actor
//! threads (and, with the `learned` feature, its model) stay loaded between calls. Calls
//! release the GIL while the pipeline works, so Python threads compress in parallel up to the
//! pipeline's in-flight limit.

mod errors;
mod store;

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use kompress_core::{CompressionConfig, Eviction, Format};
use kompress_pipeline::{CompressRequest, Pipeline};
use kompress_pruners::{PipelineConfig, PrunerKind, PrunerSpec};
use pyo3::prelude::*;

use crate::errors::{bad_json, PyFailure};

/// Started pipelines, one per pruner kind.
static PIPELINES: OnceLock<Mutex<HashMap<String, Pipeline>>> = OnceLock::new();

/// `[pruner] kind` by its config name (PrunerKind's own serde names).
fn pruner_kind(name: &str) -> Result<PrunerKind, PyFailure> {
    use serde::de::{value::StrDeserializer, Deserialize};
    PrunerKind::deserialize(StrDeserializer::<serde::de::value::Error>::new(name)).map_err(|_| {
        PyFailure::new(
            "ConfigError",
            "invalid_config",
            format!(
                "invalid configuration: field `pruner`: unknown pruner {name:?} \
                 (expected auto, stat, learned or blend)"
            ),
        )
    })
}

/// The pipeline for `pruner`, started on first use.
fn pipeline(pruner: &str) -> Result<Pipeline, PyFailure> {
    let kind = pruner_kind(pruner)?;
    let map = PIPELINES.get_or_init(Mutex::default);
    let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(p) = map.get(pruner) {
        return Ok(p.clone());
    }
    let spec = PrunerSpec {
        kind,
        ..PrunerSpec::default()
    };
    spec.validate()?;
    if matches!(kind, PrunerKind::Learned | PrunerKind::Blend) && !kompress_pruners::LEARNED {
        return Err(kompress_pruners::not_built().into());
    }
    let p = Pipeline::start(
        PipelineConfig {
            pruner: spec,
            ..PipelineConfig::default()
        }
        .settings()?,
    )?;
    map.insert(pruner.to_string(), p.clone());
    Ok(p)
}

fn format_of(name: &str) -> Result<Format, PyFailure> {
    name.parse::<Format>().map_err(PyFailure::from)
}

/// Default transcript id: the first 8 bytes of the input's SHA-256, in hex (as the CLI).
fn default_id(input: &str) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(input.as_bytes())[..8])
}

/// Compresses `input` (plain text, or a transcript's JSON for the JSON formats) with the
/// `[compression]` settings in `config_json`. Returns (output, evictions as a JSON array,
/// stats as a JSON object, transcript id, the pruner's name).
#[pyfunction]
#[pyo3(signature = (input, format, pruner, config_json, transcript_id=None))]
fn compress(
    py: Python<'_>,
    input: &Bound<'_, PyAny>,
    format: &str,
    pruner: &str,
    config_json: &str,
    transcript_id: Option<String>,
) -> PyResult<(String, String, String, String, String)> {
    let text = text_arg(input)?;
    let format = format_of(format)?;
    let config: CompressionConfig =
        serde_json::from_str(config_json).map_err(|e| bad_json("config", e))?;
    config.validate().map_err(PyFailure::from)?;
    let pipe = pipeline(pruner)?;
    let id = transcript_id.unwrap_or_else(|| default_id(&text));
    let req = CompressRequest {
        transcript_id: id.clone(),
        format,
        input: text,
        config,
    };
    let resp = py
        .allow_threads(|| futures::executor::block_on(pipe.compress(req)))
        .map_err(PyFailure::from)?;
    let ev = serde_json::to_string(&resp.evictions).expect("evictions serialise");
    let stats = serde_json::to_string(&resp.stats).expect("stats serialise");
    Ok((resp.output, ev, stats, id, pipe.pruner_name().to_string()))
}

/// A `str`, or `bytes` that must be UTF-8 (a typed InputError naming the offset otherwise).
fn text_arg(input: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = input.extract::<String>() {
        return Ok(s);
    }
    if let Ok(b) = input.downcast::<pyo3::types::PyBytes>() {
        let s = kompress_core::utf8(b.as_bytes()).map_err(PyFailure::from)?;
        return Ok(s.to_string());
    }
    Err(PyFailure::new(
        "InputError",
        "schema",
        format!(
            "expected str or bytes, got {}",
            input
                .get_type()
                .name()
                .map_or("?".into(), |n| n.to_string())
        ),
    )
    .into())
}

pub(crate) fn evictions_arg(json: &str) -> Result<Vec<Eviction>, PyFailure> {
    serde_json::from_str(json).map_err(|e| bad_json("evictions", e))
}

/// The original text from a compressed output and its evictions (a JSON array), byte-exact.
#[pyfunction]
fn restore(py: Python<'_>, compressed: &str, evictions_json: &str) -> PyResult<String> {
    let ev = evictions_arg(evictions_json)?;
    py.allow_threads(|| kompress_core::restore(compressed, &ev))
        .map_err(|e| PyFailure::from(e).into())
}

/// The content hash kompress records use (xxh3-128, 32 hex digits).
#[pyfunction]
fn content_hash(text: &str) -> String {
    kompress_core::content_hash(text)
}

/// The `[compression]` defaults, as JSON (the Python half documents and validates against it).
#[pyfunction]
fn default_config_json() -> String {
    serde_json::to_string(&CompressionConfig::default()).expect("config serialises")
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("LEARNED", kompress_pruners::LEARNED)?;
    m.add_function(wrap_pyfunction!(compress, m)?)?;
    m.add_function(wrap_pyfunction!(restore, m)?)?;
    m.add_function(wrap_pyfunction!(default_config_json, m)?)?;
    m.add_function(wrap_pyfunction!(content_hash, m)?)?;
    m.add_class::<store::Store>()?;
    Ok(())
}
