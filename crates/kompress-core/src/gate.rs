//! The gate: `p = sigmoid(logit_tok - gamma * g(logit_span))`, `p` being the probability that a
//! token is evicted. This is the CPU twin of `kernels/gate_fusion.cu`: both use only IEEE
//! operations that are correctly rounded on CPU and GPU (add, mul, fma, div, bit tricks), in the
//! same order and with the same constants (given as bit patterns), so the two give the same bits
//! in fp32. Any change here must be mirrored in the kernel, and the other way round.
//!
//! Two keep rules: a threshold on `p`, or a per-sequence budget of `k` tokens (from a target
//! keep ratio) filled with the lowest `p` first, ties broken by the lower index. Tokens forced
//! by the safety floor are always kept and use up the budget first.

use serde::{Deserialize, Serialize};

/// The span squashing function `g`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, Hash)]
#[serde(rename_all = "lowercase")]
pub enum SpanSquash {
    /// `g(x) = sigmoid(x)`: the span head's logit becomes a coherence probability.
    #[default]
    Sigmoid,
    /// `g(x) = x`: the span head already outputs a probability.
    Identity,
}

impl SpanSquash {
    pub fn code(self) -> u32 {
        match self {
            SpanSquash::Sigmoid => 0,
            SpanSquash::Identity => 1,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GateParams {
    pub gamma: f32,
    pub squash: SpanSquash,
    /// Evict when `p >= threshold` (unless the floor forces the token).
    pub threshold: f32,
}

impl Default for GateParams {
    fn default() -> Self {
        GateParams {
            gamma: 1.0,
            squash: SpanSquash::Sigmoid,
            threshold: 0.5,
        }
    }
}

// The constants of `exp_portable`, as bit patterns so that the kernel uses the very same values.
const LOG2E: f32 = f32::from_bits(0x3fb8_aa3b);
/// High part of ln 2 (its low 12 mantissa bits are zero).
const LN2_HI: f32 = f32::from_bits(0x3f31_7200);
const LN2_LO: f32 = f32::from_bits(0x35bf_be8e);
/// 1.5 * 2^23: adding it rounds to an integer with the current (nearest-even) rounding.
const SHIFT: f32 = f32::from_bits(0x4b40_0000);
const C6: f32 = f32::from_bits(0x3ab6_0b61); // 1/720
const C5: f32 = f32::from_bits(0x3c08_8889); // 1/120
const C4: f32 = f32::from_bits(0x3d2a_aaab); // 1/24
const C3: f32 = f32::from_bits(0x3e2a_aaab); // 1/6

/// `exp(x)` for f32 from correctly rounded operations only (Cody-Waite reduction, degree-6
/// polynomial, exponent bits). Max error about 2 ulp on the range the gate uses; the point is
/// that the CUDA kernel computes the identical bits.
#[inline]
pub fn exp_portable(x: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    // NaN returned above, so this is the same as the kernel's two comparisons.
    let x = x.clamp(-87.0, 88.0);
    let t = x.mul_add(LOG2E, SHIFT);
    let n = t - SHIFT;
    let r = (-n).mul_add(LN2_HI, x);
    let r = (-n).mul_add(LN2_LO, r);
    let mut p: f32 = C6;
    p = p.mul_add(r, C5);
    p = p.mul_add(r, C4);
    p = p.mul_add(r, C3);
    p = p.mul_add(r, 0.5);
    p = p.mul_add(r, 1.0);
    p = p.mul_add(r, 1.0);
    let ni = n as i32;
    // 2^n split in two factors so that n in [-126, 127] never overflows the exponent field.
    let half = ni / 2;
    let s1 = f32::from_bits(((half + 127) as u32) << 23);
    let s2 = f32::from_bits(((ni - half + 127) as u32) << 23);
    p * s1 * s2
}

#[inline]
pub fn sigmoid_portable(x: f32) -> f32 {
    1.0 / (1.0 + exp_portable(-x))
}

/// Eviction probability of one token. A NaN result is returned as the canonical quiet NaN
/// (`0x7fc00000`), because CPUs and GPUs disagree on the payload of a freshly made NaN.
#[inline]
pub fn gate_one(logit_tok: f32, logit_span: f32, params: &GateParams) -> f32 {
    let g = match params.squash {
        SpanSquash::Sigmoid => sigmoid_portable(logit_span),
        SpanSquash::Identity => logit_span,
    };
    let p = sigmoid_portable((-params.gamma).mul_add(g, logit_tok));
    if p.is_nan() {
        f32::from_bits(0x7fc0_0000)
    } else {
        p
    }
}

/// A bf16 value (its raw bits) widened to f32; exact, and what the kernel does too.
#[inline]
pub fn bf16_to_f32(bits: u16) -> f32 {
    f32::from_bits(u32::from(bits) << 16)
}

/// Whether the safety-floor bitmask forces token `i` (bit `i % 32` of word `i / 32`).
#[inline]
pub fn floor_forces(floor: &[u32], i: usize) -> bool {
    floor.get(i / 32).is_some_and(|w| (w >> (i % 32)) & 1 == 1)
}

/// An unsigned key that sorts eviction probabilities in IEEE total order (NaN last): the
/// budget keeps the smallest keys. The kernel uses the same mapping.
#[inline]
pub fn evict_key(p: f32) -> u32 {
    if p.is_nan() {
        return u32::MAX;
    }
    let b = p.to_bits();
    if b >> 31 == 1 {
        !b
    } else {
        b | 0x8000_0000
    }
}

/// Tokens a target keep ratio asks for in a sequence of `len` tokens: `ceil(ratio * len)`, at
/// least one token when `len > 0`, at most `len`. The product is taken in f64 and shrunk by one
/// f32 ulp before rounding up, so that a ratio like `0.1` (stored as 0.100000001) keeps 10 of
/// 100 tokens, not 11. Both back ends compute `k` with this.
pub fn keep_count_for_ratio(len: usize, ratio: f32) -> usize {
    if len == 0 || ratio.is_nan() || ratio <= 0.0 {
        return 0;
    }
    let x = f64::from(ratio) * len as f64;
    let k = (x - x * f64::from(f32::EPSILON)).ceil();
    (k as usize).clamp(1, len)
}

/// The CPU gate over a whole sequence: writes `p` and the keep mask (1 = keep).
/// `floor` is a bitmask (bit `i % 32` of word `i / 32`) of tokens the safety floor forces.
pub fn gate_cpu(
    tok: &[f32],
    span: &[f32],
    floor: &[u32],
    params: &GateParams,
    p_out: &mut [f32],
    keep_out: &mut [u8],
) {
    assert_eq!(tok.len(), span.len());
    assert!(p_out.len() >= tok.len() && keep_out.len() >= tok.len());
    gate_probs(tok, span, params, p_out);
    for i in 0..tok.len() {
        keep_out[i] = u8::from(floor_forces(floor, i) || p_out[i] < params.threshold);
    }
}

/// `p` for every token of a sequence (no keep decision).
pub fn gate_probs(tok: &[f32], span: &[f32], params: &GateParams, p_out: &mut [f32]) {
    assert_eq!(tok.len(), span.len());
    assert!(p_out.len() >= tok.len());
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports FMA, checked just above.
        unsafe { gate_probs_fma(tok, span, params, p_out) };
        return;
    }
    gate_probs_plain(tok, span, params, p_out);
}

#[inline(always)]
fn gate_probs_plain(tok: &[f32], span: &[f32], params: &GateParams, p_out: &mut [f32]) {
    for ((p, &t), &s) in p_out.iter_mut().zip(tok).zip(span) {
        *p = gate_one(t, s, params);
    }
}

/// Same loop compiled with hardware FMA (fused multiply-add is correctly rounded with or
/// without it, so the bits do not change; only the speed does).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
unsafe fn gate_probs_fma(tok: &[f32], span: &[f32], params: &GateParams, p_out: &mut [f32]) {
    gate_probs_plain(tok, span, params, p_out);
}

/// Keep mask for a budget of `k` tokens: every floor token, then the non-floor tokens with the
/// smallest [`evict_key`] (ties: lower index first) until `k` tokens are kept in all. When the
/// floor alone holds `k` or more tokens, exactly the floor is kept.
pub fn select_keep_top_k(p: &[f32], floor: &[u32], k: usize, keep_out: &mut [u8]) {
    assert!(keep_out.len() >= p.len());
    assert!(
        u32::try_from(p.len()).is_ok(),
        "sequence longer than 2^32 tokens"
    );
    let mut candidates: Vec<u64> = Vec::with_capacity(p.len());
    let mut forced = 0usize;
    for (i, &pi) in p.iter().enumerate() {
        if floor_forces(floor, i) {
            keep_out[i] = 1;
            forced += 1;
        } else {
            keep_out[i] = 0;
            candidates.push((u64::from(evict_key(pi)) << 32) | i as u64);
        }
    }
    let free = k.saturating_sub(forced).min(candidates.len());
    if free == 0 {
        return;
    }
    if free < candidates.len() {
        candidates.select_nth_unstable(free - 1);
    }
    for &c in &candidates[..free] {
        keep_out[(c & 0xffff_ffff) as usize] = 1;
    }
}

/// The CPU gate with a token budget: `p` as in [`gate_cpu`], keep mask from
/// [`select_keep_top_k`]. `params.threshold` is not used.
pub fn gate_cpu_top_k(
    tok: &[f32],
    span: &[f32],
    floor: &[u32],
    params: &GateParams,
    k: usize,
    p_out: &mut [f32],
    keep_out: &mut [u8],
) {
    assert_eq!(tok.len(), span.len());
    assert!(p_out.len() >= tok.len() && keep_out.len() >= tok.len());
    gate_probs(tok, span, params, p_out);
    select_keep_top_k(&p_out[..tok.len()], floor, k, keep_out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portable_exp_is_close_to_std() {
        for i in -800..=800 {
            let x = i as f32 * 0.1;
            let a = exp_portable(x);
            let b = x.exp();
            assert!(((a - b) / b).abs() < 1e-6, "x={x} {a} {b}");
        }
    }

    #[test]
    fn bit_constants_match_their_decimal_values() {
        assert_eq!(LOG2E, std::f32::consts::LOG2_E);
        assert_eq!(LN2_HI, 0.693_145_75);
        assert_eq!(LN2_LO, 1.428_606_8e-6);
        assert_eq!(SHIFT, 12_582_912.0);
        assert_eq!(
            [C6, C5, C4, C3],
            [1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0]
        );
    }

    #[test]
    fn span_coherence_lowers_eviction_probability() {
        let prm = GateParams::default();
        assert!(gate_one(0.0, 5.0, &prm) < gate_one(0.0, -5.0, &prm));
    }

    #[test]
    fn floor_bit_forces_keep() {
        let prm = GateParams::default();
        let (mut p, mut k) = (vec![0.0; 3], vec![0u8; 3]);
        gate_cpu(&[9.0, 9.0, 9.0], &[0.0; 3], &[0b010], &prm, &mut p, &mut k);
        assert_eq!(k, [0, 1, 0]);
    }

    #[test]
    fn nan_probability_is_canonical_and_sorts_last() {
        let prm = GateParams::default();
        let p = gate_one(
            f32::INFINITY,
            f32::INFINITY,
            &GateParams {
                gamma: f32::INFINITY,
                ..prm
            },
        );
        assert_eq!(p.to_bits(), 0x7fc0_0000);
        assert_eq!(evict_key(p), u32::MAX);
        assert!(evict_key(0.0) < evict_key(1e-30) && evict_key(0.5) < evict_key(1.0));
        assert!(evict_key(-1.0) < evict_key(-0.0) && evict_key(-0.0) < evict_key(0.0));
    }

    #[test]
    fn bf16_widening_is_exact() {
        assert_eq!(bf16_to_f32(0x3f80), 1.0);
        assert_eq!(bf16_to_f32(0xc040), -3.0);
        assert_eq!(bf16_to_f32(0x3f81), f32::from_bits(0x3f81_0000));
    }

    #[test]
    fn ratio_budget_rounds_up_and_stays_in_range() {
        assert_eq!(keep_count_for_ratio(0, 0.5), 0);
        assert_eq!(keep_count_for_ratio(1, 0.01), 1);
        assert_eq!(keep_count_for_ratio(10, 0.25), 3);
        assert_eq!(keep_count_for_ratio(100, 0.1), 10);
        assert_eq!(keep_count_for_ratio(10, 0.3), 3);
        assert_eq!(keep_count_for_ratio(1000, 0.301), 301);
        assert_eq!(keep_count_for_ratio(100_000, 0.3), 30_000);
        assert_eq!(keep_count_for_ratio(512, 1.0), 512);
        assert_eq!(keep_count_for_ratio(7, 2.0), 7);
    }

    #[test]
    fn budget_keeps_lowest_probabilities_with_index_tie_break() {
        let p = [0.9, 0.1, 0.5, 0.1, 0.3];
        let mut keep = [9u8; 5];
        select_keep_top_k(&p, &[], 3, &mut keep);
        assert_eq!(keep, [0, 1, 0, 1, 1]);
        select_keep_top_k(&p, &[], 1, &mut keep);
        assert_eq!(keep, [0, 1, 0, 0, 0], "equal p: the lower index wins");
    }

    #[test]
    fn floor_tokens_use_up_the_budget_first() {
        let p = [0.9, 0.1, 0.5, 0.2, 0.3];
        let mut keep = [0u8; 5];
        select_keep_top_k(&p, &[0b00001], 2, &mut keep);
        assert_eq!(keep, [1, 1, 0, 0, 0]);
        select_keep_top_k(&p, &[0b00101], 1, &mut keep);
        assert_eq!(keep, [1, 0, 1, 0, 0], "a floor larger than k is kept whole");
    }
}
