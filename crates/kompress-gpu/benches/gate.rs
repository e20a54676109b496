//! Criterion benchmarks of the gate: the CPU twin (one thread) always, the fused kernel on a
//! GPU when one is usable; then the `bench_gate` report (fused vs unfused vs CPU, GB/s).
//! Run: `cargo bench -p kompress-gpu --bench gate`.

use criterion::{BenchmarkId, Criterion, Throughput};
use kompress_core::gate::GateParams;
use kompress_gpu::synth::SyntheticBatch;
use kompress_gpu::{
    bench_gate, gate_batch_cpu, gpu_absence_reason, BenchOptions, CudaGate, GateBatch, KeepRule,
    Logits, SpanInput,
};

fn batch(s: &SyntheticBatch, rule: KeepRule) -> GateBatch<'_> {
    GateBatch {
        tok: Logits::F32(&s.tok),
        span: SpanInput::Logits(Logits::F32(&s.span)),
        layout: &s.layout,
        floor: &s.floor,
        params: GateParams::default(),
        rule,
    }
}

const RULES: [(&str, KeepRule); 2] = [
    ("threshold", KeepRule::Threshold),
    ("top_k_0.3", KeepRule::TargetRatio(0.3)),
];

fn cpu_twin(c: &mut Criterion) {
    let shapes = [
        ("16x512", vec![512usize; 16]),
        ("1x100k", vec![100_000usize]),
    ];
    let mut g = c.benchmark_group("gate_cpu_twin");
    for (shape, lens) in &shapes {
        let data = SyntheticBatch::new(7, lens, 0.05).expect("synthetic batch");
        g.throughput(Throughput::Elements(data.tok.len() as u64));
        for (name, rule) in RULES {
            g.bench_with_input(BenchmarkId::new(name, shape), &data, |b, d| {
                b.iter(|| gate_batch_cpu(&batch(d, rule)).expect("valid batch"))
            });
        }
    }
    g.finish();
}

fn gpu_fused(c: &mut Criterion) {
    if let Some(why) = gpu_absence_reason(0) {
        println!("SKIPPED: no NVIDIA GPU ({why}): GPU benchmarks not run");
        return;
    }
    let gate = CudaGate::new(0).expect("a GPU is present, the kernel must load");
    let data = SyntheticBatch::new(7, &vec![512usize; 8192], 0.05).expect("synthetic batch");
    let mut g = c.benchmark_group("gate_gpu_fused");
    g.throughput(Throughput::Elements(data.tok.len() as u64));
    for (name, rule) in RULES {
        let dev = gate.upload(&batch(&data, rule)).expect("upload");
        g.bench_function(BenchmarkId::new(name, "8192x512"), |b| {
            b.iter(|| {
                gate.launch(&dev).expect("launch");
                gate.stream().synchronize().expect("sync");
            })
        });
    }
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    cpu_twin(&mut c);
    gpu_fused(&mut c);
    c.final_summary();
    // Medians of short runs: closer to the uncontended speed on a shared machine than
    // criterion's means over long samples.
    let long = BenchOptions {
        seq_len: 100_000,
        gpu_batch: 64,
        cpu_batch: 1,
        ..BenchOptions::default()
    };
    for opts in [BenchOptions::default(), long] {
        match bench_gate(&opts) {
            Ok(report) => println!("{report}"),
            Err(e) => panic!("bench_gate failed: {e}"),
        }
    }
}
