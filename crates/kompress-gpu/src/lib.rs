//! kompress-gpu: the gate (`p = sigmoid(logit_tok - gamma * g(span))`, safety floor, keep
//! threshold or per-sequence budget) as one fused CUDA kernel, `kernels/gate_fusion.cu`,
//! compiled at run time by NVRTC through `cudarc`, with a bit-identical CPU twin.
//!
//! - [`Gate::new`] uses the first NVIDIA GPU when the driver and a device are there and the
//!   kernel compiles, else the CPU twin (logged once). [`Gate::run`] takes a [`GateBatch`].
//! - [`CudaGate::launch_raw`] launches on device memory the caller owns (tch `data_ptr()`), on
//!   the caller's stream: see [`raw`].
//! - [`bench_gate`] measures the CPU twin, and the fused and unfused kernels on a GPU.
//!
//! Bit-exactness: both sides use only correctly rounded IEEE operations (add, sub, mul, div,
//! fma) and bit manipulation, in the same order, with the same constants; NVRTC compiles with
//! `--fmad=false --ftz=false --prec-div=true` and the kernel uses the non-contractible `_rn`
//! intrinsics. See `kernels/README.md`.

pub mod batch;
pub mod bench;
pub mod cpu;
pub mod device;
mod error;
pub mod gate;
pub mod gpu_bench;
pub mod nvrtc;
pub mod raw;
pub mod synth;

pub use batch::{
    FloorMasks, GateBatch, GateOutput, KeepRule, Logits, SeqLayout, SpanConv, SpanInput,
};
pub use bench::{bench_gate, BenchOptions, BenchReport, Timing};
pub use cpu::gate_batch_cpu;
pub use device::{gpu_absence_reason, CudaGate, DeviceBatch};
pub use error::GpuError;
pub use gate::Gate;
pub use raw::{RawConv, RawGateArgs};

#[cfg(test)]
mod send_sync {
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn gate_can_live_on_an_actor_thread() {
        assert_send_sync::<super::Gate>();
        assert_send_sync::<super::GpuError>();
    }
}
