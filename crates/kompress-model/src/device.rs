//! Device choice. The linker drops `libtorch_cuda` from binaries that never name one of its
//! symbols, so `tch::Cuda::is_available()` would say "no" even on a GPU machine; loading the
//! library at run time (when it and its CUDA dependencies are installed) fixes that, and on a
//! CPU-only install the load simply fails and the CPU is used.

use std::ffi::CString;
use std::sync::OnceLock;

use tch::Device;

/// Loads `libtorch_cuda.so` once; returns whether it is loaded.
pub fn load_cuda_backend() -> bool {
    static LOADED: OnceLock<bool> = OnceLock::new();
    *LOADED.get_or_init(|| {
        let candidates = [
            option_env!("KOMPRESS_TORCH_LIB").map(|d| format!("{d}/libtorch_cuda.so")),
            Some("libtorch_cuda.so".to_string()),
        ];
        candidates.into_iter().flatten().any(|path| {
            let Ok(c) = CString::new(path) else {
                return false;
            };
            // SAFETY: dlopen with a valid NUL-terminated path; the handle is intentionally kept
            // open for the life of the process.
            let h = unsafe { libc::dlopen(c.as_ptr(), libc::RTLD_NOW | libc::RTLD_GLOBAL) };
            !h.is_null()
        })
    })
}

/// CUDA device 0 when a GPU and the CUDA build of libtorch are present, else the CPU.
pub fn best_device() -> Device {
    load_cuda_backend();
    Device::cuda_if_available()
}

/// Whether `device` computes in bfloat16 natively: a CPU with AVX512-BF16 (dot products in
/// bf16 with fp32 accumulation, used by libtorch's oneDNN kernels). On other CPUs bf16 is
/// emulated and slower than fp32. GPUs answer false: bf16 there is untested here (opt in).
pub fn native_bf16(device: Device) -> bool {
    match device {
        Device::Cpu => cpu_has_bf16(),
        _ => false,
    }
}

#[cfg(target_arch = "x86_64")]
fn cpu_has_bf16() -> bool {
    std::arch::is_x86_feature_detected!("avx512bf16")
}

#[cfg(not(target_arch = "x86_64"))]
fn cpu_has_bf16() -> bool {
    false
}
