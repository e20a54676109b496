//! The gate on an NVIDIA GPU: the kernel compiled by NVRTC for the device, loaded into the
//! device's primary context (the one libtorch uses too), launched on device memory.

use std::sync::Arc;

use cudarc::driver::{CudaContext, CudaFunction, CudaSlice, CudaStream, DevicePtr, DeviceRepr};

use crate::batch::{GateBatch, GateOutput, KeepRule, Logits, SpanInput};
use crate::nvrtc::{compile_gate_ptx, ensure_nvrtc, GATE_KERNEL_NAME};
use crate::raw::{RawConv, RawGateArgs};
use crate::GpuError;

/// A loaded gate kernel on one device.
pub struct CudaGate {
    ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    func: CudaFunction,
    name: String,
    compute_capability: (i32, i32),
}

impl std::fmt::Debug for CudaGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CudaGate")
            .field("device", &self.name)
            .field("compute_capability", &self.compute_capability)
            .finish()
    }
}

/// Why there is no GPU to use, or `None` when the driver library is present and sees at least
/// `ordinal + 1` devices. Never panics (cudarc panics when asked for a context with no driver).
pub fn gpu_absence_reason(ordinal: usize) -> Option<String> {
    // SAFETY: probing for the driver library runs no code of ours.
    if !unsafe { cudarc::driver::sys::is_culib_present() } {
        return Some("the CUDA driver library libcuda.so.1 is not installed".into());
    }
    match CudaContext::device_count() {
        Ok(n) if (n.max(0) as usize) > ordinal => None,
        Ok(n) => Some(format!(
            "the driver sees {n} device(s), ordinal {ordinal} requested"
        )),
        Err(e) => Some(format!("the CUDA driver failed to initialise: {e}")),
    }
}

impl CudaGate {
    /// Opens device `ordinal`, compiles the kernel for its architecture and loads it.
    pub fn new(ordinal: usize) -> Result<Self, GpuError> {
        if let Some(why) = gpu_absence_reason(ordinal) {
            return Err(GpuError::NoDevice(why));
        }
        ensure_nvrtc(&[])?;
        let ctx = CudaContext::new(ordinal).map_err(GpuError::driver("opening the device"))?;
        let compute_capability = ctx
            .compute_capability()
            .map_err(GpuError::driver("reading the compute capability"))?;
        let name = ctx
            .name()
            .map_err(GpuError::driver("reading the device name"))?;
        let arch = format!("compute_{}{}", compute_capability.0, compute_capability.1);
        let ptx = compile_gate_ptx(Some(&arch))?;
        let module = ctx
            .load_module(ptx)
            .map_err(GpuError::driver("loading the PTX"))?;
        let func = module
            .load_function(GATE_KERNEL_NAME)
            .map_err(GpuError::driver("finding the kernel entry"))?;
        let stream = ctx
            .new_stream()
            .map_err(GpuError::driver("creating a stream"))?;
        Ok(CudaGate {
            ctx,
            stream,
            func,
            name,
            compute_capability,
        })
    }

    pub fn device_name(&self) -> &str {
        &self.name
    }

    pub fn compute_capability(&self) -> (i32, i32) {
        self.compute_capability
    }

    pub fn context(&self) -> &Arc<CudaContext> {
        &self.ctx
    }

    /// The stream this gate uses for [`CudaGate::run`] and the benchmark.
    pub fn stream(&self) -> &Arc<CudaStream> {
        &self.stream
    }

    pub(crate) fn function(&self) -> &CudaFunction {
        &self.func
    }

    /// Copies the batch to the device, runs the kernel, copies `p` and the keep mask back.
    pub fn run(&self, batch: &GateBatch<'_>) -> Result<GateOutput, GpuError> {
        let dev = self.upload(batch)?;
        self.launch(&dev)?;
        self.download(&dev)
    }

    /// Copies a batch to the device and allocates zeroed outputs (see [`DeviceBatch`]).
    pub fn upload(&self, batch: &GateBatch<'_>) -> Result<DeviceBatch, GpuError> {
        batch.validate()?;
        let s = &self.stream;
        let layout = batch.layout;
        let extent = layout.extent();
        let tok = DevValues::upload(s, batch.tok)?;
        let (span, conv) = match batch.span {
            SpanInput::Logits(v) => (DevValues::upload(s, v)?, None),
            SpanInput::Conv(c) => {
                let w = upload(s, c.weight)?;
                (DevValues::upload(s, c.h)?, Some((w, c)))
            }
        };
        let starts = upload(s, layout.starts())?;
        let lens = upload(s, layout.lens())?;
        let floor_off = upload(s, batch.floor.offsets())?;
        let floor = upload(s, batch.floor.words())?;
        let budgets = upload(s, &batch.budgets())?;
        let p = s
            .alloc_zeros::<f32>(extent.max(1))
            .map_err(GpuError::driver("allocating p"))?;
        let keep = s
            .alloc_zeros::<u8>(extent.max(1))
            .map_err(GpuError::driver("allocating the keep mask"))?;
        let args = RawGateArgs {
            tok: tok.ptr(s),
            span: span.ptr(s),
            bf16: batch.tok.dtype_code() == 1,
            conv: conv.as_ref().map(|(w, c)| RawConv {
                weight: ptr(w, s),
                bias: c.bias,
                channels: c.channels as u32,
                kernel: c.kernel as u32,
                h_seq_mul: c.h_seq_mul as u64,
                h_chan_stride: c.h_chan_stride as u64,
                h_tok_stride: c.h_tok_stride as u64,
            }),
            starts: ptr(&starts, s),
            lens: ptr(&lens, s),
            floor_offsets: ptr(&floor_off, s),
            floor: ptr(&floor, s),
            budgets: ptr(&budgets, s),
            num_seqs: layout.num_seqs() as u32,
            max_len: layout.max_len(),
            params: batch.params,
            top_k: matches!(batch.rule, KeepRule::TargetRatio(_)),
            p_out: ptr(&p, s),
            keep_out: ptr(&keep, s),
        };
        let conv_weight = conv.map(|(w, _)| w);
        Ok(DeviceBatch {
            args,
            extent,
            _inputs: (tok, span, conv_weight),
            _meta: [starts, floor_off],
            _meta32: [lens, floor, budgets],
            p,
            keep,
        })
    }

    /// Enqueues the kernel on this gate's stream (does not wait).
    pub fn launch(&self, dev: &DeviceBatch) -> Result<(), GpuError> {
        // SAFETY: every pointer in `dev.args` is a live allocation of `dev` sized by `upload`
        // from a validated batch.
        unsafe { self.launch_raw(&dev.args, self.stream.cu_stream()) }
    }

    /// Waits for the stream and copies the outputs back.
    pub fn download(&self, dev: &DeviceBatch) -> Result<GateOutput, GpuError> {
        let s = &self.stream;
        let mut p = s
            .clone_dtoh(&dev.p)
            .map_err(GpuError::driver("copying p back"))?;
        let mut keep = s
            .clone_dtoh(&dev.keep)
            .map_err(GpuError::driver("copying the keep mask back"))?;
        s.synchronize()
            .map_err(GpuError::driver("waiting for the gate"))?;
        p.truncate(dev.extent);
        keep.truncate(dev.extent);
        Ok(GateOutput { p, keep })
    }
}

/// A batch resident on the device: inputs, metadata and zeroed outputs, plus the raw launch
/// arguments that point into them. Launch it any number of times (the benchmark does).
pub struct DeviceBatch {
    pub(crate) args: RawGateArgs,
    extent: usize,
    _inputs: (DevValues, DevValues, Option<CudaSlice<f32>>),
    _meta: [CudaSlice<u64>; 2],
    _meta32: [CudaSlice<u32>; 3],
    p: CudaSlice<f32>,
    keep: CudaSlice<u8>,
}

impl DeviceBatch {
    pub fn raw_args(&self) -> &RawGateArgs {
        &self.args
    }

    /// Tokens the layout covers (output length).
    pub fn extent(&self) -> usize {
        self.extent
    }
}

enum DevValues {
    F32(CudaSlice<f32>),
    Bf16(CudaSlice<u16>),
}

impl DevValues {
    fn upload(s: &Arc<CudaStream>, v: Logits<'_>) -> Result<Self, GpuError> {
        Ok(match v {
            Logits::F32(x) => DevValues::F32(upload(s, x)?),
            Logits::Bf16(x) => DevValues::Bf16(upload(s, x)?),
        })
    }

    fn ptr(&self, s: &Arc<CudaStream>) -> u64 {
        match self {
            DevValues::F32(x) => ptr(x, s),
            DevValues::Bf16(x) => ptr(x, s),
        }
    }
}

/// Copies `v` to a new device buffer (one element of padding when empty: CUDA cannot
/// allocate zero bytes).
fn upload<T: DeviceRepr + Default + Clone>(
    s: &Arc<CudaStream>,
    v: &[T],
) -> Result<CudaSlice<T>, GpuError> {
    if v.is_empty() {
        s.clone_htod(&[T::default()][..])
    } else {
        s.clone_htod(v)
    }
    .map_err(GpuError::driver("copying inputs to the device"))
}

fn ptr<T>(buf: &CudaSlice<T>, s: &Arc<CudaStream>) -> u64 {
    let (p, _sync) = buf.device_ptr(s);
    p
}
