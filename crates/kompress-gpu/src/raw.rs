//! Launching the gate on device memory the caller owns, such as `tch` tensors.
//!
//! For the learned model path: the model's token and span heads leave their logits on the GPU;
//! pass their `data_ptr()` values here with the stream libtorch is using, and the keep mask and
//! `p` are written into tensors the caller allocated, with no copy to the host. Tensor dtypes
//! expected (all contiguous, on the gate's device):
//!
//! | field | tch dtype | length |
//! |---|---|---|
//! | `tok`, `span` | `Float` (or `BFloat16` with `bf16 = true`) | covers every sequence |
//! | `conv.weight` | `Float`, shape `[1, C, K]` | `C * K` |
//! | `starts`, `floor_offsets` | `Int64` | `num_seqs` |
//! | `lens`, `budgets`, `floor` | `Int` (int32; bits read as u32) | `num_seqs` / words |
//! | `p_out` | `Float` | covers every sequence |
//! | `keep_out` | `Uint8` (or `Bool`) | covers every sequence |
//!
//! `floor = 0` means no floor (then `floor_offsets` is unused); `budgets` is read only when
//! `top_k` (compute them with `kompress_core::gate::keep_count_for_ratio`). The stream for the
//! current libtorch stream is `at::cuda::getCurrentCUDAStream().stream()` in C++; tch's
//! default is the legacy default stream, passed as a null `CUstream`. Padding positions of
//! `p_out`/`keep_out` are not written: allocate them zeroed.

use std::ffi::c_void;

use cudarc::driver::{result, sys};
use kompress_core::gate::GateParams;

use crate::device::CudaGate;
use crate::GpuError;

/// Device addresses (`CUdeviceptr`, i.e. `tensor.data_ptr() as u64`) and sizes of one launch.
#[derive(Debug, Clone, Copy)]
pub struct RawGateArgs {
    pub tok: u64,
    /// Span logits, or the conv layer's input `h` when `conv` is set.
    pub span: u64,
    /// Inputs are bf16 (raw bits) rather than f32.
    pub bf16: bool,
    pub conv: Option<RawConv>,
    pub starts: u64,
    pub lens: u64,
    pub floor_offsets: u64,
    pub floor: u64,
    pub budgets: u64,
    pub num_seqs: u32,
    /// Longest sequence (sizes the grid; a smaller value leaves tokens unprocessed).
    pub max_len: u32,
    pub params: GateParams,
    /// Per-sequence budget (`budgets`) instead of `params.threshold`.
    pub top_k: bool,
    pub p_out: u64,
    pub keep_out: u64,
}

/// The span CNN's last layer, as in [`crate::SpanConv`] but on the device.
#[derive(Debug, Clone, Copy)]
pub struct RawConv {
    pub weight: u64,
    pub bias: f32,
    pub channels: u32,
    pub kernel: u32,
    pub h_seq_mul: u64,
    pub h_chan_stride: u64,
    pub h_tok_stride: u64,
}

const THRESHOLD_BLOCK: u32 = 256;
/// Must match `KP_TOPK_THREADS` in the kernel.
const TOP_K_BLOCK: u32 = 1024;
const MAX_GRID_Y: u32 = 65_535;
const MAX_GRID_X: u32 = 1 << 20;

/// Grid and block for a launch: threshold rule, x over chunks of a sequence and y over
/// sequences; budget rule, one 1024-thread block per sequence.
pub fn launch_dims(a: &RawGateArgs) -> ((u32, u32, u32), (u32, u32, u32)) {
    if a.top_k {
        ((a.num_seqs.clamp(1, MAX_GRID_X), 1, 1), (TOP_K_BLOCK, 1, 1))
    } else {
        let x = a.max_len.div_ceil(THRESHOLD_BLOCK).clamp(1, MAX_GRID_X);
        (
            (x, a.num_seqs.clamp(1, MAX_GRID_Y), 1),
            (THRESHOLD_BLOCK, 1, 1),
        )
    }
}

impl CudaGate {
    /// Enqueues the gate kernel on `stream` (a raw `CUstream` of this gate's context; null is
    /// the legacy default stream). Returns once enqueued; synchronise the stream before reading
    /// the outputs on the host.
    ///
    /// # Safety
    /// Every address must point to live device memory of this gate's device holding what the
    /// module docs list, large enough for the layout described by `starts`/`lens`, and the
    /// output ranges of different sequences must not overlap.
    pub unsafe fn launch_raw(
        &self,
        a: &RawGateArgs,
        stream: sys::CUstream,
    ) -> Result<(), GpuError> {
        if a.num_seqs == 0 || a.max_len == 0 {
            return Ok(());
        }
        if a.tok == 0
            || a.span == 0
            || a.starts == 0
            || a.lens == 0
            || a.p_out == 0
            || a.keep_out == 0
        {
            return Err(GpuError::invalid(
                "raw args",
                "a required device address is null",
            ));
        }
        if a.top_k && a.budgets == 0 {
            return Err(GpuError::invalid("budgets", "null with top_k"));
        }
        if a.floor != 0 && a.floor_offsets == 0 {
            return Err(GpuError::invalid(
                "floor_offsets",
                "null while a floor is given",
            ));
        }
        self.context()
            .bind_to_thread()
            .map_err(GpuError::driver("binding the context"))?;
        let conv = a.conv.unwrap_or(RawConv {
            weight: 0,
            bias: 0.0,
            channels: 0,
            kernel: 1,
            h_seq_mul: 0,
            h_chan_stride: 0,
            h_tok_stride: 0,
        });
        // One local per kernel parameter, in the kernel's order and exact types.
        let mut tok = a.tok;
        let mut span = a.span;
        let mut conv_w = conv.weight;
        let mut conv_bias = conv.bias;
        let mut conv_c = conv.channels;
        let mut conv_kw = conv.kernel;
        let mut h_seq_mul = conv.h_seq_mul;
        let mut h_chan_stride = conv.h_chan_stride;
        let mut h_tok_stride = conv.h_tok_stride;
        let mut starts = a.starts;
        let mut lens = a.lens;
        let mut floor_off = a.floor_offsets;
        let mut floor = a.floor;
        let mut budgets = a.budgets;
        let mut nseq = a.num_seqs;
        let mut in_dtype = u32::from(a.bf16);
        let mut span_mode = u32::from(a.conv.is_some());
        let mut squash = a.params.squash.code();
        let mut gamma = a.params.gamma;
        let mut threshold = a.params.threshold;
        let mut select_mode = u32::from(a.top_k);
        let mut p_out = a.p_out;
        let mut keep_out = a.keep_out;
        let mut params: [*mut c_void; 23] = [
            arg(&mut tok),
            arg(&mut span),
            arg(&mut conv_w),
            arg(&mut conv_bias),
            arg(&mut conv_c),
            arg(&mut conv_kw),
            arg(&mut h_seq_mul),
            arg(&mut h_chan_stride),
            arg(&mut h_tok_stride),
            arg(&mut starts),
            arg(&mut lens),
            arg(&mut floor_off),
            arg(&mut floor),
            arg(&mut budgets),
            arg(&mut nseq),
            arg(&mut in_dtype),
            arg(&mut span_mode),
            arg(&mut squash),
            arg(&mut gamma),
            arg(&mut threshold),
            arg(&mut select_mode),
            arg(&mut p_out),
            arg(&mut keep_out),
        ];
        let (grid, block) = launch_dims(a);
        result::launch_kernel(
            self.function().cu_function(),
            grid,
            block,
            0,
            stream,
            &mut params,
        )
        .map_err(GpuError::driver("launching the gate kernel"))
    }
}

fn arg<T>(v: &mut T) -> *mut c_void {
    v as *mut T as *mut c_void
}
