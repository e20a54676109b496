//! `bench_gate`: the fused kernel against the same math as one kernel per operation (the way
//! separate framework ops run, each through global memory) and against the CPU twin. Called by
//! `kompress bench --gate` and by `benches/gate.rs`; the GPU rows are measured only where an
//! NVIDIA GPU is usable, and the report says why they are missing otherwise.

use std::fmt;
use std::time::Instant;

use kompress_core::gate::GateParams;

use crate::batch::{GateBatch, KeepRule, Logits, SpanInput};
use crate::cpu::gate_batch_cpu;
use crate::device::{gpu_absence_reason, CudaGate};
use crate::gpu_bench::{bench_on_gpu, GpuBench};
use crate::synth::SyntheticBatch;
use crate::GpuError;

#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Tokens per sequence; a multiple of 32 (the unfused baseline unpacks one flat bitmask).
    pub seq_len: usize,
    /// Sequences per GPU launch.
    pub gpu_batch: usize,
    /// Sequences per CPU call.
    pub cpu_batch: usize,
    /// Timed repetitions; the median is reported.
    pub iters: usize,
    /// Keep ratio for the budget (top-k) rows.
    pub target_ratio: f32,
    /// Peak memory bandwidth in GB/s when the driver does not report it.
    pub peak_gbps: Option<f64>,
    pub seed: u64,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            seq_len: 512,
            gpu_batch: 8192,
            cpu_batch: 64,
            iters: 20,
            target_ratio: 0.3,
            peak_gbps: None,
            seed: 7,
        }
    }
}

/// One measured configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    pub median_s: f64,
    pub tokens: usize,
    /// Bytes the gate must move at least (inputs read once, outputs written once).
    pub bytes: f64,
}

impl Timing {
    pub fn tokens_per_s(&self) -> f64 {
        self.tokens as f64 / self.median_s
    }

    /// Effective bandwidth: minimal bytes over time, in GB/s (1e9).
    pub fn gbps(&self) -> f64 {
        self.bytes / self.median_s / 1e9
    }
}

#[derive(Debug, Clone)]
pub struct BenchReport {
    pub options: BenchOptions,
    /// CPU twin, one thread, threshold rule.
    pub cpu: Timing,
    /// CPU twin, one thread, budget rule.
    pub cpu_top_k: Timing,
    /// The GPU rows, or why there are none.
    pub gpu: Result<GpuBench, String>,
}

/// Minimal bytes of one f32 gate call over `tokens` tokens in `seqs` sequences.
pub(crate) fn essential_bytes(tokens: usize, seqs: usize) -> f64 {
    // tok + span read, p + keep written, the floor bit, and per-sequence metadata.
    tokens as f64 * (4.0 + 4.0 + 4.0 + 1.0 + 1.0 / 8.0) + seqs as f64 * 24.0
}

pub(crate) fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

pub(crate) fn synthetic(opts: &BenchOptions, seqs: usize) -> Result<SyntheticBatch, GpuError> {
    if opts.seq_len == 0 || !opts.seq_len.is_multiple_of(32) {
        return Err(GpuError::invalid(
            "seq_len",
            format!("{} is not a positive multiple of 32", opts.seq_len),
        ));
    }
    if opts.iters == 0 {
        return Err(GpuError::invalid("iters", "must be > 0"));
    }
    SyntheticBatch::new(opts.seed, &vec![opts.seq_len; seqs.max(1)], 0.05)
}

pub(crate) fn batch_of<'a>(s: &'a SyntheticBatch, rule: KeepRule) -> GateBatch<'a> {
    GateBatch {
        tok: Logits::F32(&s.tok),
        span: SpanInput::Logits(Logits::F32(&s.span)),
        layout: &s.layout,
        floor: &s.floor,
        params: GateParams::default(),
        rule,
    }
}

fn time_cpu(batch: &GateBatch<'_>, iters: usize) -> Result<Timing, GpuError> {
    gate_batch_cpu(batch)?;
    let mut secs = Vec::with_capacity(iters);
    for _ in 0..iters {
        let t = Instant::now();
        let out = gate_batch_cpu(batch)?;
        secs.push(t.elapsed().as_secs_f64());
        std::hint::black_box(out);
    }
    let tokens = batch.layout.extent();
    Ok(Timing {
        median_s: median(secs),
        tokens,
        bytes: essential_bytes(tokens, batch.layout.num_seqs()),
    })
}

/// Measures the CPU twin always, and the GPU kernels when a GPU is usable.
pub fn bench_gate(opts: &BenchOptions) -> Result<BenchReport, GpuError> {
    let cpu_data = synthetic(opts, opts.cpu_batch)?;
    let cpu = time_cpu(&batch_of(&cpu_data, KeepRule::Threshold), opts.iters)?;
    let cpu_top_k = time_cpu(
        &batch_of(&cpu_data, KeepRule::TargetRatio(opts.target_ratio)),
        opts.iters,
    )?;
    let gpu = match gpu_absence_reason(0) {
        Some(why) => Err(why),
        None => {
            let gate = CudaGate::new(0)?;
            Ok(bench_on_gpu(&gate, opts)?)
        }
    };
    Ok(BenchReport {
        options: opts.clone(),
        cpu,
        cpu_top_k,
        gpu,
    })
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.options;
        writeln!(
            f,
            "gate benchmark: {} tokens/sequence, f32, median of {} runs",
            o.seq_len, o.iters
        )?;
        writeln!(
            f,
            "| path | tokens | median | tokens/s | GB/s (effective) | note |"
        )?;
        writeln!(f, "|---|---|---|---|---|---|")?;
        let row = |f: &mut fmt::Formatter<'_>, name: &str, t: &Timing, note: &str| {
            writeln!(
                f,
                "| {name} | {} | {:.3} ms | {:.3e} | {:.2} | {note} |",
                t.tokens,
                t.median_s * 1e3,
                t.tokens_per_s(),
                t.gbps()
            )
        };
        row(f, "CPU twin, threshold", &self.cpu, "1 thread")?;
        row(f, "CPU twin, top-k", &self.cpu_top_k, "1 thread")?;
        match &self.gpu {
            Err(why) => writeln!(f, "GPU rows not run: {why}")?,
            Ok(g) => {
                let peak = g.peak_gbps.or(o.peak_gbps);
                let of_peak = |t: &Timing| match peak {
                    Some(p) => format!("{:.0}% of {p:.0} GB/s peak", 100.0 * t.gbps() / p),
                    None => "peak bandwidth unknown".into(),
                };
                row(f, "GPU fused, threshold", &g.fused, &of_peak(&g.fused))?;
                row(
                    f,
                    "GPU fused, top-k",
                    &g.fused_top_k,
                    "1 block per sequence",
                )?;
                row(
                    f,
                    "GPU unfused (7 kernels)",
                    &g.unfused,
                    &format!("{:.0} GB/s actually moved", g.unfused_actual_gbps()),
                )?;
                writeln!(f, "device: {}", g.device)?;
                writeln!(
                    f,
                    "fused vs unfused: {:.2}x; fused vs CPU twin: {:.0}x; keep masks agree on {:.5} of tokens",
                    g.unfused.median_s / g.fused.median_s,
                    g.fused.tokens_per_s() / self.cpu.tokens_per_s(),
                    g.keep_agreement
                )?;
            }
        }
        Ok(())
    }
}
