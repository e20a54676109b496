//! Rust errors as the typed Python exceptions of `kompress.errors`. The class comes from the
//! error's variant (its stable `kind`), never from its message; the message carries the whole
//! source chain.

use kompress_core::{CoreError, ErrorDomain};
use kompress_memory::MemoryError;
use kompress_pipeline::PipelineError;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// One failure on its way to Python: the `kompress.errors` class, the stable kind, the text.
pub struct PyFailure {
    class: &'static str,
    kind: &'static str,
    message: String,
}

impl PyFailure {
    pub fn new(class: &'static str, kind: &'static str, message: impl Into<String>) -> Self {
        PyFailure {
            class,
            kind,
            message: message.into(),
        }
    }
}

/// `err`, then each of its sources, joined by ": ".
fn chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut cur = err.source();
    while let Some(s) = cur {
        let text = s.to_string();
        // a `#[error(transparent)]` layer repeats its source's text
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cur = s.source();
    }
    out
}

fn core_class(e: &CoreError) -> &'static str {
    match e {
        CoreError::InvalidConfig { .. } => "ConfigError",
        CoreError::Restore { .. } => "RestoreError",
        CoreError::Pruner { .. } => "PrunerError",
        _ if e.domain() == ErrorDomain::Input => "InputError",
        _ => "KompressError",
    }
}

impl From<CoreError> for PyFailure {
    fn from(e: CoreError) -> Self {
        PyFailure::new(core_class(&e), e.kind(), chain(&e))
    }
}

impl From<PipelineError> for PyFailure {
    fn from(e: PipelineError) -> Self {
        let class = match &e {
            PipelineError::Core(c) => core_class(c),
            PipelineError::Floor(_) => "ConfigError",
            PipelineError::Busy { .. } => "BusyError",
            PipelineError::Stage { .. } | PipelineError::Start(_) => "KompressError",
        };
        PyFailure::new(class, e.kind(), chain(&e))
    }
}

impl From<MemoryError> for PyFailure {
    fn from(e: MemoryError) -> Self {
        let (class, kind) = match &e {
            MemoryError::Config { .. } => ("ConfigError", "memory_config"),
            MemoryError::InvalidRecord { .. } => ("InputError", "invalid_record"),
            MemoryError::Restore { .. } => ("RestoreError", "restore"),
            _ => ("StoreError", "store"),
        };
        PyFailure::new(class, kind, chain(&e))
    }
}

impl From<PyFailure> for PyErr {
    fn from(f: PyFailure) -> PyErr {
        Python::with_gil(|py| {
            let made = py
                .import("kompress.errors")
                .and_then(|m| m.getattr(f.class))
                .and_then(|cls| cls.call1((f.message.clone(), f.kind)));
            match made {
                Ok(exc) => PyErr::from_value(exc),
                // the package's Python half is missing (the bare extension imported on its own)
                Err(_) => PyRuntimeError::new_err(format!("[{}] {}", f.kind, f.message)),
            }
        })
    }
}

/// A JSON argument the Python half built that does not parse: the caller passed something
/// the wrapper could not turn into the expected shape.
pub fn bad_json(what: &'static str, e: serde_json::Error) -> PyFailure {
    let (class, kind) = match what {
        "config" => ("ConfigError", "invalid_config"),
        _ => ("InputError", "malformed_json"),
    };
    PyFailure::new(class, kind, format!("{what}: {e}"))
}
