//! The one error type of this crate.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// The caller's batch is malformed; `field` names the offending part.
    #[error("invalid gate input `{field}`: {reason}")]
    InvalidInput { field: &'static str, reason: String },

    /// No NVRTC library (`libnvrtc.so.13`) on the loader path nor in any searched folder.
    #[error("NVRTC library libnvrtc.so.13 not found; searched the loader path and: {searched}")]
    NvrtcNotFound { searched: String },

    #[error("could not load {path}")]
    LoadLibrary {
        path: PathBuf,
        #[source]
        source: libloading::Error,
    },

    #[error("NVRTC failed to compile {kernel}: {log}")]
    Compile {
        kernel: &'static str,
        log: String,
        #[source]
        source: cudarc::nvrtc::CompileError,
    },

    /// No usable NVIDIA GPU: no driver library, no device, or the ordinal does not exist.
    #[error("no usable NVIDIA GPU: {0}")]
    NoDevice(String),

    #[error("CUDA driver call failed while {during}")]
    Driver {
        during: &'static str,
        #[source]
        source: cudarc::driver::DriverError,
    },
}

impl GpuError {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        GpuError::InvalidInput {
            field,
            reason: reason.into(),
        }
    }

    pub(crate) fn driver(during: &'static str) -> impl FnOnce(cudarc::driver::DriverError) -> Self {
        move |source| GpuError::Driver { during, source }
    }

    /// Whether the error is the caller's (bad batch) rather than the machine's.
    pub fn is_input_error(&self) -> bool {
        matches!(self, GpuError::InvalidInput { .. })
    }
}
