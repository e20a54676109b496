//! Properties of the CPU twin (the gate every CPU machine uses, and the GPU's reference).

mod common;

use kompress_core::gate::{gate_cpu, gate_one, keep_count_for_ratio, GateParams, SpanSquash};
use kompress_gpu::synth::{to_bf16_bits, SyntheticBatch};
use kompress_gpu::{
    gate_batch_cpu, gpu_absence_reason, FloorMasks, Gate, GateBatch, GateOutput, KeepRule, Logits,
    SeqLayout, SpanConv, SpanInput,
};

const LENGTHS: [usize; 5] = [1, 511, 512, 513, 100_000];

fn run(s: &SyntheticBatch, rule: KeepRule) -> GateOutput {
    gate_batch_cpu(&GateBatch {
        tok: Logits::F32(&s.tok),
        span: SpanInput::Logits(Logits::F32(&s.span)),
        layout: &s.layout,
        floor: &s.floor,
        params: GateParams::default(),
        rule,
    })
    .expect("valid batch")
}

fn forced(s: &SyntheticBatch, b: usize, i: usize) -> bool {
    let len = s.layout.lens()[b] as usize;
    kompress_core::gate::floor_forces(s.floor.sequence(b, len), i)
}

#[test]
fn probabilities_stay_in_the_unit_interval() {
    let s = SyntheticBatch::new(1, &LENGTHS, 0.05).unwrap();
    let out = run(&s, KeepRule::Threshold);
    assert!(out.p.iter().all(|p| (0.0..=1.0).contains(p)));
    let extremes = [
        f32::NEG_INFINITY,
        -1e30,
        -88.5,
        -87.0,
        0.0,
        -0.0,
        88.0,
        1e30,
        f32::INFINITY,
    ];
    let prm = GateParams::default();
    for &t in &extremes {
        for &sp in &extremes {
            let p = gate_one(t, sp, &prm);
            assert!((0.0..=1.0).contains(&p), "tok={t} span={sp} p={p}");
        }
    }
}

#[test]
fn threshold_rule_keeps_low_probabilities_and_every_floor_token() {
    let s = SyntheticBatch::new(2, &LENGTHS, 0.05).unwrap();
    let out = run(&s, KeepRule::Threshold);
    for b in 0..s.layout.num_seqs() {
        for (i, at) in s.layout.range(b).enumerate() {
            let want = forced(&s, b, i) || out.p[at] < 0.5;
            assert_eq!(out.keep[at] == 1, want, "seq {b} token {i}");
        }
    }
}

#[test]
fn budget_keeps_exactly_k_tokens_plus_a_floor_that_overflows_it() {
    for ratio in [0.01f32, 0.3, 0.9, 1.0] {
        for floor_rate in [0.0, 0.05, 0.5] {
            let s = SyntheticBatch::new(3, &LENGTHS, floor_rate).unwrap();
            let out = run(&s, KeepRule::TargetRatio(ratio));
            for (b, &len) in s.layout.lens().iter().enumerate() {
                let len = len as usize;
                let r = s.layout.range(b);
                let floor_count = (0..len).filter(|&i| forced(&s, b, i)).count();
                let kept = out.keep[r.clone()].iter().filter(|&&k| k == 1).count();
                let k = keep_count_for_ratio(len, ratio);
                assert_eq!(
                    kept,
                    k.max(floor_count),
                    "len {len} ratio {ratio} floor {floor_count}"
                );
                assert!((0..len).all(|i| !forced(&s, b, i) || out.keep[r.start + i] == 1));
                // Every kept non-floor token has p <= every evicted token's p.
                let worst_kept = (0..len)
                    .filter(|&i| out.keep[r.start + i] == 1 && !forced(&s, b, i))
                    .map(|i| out.p[r.start + i])
                    .fold(f32::NEG_INFINITY, f32::max);
                let best_evicted = (0..len)
                    .filter(|&i| out.keep[r.start + i] == 0)
                    .map(|i| out.p[r.start + i])
                    .fold(f32::INFINITY, f32::min);
                assert!(
                    worst_kept <= best_evicted,
                    "len {len}: {worst_kept} > {best_evicted}"
                );
            }
        }
    }
}

#[test]
fn budget_breaks_ties_by_lower_index() {
    // Every token has the same p: the budget must take the first k non-floor tokens.
    let layout = SeqLayout::packed(&[0, 100]).unwrap();
    let floor = FloorMasks::from_sequences(&layout, &[&[0b1000]]).unwrap();
    let tok = vec![2.0f32; 100];
    let span = vec![0.0f32; 100];
    let out = gate_batch_cpu(&GateBatch {
        tok: Logits::F32(&tok),
        span: SpanInput::Logits(Logits::F32(&span)),
        layout: &layout,
        floor: &floor,
        params: GateParams::default(),
        rule: KeepRule::TargetRatio(0.1),
    })
    .unwrap();
    let kept: Vec<usize> = (0..100).filter(|&i| out.keep[i] == 1).collect();
    assert_eq!(kept, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
}

#[test]
fn batch_gives_the_same_bits_as_one_sequence_at_a_time() {
    let s = SyntheticBatch::new(4, &[513, 1, 0, 100_000, 511], 0.05).unwrap();
    let out = run(&s, KeepRule::Threshold);
    let prm = GateParams::default();
    for b in 0..s.layout.num_seqs() {
        let r = s.layout.range(b);
        let (mut p, mut k) = (vec![0.0; r.len()], vec![0u8; r.len()]);
        gate_cpu(
            &s.tok[r.clone()],
            &s.span[r.clone()],
            s.floor.sequence(b, r.len()),
            &prm,
            &mut p,
            &mut k,
        );
        assert_eq!(bits(&out.p[r.clone()]), bits(&p));
        assert_eq!(&out.keep[r], &k[..]);
    }
}

#[test]
fn padded_layout_matches_packed_layout() {
    let lens = [3usize, 7, 1];
    let packed = SyntheticBatch::new(5, &lens, 0.2).unwrap();
    let row = 8;
    let padded_layout = SeqLayout::padded(row, &lens).unwrap();
    let (mut tok, mut span) = (
        vec![f32::NAN; row * lens.len()],
        vec![f32::NAN; row * lens.len()],
    );
    let mut masks = Vec::new();
    for b in 0..lens.len() {
        let r = packed.layout.range(b);
        tok[b * row..b * row + lens[b]].copy_from_slice(&packed.tok[r.clone()]);
        span[b * row..b * row + lens[b]].copy_from_slice(&packed.span[r]);
        masks.push(packed.floor.sequence(b, lens[b]).to_vec());
    }
    let refs: Vec<&[u32]> = masks.iter().map(Vec::as_slice).collect();
    let floor = FloorMasks::from_sequences(&padded_layout, &refs).unwrap();
    for rule in [KeepRule::Threshold, KeepRule::TargetRatio(0.5)] {
        let a = run(&packed, rule);
        let b = gate_batch_cpu(&GateBatch {
            tok: Logits::F32(&tok),
            span: SpanInput::Logits(Logits::F32(&span)),
            layout: &padded_layout,
            floor: &floor,
            params: GateParams::default(),
            rule,
        })
        .unwrap();
        for s in 0..lens.len() {
            let (ra, rb) = (packed.layout.range(s), padded_layout.range(s));
            assert_eq!(bits(&a.p[ra.clone()]), bits(&b.p[rb.clone()]));
            assert_eq!(a.keep[ra], b.keep[rb.clone()]);
            let pad_end = ((s + 1) * row).min(b.p.len());
            assert!(
                b.p[rb.end..pad_end].iter().all(|&p| p == 0.0),
                "padding untouched"
            );
        }
    }
}

#[test]
fn bf16_inputs_equal_f32_inputs_holding_the_same_values() {
    let s = SyntheticBatch::new(6, &LENGTHS, 0.05).unwrap();
    let (tb, sb) = (to_bf16_bits(&s.tok), to_bf16_bits(&s.span));
    let widened = |v: &[u16]| {
        v.iter()
            .map(|&b| kompress_core::gate::bf16_to_f32(b))
            .collect::<Vec<f32>>()
    };
    let (tw, sw) = (widened(&tb), widened(&sb));
    for rule in [KeepRule::Threshold, KeepRule::TargetRatio(0.25)] {
        let batch = |tok, span| GateBatch {
            tok,
            span: SpanInput::Logits(span),
            layout: &s.layout,
            floor: &s.floor,
            params: GateParams::default(),
            rule,
        };
        let a = gate_batch_cpu(&batch(Logits::Bf16(&tb), Logits::Bf16(&sb))).unwrap();
        let b = gate_batch_cpu(&batch(Logits::F32(&tw), Logits::F32(&sw))).unwrap();
        assert_eq!(bits(&a.p), bits(&b.p));
        assert_eq!(a.keep, b.keep);
    }
}

#[test]
fn conv_span_input_is_layout_independent_and_feeds_the_gate() {
    let (c, k, lens) = (256usize, 3usize, [1usize, 40, 7]);
    let s = SyntheticBatch::new(7, &lens, 0.1).unwrap();
    let n = s.layout.extent();
    let mut rng = kompress_gpu::synth::SplitMix64::new(8);
    let weight: Vec<f32> = (0..c * k)
        .map(|_| (rng.unit() as f32 - 0.5) * 0.2)
        .collect();
    // Channel-last [N, C] and channel-first [C, N] copies of the same values.
    let last: Vec<f32> = (0..n * c).map(|_| rng.logit() * 0.1).collect();
    let mut first = vec![0.0f32; n * c];
    for t in 0..n {
        for ch in 0..c {
            first[ch * n + t] = last[t * c + ch];
        }
    }
    let conv = |h, mul, chan, tok| SpanConv {
        h,
        weight: &weight,
        bias: -0.25,
        channels: c,
        kernel: k,
        h_seq_mul: mul,
        h_chan_stride: chan,
        h_tok_stride: tok,
    };
    let batch = |sc| GateBatch {
        tok: Logits::F32(&s.tok),
        span: SpanInput::Conv(sc),
        layout: &s.layout,
        floor: &s.floor,
        params: GateParams {
            squash: SpanSquash::Sigmoid,
            ..GateParams::default()
        },
        rule: KeepRule::Threshold,
    };
    let a = gate_batch_cpu(&batch(conv(Logits::F32(&last), c, 1, c))).unwrap();
    let b = gate_batch_cpu(&batch(conv(Logits::F32(&first), 1, n, 1))).unwrap();
    assert_eq!(bits(&a.p), bits(&b.p));
    assert_eq!(a.keep, b.keep);
    let plain = run(&s, KeepRule::Threshold);
    assert_ne!(
        bits(&a.p),
        bits(&plain.p),
        "the conv output, not the span logits, is used"
    );
}

#[test]
fn malformed_batches_are_rejected_by_field() {
    let s = SyntheticBatch::new(9, &[10, 10], 0.0).unwrap();
    let short = &s.tok[..15];
    let err = gate_batch_cpu(&GateBatch {
        tok: Logits::F32(short),
        span: SpanInput::Logits(Logits::F32(&s.span)),
        layout: &s.layout,
        floor: &s.floor,
        params: GateParams::default(),
        rule: KeepRule::Threshold,
    })
    .unwrap_err();
    assert!(
        err.is_input_error() && err.to_string().contains("`tok`"),
        "{err}"
    );
    let err = gate_batch_cpu(&GateBatch {
        tok: Logits::F32(&s.tok),
        span: SpanInput::Logits(Logits::F32(&s.span)),
        layout: &s.layout,
        floor: &s.floor,
        params: GateParams::default(),
        rule: KeepRule::TargetRatio(0.0),
    })
    .unwrap_err();
    assert!(err.to_string().contains("target_ratio"), "{err}");
    assert!(SeqLayout::packed(&[0, 5, 3])
        .unwrap_err()
        .to_string()
        .contains("offsets"));
    assert!(SeqLayout::padded(4, &[5])
        .unwrap_err()
        .to_string()
        .contains("lens"));
}

#[test]
fn gate_without_a_gpu_falls_back_to_the_cpu_twin_and_says_why() {
    let Some(why) = gpu_absence_reason(0) else {
        common::loud("SKIPPED: an NVIDIA GPU is present; the CPU fallback is not exercised here");
        return;
    };
    let gate = Gate::new();
    assert!(!gate.is_gpu());
    assert!(
        gate.fallback_reason().is_some_and(|r| r.contains(&why)),
        "{gate:?}"
    );
    let out = gate
        .run_one(
            &[-5.0, 5.0, 5.0],
            &[0.0; 3],
            &[0b100],
            GateParams::default(),
            None,
        )
        .unwrap();
    assert_eq!(out.keep, [1, 0, 1]);
}

#[test]
fn real_dev_set_inputs_respect_budget_and_floor() {
    let path = common::repo_root().join("../shared/data/dev.jsonl");
    let Ok(text) = std::fs::read_to_string(&path) else {
        common::loud(&format!(
            "SKIPPED: {} not found (shared/ is not beside the repository)",
            path.display()
        ));
        return;
    };
    let real = common::real::RealInputs::from_dev_jsonl(&text);
    assert!(real.layout.num_seqs() > 100);
    let out = gate_batch_cpu(&real.batch(KeepRule::TargetRatio(0.3))).unwrap();
    for (b, &len) in real.layout.lens().iter().enumerate() {
        let (len, r) = (len as usize, real.layout.range(b));
        let floor = real.floor.sequence(b, len);
        let forced = (0..len)
            .filter(|&i| kompress_core::gate::floor_forces(floor, i))
            .count();
        let kept = out.keep[r].iter().filter(|&&k| k == 1).count();
        assert_eq!(kept, keep_count_for_ratio(len, 0.3).max(forced), "case {b}");
    }
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}
