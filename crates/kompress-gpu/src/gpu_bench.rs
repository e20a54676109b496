//! The GPU half of the benchmark: CUDA-event timing of the fused kernel (both keep rules) and of
//! the unfused baseline (`kernels/gate_unfused.cu`, seven kernels through global memory).

use std::sync::Arc;

use cudarc::driver::{sys, CudaContext, CudaFunction, CudaSlice, LaunchConfig, PushKernelArg};

use crate::batch::KeepRule;
use crate::bench::{batch_of, essential_bytes, median, synthetic, BenchOptions, Timing};
use crate::device::CudaGate;
use crate::nvrtc::{compile_ptx, UNFUSED_KERNEL_SOURCE};
use crate::synth::SyntheticBatch;
use crate::GpuError;

#[derive(Debug, Clone)]
pub struct GpuBench {
    pub device: String,
    pub fused: Timing,
    pub fused_top_k: Timing,
    pub unfused: Timing,
    /// From the driver (memory clock x bus width x 2), when it reports them.
    pub peak_gbps: Option<f64>,
    /// Share of tokens whose keep bit is the same in the fused and unfused runs (the unfused
    /// baseline rounds `tok - gamma * g` in two steps, so a token at the threshold may differ).
    pub keep_agreement: f64,
}

/// Bytes the unfused baseline really moves per token (7 kernels, each reading and writing
/// global memory).
const UNFUSED_BYTES_PER_TOKEN: f64 = 8.0 + 8.0 + 12.0 + 8.0 + 5.0 + (1.0 / 8.0 + 1.0) + 3.0;

impl GpuBench {
    pub fn unfused_actual_gbps(&self) -> f64 {
        self.unfused.tokens as f64 * UNFUSED_BYTES_PER_TOKEN / self.unfused.median_s / 1e9
    }
}

pub(crate) fn bench_on_gpu(gate: &CudaGate, opts: &BenchOptions) -> Result<GpuBench, GpuError> {
    let data = synthetic(opts, opts.gpu_batch)?;
    let tokens = data.layout.extent();
    let bytes = essential_bytes(tokens, data.layout.num_seqs());

    let dev = gate.upload(&batch_of(&data, KeepRule::Threshold))?;
    let fused = time_events(gate, opts.iters, || gate.launch(&dev))?;
    let fused_keep = gate.download(&dev)?.keep;
    drop(dev);

    let dev = gate.upload(&batch_of(&data, KeepRule::TargetRatio(opts.target_ratio)))?;
    let fused_top_k = time_events(gate, opts.iters, || gate.launch(&dev))?;
    drop(dev);

    let mut unfused = Unfused::new(gate, &data)?;
    let unfused_s = time_events(gate, opts.iters, || unfused.launch(gate))?;
    let unfused_keep = gate
        .stream()
        .clone_dtoh(&unfused.keep)
        .map_err(GpuError::driver("copying the unfused keep mask back"))?;
    let same = fused_keep
        .iter()
        .zip(&unfused_keep)
        .filter(|(a, b)| a == b)
        .count();

    let timing = |median_s| Timing {
        median_s,
        tokens,
        bytes,
    };
    Ok(GpuBench {
        device: gate.device_name().to_string(),
        fused: timing(fused),
        fused_top_k: timing(fused_top_k),
        unfused: timing(unfused_s),
        peak_gbps: peak_gbps(gate.context()),
        keep_agreement: same as f64 / tokens.max(1) as f64,
    })
}

/// Median seconds of `f` between two CUDA events, after three warm-up calls.
fn time_events(
    gate: &CudaGate,
    iters: usize,
    mut f: impl FnMut() -> Result<(), GpuError>,
) -> Result<f64, GpuError> {
    let s = gate.stream();
    for _ in 0..3 {
        f()?;
    }
    s.synchronize().map_err(GpuError::driver("warming up"))?;
    let ev = || {
        gate.context()
            .new_event(Some(sys::CUevent_flags::CU_EVENT_DEFAULT))
            .map_err(GpuError::driver("creating a timing event"))
    };
    let (start, end) = (ev()?, ev()?);
    let mut secs = Vec::with_capacity(iters);
    for _ in 0..iters {
        start
            .record(s)
            .map_err(GpuError::driver("recording an event"))?;
        f()?;
        end.record(s)
            .map_err(GpuError::driver("recording an event"))?;
        end.synchronize()
            .map_err(GpuError::driver("waiting for an event"))?;
        let ms = start
            .elapsed_ms(&end)
            .map_err(GpuError::driver("reading an event"))?;
        secs.push(f64::from(ms) / 1e3);
    }
    Ok(median(secs))
}

fn peak_gbps(ctx: &Arc<CudaContext>) -> Option<f64> {
    use sys::CUdevice_attribute::*;
    let clock_khz = ctx.attribute(CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE).ok()?;
    let bus_bits = ctx
        .attribute(CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH)
        .ok()?;
    (clock_khz > 0 && bus_bits > 0)
        .then(|| 2.0 * f64::from(clock_khz) * 1e3 * f64::from(bus_bits) / 8.0 / 1e9)
}

/// The baseline's kernels and buffers.
struct Unfused {
    sigmoid: CudaFunction,
    scale: CudaFunction,
    sub: CudaFunction,
    less: CudaFunction,
    unpack: CudaFunction,
    or: CudaFunction,
    tok: CudaSlice<f32>,
    span: CudaSlice<f32>,
    floor: CudaSlice<u32>,
    g: CudaSlice<f32>,
    gg: CudaSlice<f32>,
    x: CudaSlice<f32>,
    p: CudaSlice<f32>,
    below: CudaSlice<u8>,
    forced: CudaSlice<u8>,
    keep: CudaSlice<u8>,
    n: u64,
    cfg: LaunchConfig,
}

impl Unfused {
    fn new(gate: &CudaGate, data: &SyntheticBatch) -> Result<Self, GpuError> {
        let (major, minor) = gate.compute_capability();
        let arch = format!("compute_{major}{minor}");
        let ptx = compile_ptx(UNFUSED_KERNEL_SOURCE, "gate_unfused.cu", Some(&arch))?;
        let module = gate
            .context()
            .load_module(ptx)
            .map_err(GpuError::driver("loading the unfused PTX"))?;
        let f = |name: &str| {
            module
                .load_function(name)
                .map_err(GpuError::driver("finding an unfused kernel"))
        };
        let s = gate.stream();
        let n = data.tok.len();
        let up_f = |v: &[f32]| s.clone_htod(v).map_err(GpuError::driver("uploading"));
        let zf = || {
            s.alloc_zeros::<f32>(n)
                .map_err(GpuError::driver("allocating"))
        };
        let zb = || {
            s.alloc_zeros::<u8>(n)
                .map_err(GpuError::driver("allocating"))
        };
        let sms = gate
            .context()
            .attribute(sys::CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)
            .map_err(GpuError::driver("reading the SM count"))?;
        let blocks = (n.div_ceil(256) as u32).clamp(1, (sms.max(1) as u32) * 32);
        Ok(Unfused {
            sigmoid: f("unfused_sigmoid")?,
            scale: f("unfused_scale")?,
            sub: f("unfused_sub")?,
            less: f("unfused_less")?,
            unpack: f("unfused_unpack_bits")?,
            or: f("unfused_or")?,
            tok: up_f(&data.tok)?,
            span: up_f(&data.span)?,
            floor: s
                .clone_htod(data.floor.words())
                .map_err(GpuError::driver("uploading"))?,
            g: zf()?,
            gg: zf()?,
            x: zf()?,
            p: zf()?,
            below: zb()?,
            forced: zb()?,
            keep: zb()?,
            n: n as u64,
            cfg: LaunchConfig {
                grid_dim: (blocks, 1, 1),
                block_dim: (256, 1, 1),
                shared_mem_bytes: 0,
            },
        })
    }

    /// sigmoid(span) -> g; g * gamma -> gg; tok - gg -> x; sigmoid(x) -> p; p < t -> below;
    /// unpack(floor) -> forced; below | forced -> keep.
    fn launch(&mut self, gate: &CudaGate) -> Result<(), GpuError> {
        let s = gate.stream();
        let prm = kompress_core::gate::GateParams::default();
        let err = GpuError::driver("launching an unfused kernel");
        let n = self.n;
        // SAFETY: every buffer holds n elements (the floor n/32 words), as the kernels expect.
        unsafe {
            s.launch_builder(&self.sigmoid)
                .arg(&self.span)
                .arg(&mut self.g)
                .arg(&n)
                .launch(self.cfg)
                .map_err(err)?;
            s.launch_builder(&self.scale)
                .arg(&self.g)
                .arg(&prm.gamma)
                .arg(&mut self.gg)
                .arg(&n)
                .launch(self.cfg)
                .map_err(GpuError::driver("launching an unfused kernel"))?;
            s.launch_builder(&self.sub)
                .arg(&self.tok)
                .arg(&self.gg)
                .arg(&mut self.x)
                .arg(&n)
                .launch(self.cfg)
                .map_err(GpuError::driver("launching an unfused kernel"))?;
            s.launch_builder(&self.sigmoid)
                .arg(&self.x)
                .arg(&mut self.p)
                .arg(&n)
                .launch(self.cfg)
                .map_err(GpuError::driver("launching an unfused kernel"))?;
            s.launch_builder(&self.less)
                .arg(&self.p)
                .arg(&prm.threshold)
                .arg(&mut self.below)
                .arg(&n)
                .launch(self.cfg)
                .map_err(GpuError::driver("launching an unfused kernel"))?;
            s.launch_builder(&self.unpack)
                .arg(&self.floor)
                .arg(&mut self.forced)
                .arg(&n)
                .launch(self.cfg)
                .map_err(GpuError::driver("launching an unfused kernel"))?;
            s.launch_builder(&self.or)
                .arg(&self.below)
                .arg(&self.forced)
                .arg(&mut self.keep)
                .arg(&n)
                .launch(self.cfg)
                .map_err(GpuError::driver("launching an unfused kernel"))?;
        }
        Ok(())
    }
}
