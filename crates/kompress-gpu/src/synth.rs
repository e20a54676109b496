//! Deterministic synthetic gate inputs for tests and benchmarks: logits spread over the range a
//! model produces, with a share of repeated values (so that many tokens tie on `p`), a few
//! saturating ones, and a random safety floor.

use crate::batch::{FloorMasks, SeqLayout};
use crate::GpuError;

/// SplitMix64: small, fast, and the same sequence everywhere.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A logit: mostly uniform in [-12, 12], 1/8 from a few repeated values, 1/64 saturating.
    pub fn logit(&mut self) -> f32 {
        const REPEATED: [f32; 5] = [-4.0, -0.5, 0.0, 1.25, 6.0];
        let u = self.unit();
        if u < 1.0 / 64.0 {
            if self.unit() < 0.5 {
                -120.0
            } else {
                95.0
            }
        } else if u < 1.0 / 8.0 {
            REPEATED[(self.next_u64() % REPEATED.len() as u64) as usize]
        } else {
            (self.unit() * 24.0 - 12.0) as f32
        }
    }
}

/// A packed batch of synthetic logits.
#[derive(Debug, Clone)]
pub struct SyntheticBatch {
    pub tok: Vec<f32>,
    pub span: Vec<f32>,
    pub layout: SeqLayout,
    pub floor: FloorMasks,
}

impl SyntheticBatch {
    /// Sequences of the given lengths, packed back to back; each token is in the floor with
    /// probability `floor_rate`.
    pub fn new(seed: u64, lens: &[usize], floor_rate: f64) -> Result<Self, GpuError> {
        let mut rng = SplitMix64::new(seed);
        let mut offsets = Vec::with_capacity(lens.len() + 1);
        offsets.push(0usize);
        for &l in lens {
            offsets.push(offsets.last().copied().unwrap_or(0) + l);
        }
        let layout = SeqLayout::packed(&offsets)?;
        let n = layout.extent();
        let tok = (0..n).map(|_| rng.logit()).collect();
        let span = (0..n).map(|_| rng.logit()).collect();
        let masks: Vec<Vec<u32>> = lens
            .iter()
            .map(|&l| {
                let mut words = vec![0u32; l.div_ceil(32)];
                for i in 0..l {
                    if rng.unit() < floor_rate {
                        words[i / 32] |= 1 << (i % 32);
                    }
                }
                words
            })
            .collect();
        let refs: Vec<&[u32]> = masks.iter().map(Vec::as_slice).collect();
        let floor = FloorMasks::from_sequences(&layout, &refs)?;
        Ok(SyntheticBatch {
            tok,
            span,
            layout,
            floor,
        })
    }
}

/// f32 to bf16 bits, rounding to nearest even (NaN stays NaN).
pub fn to_bf16_bits(v: &[f32]) -> Vec<u16> {
    v.iter()
        .map(|&x| {
            let b = x.to_bits();
            if x.is_nan() {
                return ((b >> 16) | 0x40) as u16;
            }
            let round = 0x7fff + ((b >> 16) & 1);
            (b.wrapping_add(round) >> 16) as u16
        })
        .collect()
}
