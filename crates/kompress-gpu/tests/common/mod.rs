//! Helpers shared by the integration tests: finding NVRTC and the GPU, or saying loudly why a
//! test does not run.
#![allow(dead_code)]

pub mod real;

use std::path::PathBuf;

use kompress_gpu::nvrtc::{ensure_nvrtc, NvrtcSource};
use kompress_gpu::{gpu_absence_reason, CudaGate, GpuError};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Prints past the test harness's output capture (straight to the stderr handle), so that a
/// skip shows in a plain `cargo test` run, and also through `println!` for `--nocapture` logs.
pub fn loud(msg: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{msg}");
    println!("{msg}");
}

/// NVRTC from the repository's .venv (kernels/setup_nvrtc.sh) or anywhere the crate searches.
/// In CI (`CI=true`) a missing NVRTC fails the test; elsewhere the test is skipped loudly.
pub fn nvrtc_or_skip(test: &str) -> Option<NvrtcSource> {
    let venv_lib = repo_root().join(".venv/lib");
    let hints: Vec<PathBuf> = std::fs::read_dir(&venv_lib)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path().join("site-packages/nvidia/cu13/lib"))
                .collect()
        })
        .unwrap_or_default();
    match ensure_nvrtc(&hints) {
        Ok(found) => Some(found),
        Err(e @ GpuError::NvrtcNotFound { .. }) => {
            let msg = format!("{test}: {e}. Install it with kernels/setup_nvrtc.sh");
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                panic!("{msg} (CI=true: NVRTC is required)");
            }
            loud(&format!("SKIPPED: {msg}"));
            None
        }
        Err(e) => panic!("{test}: NVRTC present but unusable: {e:?}"),
    }
}

/// The GPU, or `None` after printing why the test is skipped. With KOMPRESS_REQUIRE_GPU=1 a
/// missing GPU fails instead. A GPU that exists but cannot run the kernel always fails.
pub fn gpu_or_skip(test: &str) -> Option<CudaGate> {
    if let Some(why) = gpu_absence_reason(0) {
        if std::env::var("KOMPRESS_REQUIRE_GPU").is_ok_and(|v| v == "1") {
            panic!("{test}: KOMPRESS_REQUIRE_GPU=1 but no NVIDIA GPU ({why})");
        }
        loud(&format!("SKIPPED: no NVIDIA GPU ({why}) — {test} not run"));
        return None;
    }
    nvrtc_or_skip(test)?;
    match CudaGate::new(0) {
        Ok(g) => {
            println!(
                "{test}: running on {} (cc {:?})",
                g.device_name(),
                g.compute_capability()
            );
            Some(g)
        }
        Err(e) => panic!("{test}: a GPU is present but the gate kernel cannot run on it: {e:?}"),
    }
}
