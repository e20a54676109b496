//! The gate: `p = sigmoid(logit_tok - gamma * g(logit_span))`, `p` being the probability that a
//! token is evicted. This is the CPU twin of `kernels/gate_fusion.cu`: both use only IEEE
//! operations that are correctly rounded on CPU and GPU (add, mul, fma, div, bit tricks), in the
//! same order, so the two give the same bits in fp32.

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

/// `exp(x)` for f32 from correctly rounded operations only (Cody-Waite reduction, degree-6
/// polynomial, exponent bits). Max error about 2 ulp on the range the gate uses; the point is
/// that the CUDA kernel computes the identical bits.
#[inline]
pub fn exp_portable(x: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    let x = x.clamp(-87.0, 88.0);
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    // round-to-nearest via the 1.5*2^23 trick (no libm rounding call).
    const SHIFT: f32 = 12_582_912.0;
    let t = x.mul_add(LOG2E, SHIFT);
    let n = t - SHIFT;
    let r = (-n).mul_add(LN2_HI, x);
    let r = (-n).mul_add(LN2_LO, r);
    let mut p: f32 = 1.0 / 720.0;
    p = p.mul_add(r, 1.0 / 120.0);
    p = p.mul_add(r, 1.0 / 24.0);
    p = p.mul_add(r, 1.0 / 6.0);
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

/// Eviction probability of one token.
#[inline]
pub fn gate_one(logit_tok: f32, logit_span: f32, params: &GateParams) -> f32 {
    let g = match params.squash {
        SpanSquash::Sigmoid => sigmoid_portable(logit_span),
        SpanSquash::Identity => logit_span,
    };
    sigmoid_portable((-params.gamma).mul_add(g, logit_tok))
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
    for i in 0..tok.len() {
        let p = gate_one(tok[i], span[i], params);
        p_out[i] = p;
        let forced = floor.get(i / 32).is_some_and(|w| (w >> (i % 32)) & 1 == 1);
        keep_out[i] = u8::from(forced || p < params.threshold);
    }
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
}
