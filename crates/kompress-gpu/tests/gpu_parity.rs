//! GPU vs CPU twin: identical bits for `p` and identical keep masks, on random inputs and on
//! inputs derived from the real dev set, for lengths 1, 511, 512, 513 and 100k, alone and as
//! one ragged batch, both keep rules, f32 and bf16, span logits and span-conv inputs, packed
//! and padded layouts, and the raw-pointer launch. Without an NVIDIA GPU every test prints
//! `SKIPPED: no NVIDIA GPU (...)` and returns; with KOMPRESS_REQUIRE_GPU=1 it fails instead.

mod common;

use kompress_core::gate::{GateParams, SpanSquash};
use kompress_gpu::synth::{to_bf16_bits, SplitMix64, SyntheticBatch};
use kompress_gpu::{
    gate_batch_cpu, CudaGate, FloorMasks, GateBatch, GateOutput, KeepRule, Logits, SeqLayout,
    SpanConv, SpanInput,
};

const LENGTHS: [usize; 5] = [1, 511, 512, 513, 100_000];
const RULES: [KeepRule; 4] = [
    KeepRule::Threshold,
    KeepRule::TargetRatio(0.05),
    KeepRule::TargetRatio(0.3),
    KeepRule::TargetRatio(1.0),
];

fn assert_same(what: &str, gpu: &GateOutput, cpu: &GateOutput) {
    assert_eq!(gpu.p.len(), cpu.p.len(), "{what}: p length");
    if let Some(i) = (0..cpu.p.len()).find(|&i| gpu.p[i].to_bits() != cpu.p[i].to_bits()) {
        panic!(
            "{what}: p differs first at {i}: gpu {:e} ({:#x}) cpu {:e} ({:#x})",
            gpu.p[i],
            gpu.p[i].to_bits(),
            cpu.p[i],
            cpu.p[i].to_bits()
        );
    }
    if let Some(i) = (0..cpu.keep.len()).find(|&i| gpu.keep[i] != cpu.keep[i]) {
        panic!(
            "{what}: keep differs first at {i}: gpu {} cpu {} (p {:e})",
            gpu.keep[i], cpu.keep[i], cpu.p[i]
        );
    }
}

fn check(gate: &CudaGate, what: &str, batch: &GateBatch<'_>) {
    let cpu = gate_batch_cpu(batch).expect("valid batch");
    let gpu = gate.run(batch).expect("gpu run");
    assert_same(what, &gpu, &cpu);
}

fn logits_batch<'a>(s: &'a SyntheticBatch, params: GateParams, rule: KeepRule) -> GateBatch<'a> {
    GateBatch {
        tok: Logits::F32(&s.tok),
        span: SpanInput::Logits(Logits::F32(&s.span)),
        layout: &s.layout,
        floor: &s.floor,
        params,
        rule,
    }
}

#[test]
fn gpu_matches_cpu_bit_for_bit_on_each_length_alone() {
    let Some(gate) = common::gpu_or_skip("gpu_matches_cpu_bit_for_bit_on_each_length_alone") else {
        return;
    };
    for (seed, &len) in LENGTHS.iter().enumerate() {
        let s = SyntheticBatch::new(seed as u64 + 100, &[len], 0.05).unwrap();
        for rule in RULES {
            for squash in [SpanSquash::Sigmoid, SpanSquash::Identity] {
                let params = GateParams {
                    gamma: 1.5,
                    squash,
                    threshold: 0.4,
                };
                check(
                    &gate,
                    &format!("len {len} {rule:?} {squash:?}"),
                    &logits_batch(&s, params, rule),
                );
            }
        }
    }
}

#[test]
fn gpu_matches_cpu_on_a_ragged_batch_with_and_without_floor() {
    let Some(gate) =
        common::gpu_or_skip("gpu_matches_cpu_on_a_ragged_batch_with_and_without_floor")
    else {
        return;
    };
    let mut lens = LENGTHS.to_vec();
    lens.extend([0, 2, 31, 32, 33, 1024, 4097]);
    let mut rng = SplitMix64::new(5);
    lens.extend((0..300).map(|_| (rng.next_u64() % 3000) as usize));
    for floor_rate in [0.0, 0.05, 0.6] {
        let s = SyntheticBatch::new(200, &lens, floor_rate).unwrap();
        for rule in RULES {
            check(
                &gate,
                &format!("ragged floor {floor_rate} {rule:?}"),
                &logits_batch(&s, GateParams::default(), rule),
            );
        }
    }
    // Many short sequences: more sequences than one grid dimension holds.
    let s = SyntheticBatch::new(201, &vec![3usize; 70_000], 0.1).unwrap();
    for rule in [KeepRule::Threshold, KeepRule::TargetRatio(0.5)] {
        check(
            &gate,
            &format!("70k sequences {rule:?}"),
            &logits_batch(&s, GateParams::default(), rule),
        );
    }
}

#[test]
fn gpu_matches_cpu_on_bf16_inputs() {
    let Some(gate) = common::gpu_or_skip("gpu_matches_cpu_on_bf16_inputs") else {
        return;
    };
    let s = SyntheticBatch::new(300, &LENGTHS, 0.05).unwrap();
    let (tok, span) = (to_bf16_bits(&s.tok), to_bf16_bits(&s.span));
    for rule in RULES {
        let batch = GateBatch {
            tok: Logits::Bf16(&tok),
            span: SpanInput::Logits(Logits::Bf16(&span)),
            layout: &s.layout,
            floor: &s.floor,
            params: GateParams::default(),
            rule,
        };
        check(&gate, &format!("bf16 {rule:?}"), &batch);
    }
}

#[test]
fn gpu_matches_cpu_on_padded_layout_and_leaves_padding_alone() {
    let Some(gate) =
        common::gpu_or_skip("gpu_matches_cpu_on_padded_layout_and_leaves_padding_alone")
    else {
        return;
    };
    let lens = [1usize, 511, 512, 513, 0, 700];
    let row = 768;
    let layout = SeqLayout::padded(row, &lens).unwrap();
    let mut rng = SplitMix64::new(9);
    let tok: Vec<f32> = (0..row * lens.len()).map(|_| rng.logit()).collect();
    let span: Vec<f32> = (0..row * lens.len()).map(|_| rng.logit()).collect();
    let masks: Vec<Vec<u32>> = lens
        .iter()
        .map(|&l| {
            (0..l.div_ceil(32))
                .map(|_| rng.next_u64() as u32 & 0x0101_0101)
                .collect()
        })
        .collect();
    let refs: Vec<&[u32]> = masks.iter().map(Vec::as_slice).collect();
    let floor = FloorMasks::from_sequences(&layout, &refs).unwrap();
    for rule in RULES {
        let batch = GateBatch {
            tok: Logits::F32(&tok),
            span: SpanInput::Logits(Logits::F32(&span)),
            layout: &layout,
            floor: &floor,
            params: GateParams::default(),
            rule,
        };
        let gpu = gate.run(&batch).unwrap();
        assert_same(
            &format!("padded {rule:?}"),
            &gpu,
            &gate_batch_cpu(&batch).unwrap(),
        );
        for (b, &l) in lens.iter().enumerate() {
            let pad = (b * row + l)..((b + 1) * row).min(gpu.p.len());
            assert!(
                gpu.p[pad.clone()].iter().all(|&p| p == 0.0)
                    && gpu.keep[pad].iter().all(|&k| k == 0)
            );
        }
    }
}

#[test]
fn gpu_matches_cpu_on_span_conv_inputs_in_both_layouts() {
    let Some(gate) = common::gpu_or_skip("gpu_matches_cpu_on_span_conv_inputs_in_both_layouts")
    else {
        return;
    };
    let (c, k) = (256usize, 3usize);
    let s = SyntheticBatch::new(400, &[1, 511, 512, 513, 4096], 0.05).unwrap();
    let n = s.layout.extent();
    let mut rng = SplitMix64::new(10);
    let weight: Vec<f32> = (0..c * k)
        .map(|_| (rng.unit() as f32 - 0.5) * 0.2)
        .collect();
    let last: Vec<f32> = (0..n * c).map(|_| rng.logit() * 0.1).collect();
    let mut first = vec![0.0f32; n * c];
    for t in 0..n {
        for ch in 0..c {
            first[ch * n + t] = last[t * c + ch];
        }
    }
    let (last_bf, first_bf) = (to_bf16_bits(&last), to_bf16_bits(&first));
    let tok_bf = to_bf16_bits(&s.tok);
    for rule in [KeepRule::Threshold, KeepRule::TargetRatio(0.3)] {
        for (name, h, tok, mul, chan, tstride) in [
            (
                "f32 [N,C]",
                Logits::F32(&last),
                Logits::F32(&s.tok),
                c,
                1,
                c,
            ),
            (
                "f32 [C,N]",
                Logits::F32(&first),
                Logits::F32(&s.tok),
                1,
                n,
                1,
            ),
            (
                "bf16 [N,C]",
                Logits::Bf16(&last_bf),
                Logits::Bf16(&tok_bf),
                c,
                1,
                c,
            ),
            (
                "bf16 [C,N]",
                Logits::Bf16(&first_bf),
                Logits::Bf16(&tok_bf),
                1,
                n,
                1,
            ),
        ] {
            let batch = GateBatch {
                tok,
                span: SpanInput::Conv(SpanConv {
                    h,
                    weight: &weight,
                    bias: 0.3,
                    channels: c,
                    kernel: k,
                    h_seq_mul: mul,
                    h_chan_stride: chan,
                    h_tok_stride: tstride,
                }),
                layout: &s.layout,
                floor: &s.floor,
                params: GateParams::default(),
                rule,
            };
            check(&gate, &format!("conv {name} {rule:?}"), &batch);
        }
    }
}

#[test]
fn gpu_matches_cpu_on_inputs_from_the_real_dev_set() {
    let Some(gate) = common::gpu_or_skip("gpu_matches_cpu_on_inputs_from_the_real_dev_set") else {
        return;
    };
    let path = common::repo_root().join("../shared/data/dev.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let real = common::real::RealInputs::from_dev_jsonl(&text);
    assert!(real.layout.num_seqs() > 100, "dev set too small");
    for rule in RULES {
        check(&gate, &format!("dev set {rule:?}"), &real.batch(rule));
    }
}

#[test]
fn raw_launch_on_caller_owned_device_memory_matches_cpu() {
    let Some(gate) = common::gpu_or_skip("raw_launch_on_caller_owned_device_memory_matches_cpu")
    else {
        return;
    };
    let s = SyntheticBatch::new(500, &LENGTHS, 0.05).unwrap();
    for rule in [KeepRule::Threshold, KeepRule::TargetRatio(0.2)] {
        let batch = logits_batch(&s, GateParams::default(), rule);
        // `upload` builds RawGateArgs over device buffers, as a tch caller would from data_ptr().
        let dev = gate.upload(&batch).unwrap();
        let raw = *dev.raw_args();
        let stream = gate.stream().cu_stream();
        // SAFETY: the addresses are the live buffers of `dev`, sized for this batch.
        unsafe { gate.launch_raw(&raw, stream) }.unwrap();
        let gpu = gate.download(&dev).unwrap();
        assert_same(
            &format!("raw {rule:?}"),
            &gpu,
            &gate_batch_cpu(&batch).unwrap(),
        );
    }
}
