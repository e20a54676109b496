//! The CPU twin of `kernels/gate_fusion.cu` over a whole [`GateBatch`]: the same per-token math
//! (from `kompress_core::gate`), the same span convolution order, the same selection. Used when
//! no GPU is present, and as the reference in the GPU parity tests.

use std::borrow::Cow;

use kompress_core::gate::{gate_cpu, gate_cpu_top_k};

use crate::batch::{GateBatch, GateOutput, KeepRule, Logits, SpanConv, SpanInput};
use crate::GpuError;

/// Runs the gate on the CPU, one thread. Output as [`GateOutput`] documents.
pub fn gate_batch_cpu(batch: &GateBatch<'_>) -> Result<GateOutput, GpuError> {
    batch.validate()?;
    let layout = batch.layout;
    let mut out = GateOutput::zeroed(layout.extent());
    let budgets = batch.budgets();
    for (b, &budget) in budgets.iter().enumerate() {
        let range = layout.range(b);
        let len = range.len();
        let tok = values(batch.tok, range.clone());
        let span: Cow<'_, [f32]> = match batch.span {
            SpanInput::Logits(s) => values(s, range.clone()),
            SpanInput::Conv(c) => {
                let mut v = Vec::with_capacity(len);
                span_conv_logits(&c, range.start, len, &mut v);
                Cow::Owned(v)
            }
        };
        let floor = batch.floor.sequence(b, len);
        let p = &mut out.p[range.clone()];
        let keep = &mut out.keep[range];
        match batch.rule {
            KeepRule::Threshold => gate_cpu(&tok, &span, floor, &batch.params, p, keep),
            KeepRule::TargetRatio(_) => {
                gate_cpu_top_k(&tok, &span, floor, &batch.params, budget as usize, p, keep)
            }
        }
    }
    Ok(out)
}

/// The values of one sequence as f32: borrowed for f32 input, widened for bf16.
fn values(v: Logits<'_>, range: std::ops::Range<usize>) -> Cow<'_, [f32]> {
    match v {
        Logits::F32(s) => Cow::Borrowed(&s[range]),
        Logits::Bf16(_) => Cow::Owned(range.map(|i| v.get(i)).collect()),
    }
}

/// Span logits of the sequence starting at element `start` from the last conv layer's inputs:
/// `bias + sum_j sum_c w[c, j] * h[c, t + j - kernel/2]`, one fused multiply-add per term, `j`
/// outer and `c` inner, positions outside `[0, len)` skipped. Appends `len` values to `out`.
pub fn span_conv_logits(c: &SpanConv<'_>, start: usize, len: usize, out: &mut Vec<f32>) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports FMA, checked just above.
        unsafe { span_conv_fma(c, start, len, out) };
        return;
    }
    span_conv_plain(c, start, len, out);
}

/// Compiled with hardware FMA: same bits as the plain loop (fma is correctly rounded either
/// way), only faster.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
unsafe fn span_conv_fma(c: &SpanConv<'_>, start: usize, len: usize, out: &mut Vec<f32>) {
    span_conv_plain(c, start, len, out);
}

#[inline(always)]
fn span_conv_plain(c: &SpanConv<'_>, start: usize, len: usize, out: &mut Vec<f32>) {
    let base = start * c.h_seq_mul;
    let half = c.kernel / 2;
    for i in 0..len {
        let mut acc = c.bias;
        for j in 0..c.kernel {
            let Some(t) = (i + j).checked_sub(half) else {
                continue;
            };
            if t >= len {
                continue;
            }
            let at = base + t * c.h_tok_stride;
            for ch in 0..c.channels {
                let h = c.h.get(at + ch * c.h_chan_stride);
                acc = c.weight[ch * c.kernel + j].mul_add(h, acc);
            }
        }
        out.push(acc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{FloorMasks, SeqLayout};
    use kompress_core::gate::{gate_one, sigmoid_portable, GateParams, SpanSquash};

    #[test]
    fn padding_between_sequences_is_left_untouched() {
        let layout = SeqLayout::padded(4, &[2, 3]).unwrap();
        let floor = FloorMasks::none(&layout);
        let tok = [-9.0f32; 8];
        let span = [0.0f32; 8];
        let batch = GateBatch {
            tok: Logits::F32(&tok),
            span: SpanInput::Logits(Logits::F32(&span)),
            layout: &layout,
            floor: &floor,
            params: GateParams::default(),
            rule: KeepRule::Threshold,
        };
        let out = gate_batch_cpu(&batch).unwrap();
        assert_eq!(
            out.keep,
            [1, 1, 0, 0, 1, 1, 1],
            "output ends at the last owned element"
        );
        assert_eq!((out.p[2], out.p[3]), (0.0, 0.0));
    }

    #[test]
    fn conv_span_matches_hand_computed_edges() {
        // One sequence of 3 tokens, 2 channels, kernel 3, layout [C, L].
        let h = [1.0f32, 2.0, 3.0, 10.0, 20.0, 30.0];
        let w = [0.5f32, 1.0, 2.0, -1.0, 0.25, 0.0]; // w[c * 3 + j]
        let conv = SpanConv {
            h: Logits::F32(&h),
            weight: &w,
            bias: 0.125,
            channels: 2,
            kernel: 3,
            h_seq_mul: 2,
            h_chan_stride: 3,
            h_tok_stride: 1,
        };
        let mut v = Vec::new();
        span_conv_logits(&conv, 0, 3, &mut v);
        // t=0: j=1 (h[.,0]) and j=2 (h[.,1]); j=0 falls off the left edge.
        let t0 = 0.125 + 1.0 * 1.0 + 0.25 * 10.0 + 2.0 * 2.0 + 0.0 * 20.0;
        let t2 = 0.125 + 0.5 * 2.0 - 20.0 + 1.0 * 3.0 + 0.25 * 30.0;
        assert_eq!(v[0], t0);
        assert_eq!(v[2], t2);
        let prm = GateParams {
            squash: SpanSquash::Sigmoid,
            ..GateParams::default()
        };
        assert!(gate_one(0.0, v[0], &prm) < sigmoid_portable(0.0));
    }
}
