//! What one gate call works on: a ragged batch of sequences laid out in flat buffers, the span
//! input (logits, or the span CNN's last conv inputs), the safety floor and the keep rule.
//! Both back ends take the same [`GateBatch`] and must give the same bits.

use kompress_core::gate::{bf16_to_f32, keep_count_for_ratio, GateParams};

use crate::GpuError;

/// Per-token values in f32, or bf16 given as raw bits (widened to f32 exactly).
#[derive(Debug, Clone, Copy)]
pub enum Logits<'a> {
    F32(&'a [f32]),
    Bf16(&'a [u16]),
}

impl Logits<'_> {
    pub fn len(&self) -> usize {
        match self {
            Logits::F32(v) => v.len(),
            Logits::Bf16(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The kernel's dtype code: 0 = f32, 1 = bf16.
    pub fn dtype_code(&self) -> u32 {
        match self {
            Logits::F32(_) => 0,
            Logits::Bf16(_) => 1,
        }
    }

    #[inline]
    pub fn get(&self, i: usize) -> f32 {
        match self {
            Logits::F32(v) => v[i],
            Logits::Bf16(v) => bf16_to_f32(v[i]),
        }
    }
}

/// Inputs of the span CNN's last layer, `Conv1d(channels -> 1, kernel, padding = kernel / 2)`,
/// whose output (plus `bias`) is the span logit. Element (channel `c`, token `t`) of the
/// sequence starting at element `s` is `h[s * h_seq_mul + c * h_chan_stride + t * h_tok_stride]`:
/// a padded `[B, C, L]` tensor has `h_seq_mul = C`, `h_chan_stride = L`, `h_tok_stride = 1`; a
/// packed channel-last `[N, C]` one has `h_seq_mul = C`, `h_chan_stride = 1`, `h_tok_stride = C`.
/// Positions outside the sequence count as zero (as in a batch-1 PyTorch run).
#[derive(Debug, Clone, Copy)]
pub struct SpanConv<'a> {
    pub h: Logits<'a>,
    /// PyTorch's weight `[1, channels, kernel]`, flattened.
    pub weight: &'a [f32],
    pub bias: f32,
    pub channels: usize,
    pub kernel: usize,
    pub h_seq_mul: usize,
    pub h_chan_stride: usize,
    pub h_tok_stride: usize,
}

#[derive(Debug, Clone, Copy)]
pub enum SpanInput<'a> {
    Logits(Logits<'a>),
    Conv(SpanConv<'a>),
}

/// Where each sequence lies in the flat buffers: sequence `b` owns elements
/// `[starts[b], starts[b] + lens[b])`. Elements owned by no sequence (padding) are ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeqLayout {
    starts: Vec<u64>,
    lens: Vec<u32>,
}

impl SeqLayout {
    /// Packed sequences: `offsets` has one entry per sequence plus the end (`[0, n1, n1+n2, …]`).
    pub fn packed(offsets: &[usize]) -> Result<Self, GpuError> {
        if offsets.is_empty() {
            return Err(GpuError::invalid("offsets", "needs at least one entry"));
        }
        let mut starts = Vec::with_capacity(offsets.len() - 1);
        let mut lens = Vec::with_capacity(offsets.len() - 1);
        for w in offsets.windows(2) {
            if w[1] < w[0] {
                return Err(GpuError::invalid(
                    "offsets",
                    format!("decrease at {} -> {}", w[0], w[1]),
                ));
            }
            starts.push(w[0] as u64);
            lens.push(seq_len(w[1] - w[0])?);
        }
        Ok(SeqLayout { starts, lens })
    }

    /// A padded `[batch, row_len]` layout with `lens[b] <= row_len` valid tokens per row.
    pub fn padded(row_len: usize, lens: &[usize]) -> Result<Self, GpuError> {
        let mut out = SeqLayout {
            starts: Vec::with_capacity(lens.len()),
            lens: Vec::with_capacity(lens.len()),
        };
        for (b, &len) in lens.iter().enumerate() {
            if len > row_len {
                return Err(GpuError::invalid(
                    "lens",
                    format!("row {b}: {len} > row length {row_len}"),
                ));
            }
            out.starts.push((b * row_len) as u64);
            out.lens.push(seq_len(len)?);
        }
        Ok(out)
    }

    pub fn num_seqs(&self) -> usize {
        self.lens.len()
    }

    pub fn starts(&self) -> &[u64] {
        &self.starts
    }

    pub fn lens(&self) -> &[u32] {
        &self.lens
    }

    pub fn max_len(&self) -> u32 {
        self.lens.iter().copied().max().unwrap_or(0)
    }

    /// One past the last element any sequence owns: the size of the output buffers.
    pub fn extent(&self) -> usize {
        self.starts
            .iter()
            .zip(&self.lens)
            .map(|(&s, &l)| s as usize + l as usize)
            .max()
            .unwrap_or(0)
    }

    /// The range of sequence `b` in the flat buffers.
    pub fn range(&self, b: usize) -> std::ops::Range<usize> {
        let s = self.starts[b] as usize;
        s..s + self.lens[b] as usize
    }
}

fn seq_len(len: usize) -> Result<u32, GpuError> {
    // The kernel indexes tokens with 32-bit integers and adds a grid stride to them.
    const MAX: usize = i32::MAX as usize;
    if len > MAX {
        return Err(GpuError::invalid(
            "lens",
            format!("sequence of {len} tokens exceeds {MAX}"),
        ));
    }
    Ok(len as u32)
}

/// Safety-floor bitmasks, one per sequence: token `i` is forced when bit `i % 32` of
/// `words[offsets[b] + i / 32]` is set. Every sequence has `ceil(len / 32)` words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FloorMasks {
    words: Vec<u32>,
    offsets: Vec<u64>,
}

impl FloorMasks {
    /// No token forced.
    pub fn none(layout: &SeqLayout) -> Self {
        Self::from_sequences(layout, &vec![&[][..]; layout.num_seqs()]).expect("counts match")
    }

    /// One mask per sequence, in the bit order of [`kompress_core::gate::floor_forces`]; a mask
    /// shorter than its sequence forces nothing past its end, bits past the sequence are ignored.
    pub fn from_sequences(layout: &SeqLayout, masks: &[&[u32]]) -> Result<Self, GpuError> {
        if masks.len() != layout.num_seqs() {
            return Err(GpuError::invalid(
                "floor",
                format!("{} masks for {} sequences", masks.len(), layout.num_seqs()),
            ));
        }
        let mut words = Vec::new();
        let mut offsets = Vec::with_capacity(masks.len());
        for (mask, &len) in masks.iter().zip(layout.lens()) {
            offsets.push(words.len() as u64);
            let n = (len as usize).div_ceil(32);
            words.extend((0..n).map(|w| mask.get(w).copied().unwrap_or(0)));
        }
        Ok(FloorMasks { words, offsets })
    }

    pub fn words(&self) -> &[u32] {
        &self.words
    }

    pub fn offsets(&self) -> &[u64] {
        &self.offsets
    }

    /// The words of sequence `b` (of length `len`).
    pub fn sequence(&self, b: usize, len: usize) -> &[u32] {
        let s = self.offsets[b] as usize;
        &self.words[s..s + len.div_ceil(32)]
    }
}

/// How the keep mask is decided.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KeepRule {
    /// Keep when `p < params.threshold` (or forced by the floor).
    Threshold,
    /// Keep `keep_count_for_ratio(len, ratio)` tokens per sequence: the floor first, then the
    /// lowest `p` (ties: lower index).
    TargetRatio(f32),
}

/// One gate call.
#[derive(Debug, Clone, Copy)]
pub struct GateBatch<'a> {
    pub tok: Logits<'a>,
    pub span: SpanInput<'a>,
    pub layout: &'a SeqLayout,
    pub floor: &'a FloorMasks,
    pub params: GateParams,
    pub rule: KeepRule,
}

/// `p` (eviction probability) and keep mask (1 = keep), both `layout.extent()` long; padding
/// positions stay 0.
#[derive(Debug, Clone, PartialEq)]
pub struct GateOutput {
    pub p: Vec<f32>,
    pub keep: Vec<u8>,
}

impl GateOutput {
    pub fn zeroed(n: usize) -> Self {
        GateOutput {
            p: vec![0.0; n],
            keep: vec![0; n],
        }
    }
}

impl GateBatch<'_> {
    /// Token budget per sequence (`u32::MAX` for the threshold rule, where it is unused).
    pub fn budgets(&self) -> Vec<u32> {
        self.layout
            .lens()
            .iter()
            .map(|&len| match self.rule {
                KeepRule::Threshold => u32::MAX,
                KeepRule::TargetRatio(r) => keep_count_for_ratio(len as usize, r) as u32,
            })
            .collect()
    }

    pub fn validate(&self) -> Result<(), GpuError> {
        let layout = self.layout;
        let extent = layout.extent();
        if self.tok.len() < extent {
            return Err(GpuError::invalid(
                "tok",
                format!("{} values, the layout needs {extent}", self.tok.len()),
            ));
        }
        check_no_overlap(layout)?;
        if self.floor.offsets().len() != layout.num_seqs() {
            return Err(GpuError::invalid("floor", "built for another layout"));
        }
        for (b, &len) in layout.lens().iter().enumerate() {
            let end = self.floor.offsets()[b] as usize + (len as usize).div_ceil(32);
            if end > self.floor.words().len() {
                return Err(GpuError::invalid(
                    "floor",
                    format!("sequence {b}: mask too short"),
                ));
            }
        }
        let p = &self.params;
        if !p.gamma.is_finite() {
            return Err(GpuError::invalid(
                "gamma",
                format!("{} is not finite", p.gamma),
            ));
        }
        if let KeepRule::TargetRatio(r) = self.rule {
            if !(r > 0.0 && r <= 1.0) {
                return Err(GpuError::invalid(
                    "target_ratio",
                    format!("{r} is not in (0, 1]"),
                ));
            }
        }
        match self.span {
            SpanInput::Logits(s) => {
                if s.dtype_code() != self.tok.dtype_code() {
                    return Err(GpuError::invalid("span", "dtype differs from tok"));
                }
                if s.len() < extent {
                    return Err(GpuError::invalid(
                        "span",
                        format!("{} values, the layout needs {extent}", s.len()),
                    ));
                }
            }
            SpanInput::Conv(c) => validate_conv(&c, self.tok.dtype_code(), layout)?,
        }
        Ok(())
    }
}

fn check_no_overlap(layout: &SeqLayout) -> Result<(), GpuError> {
    let mut ranges: Vec<(u64, u64)> = layout
        .starts()
        .iter()
        .zip(layout.lens())
        .filter(|(_, &l)| l > 0)
        .map(|(&s, &l)| (s, s + u64::from(l)))
        .collect();
    ranges.sort_unstable();
    for w in ranges.windows(2) {
        if w[1].0 < w[0].1 {
            return Err(GpuError::invalid(
                "starts",
                format!("sequences overlap at element {}", w[1].0),
            ));
        }
    }
    Ok(())
}

fn validate_conv(c: &SpanConv<'_>, dtype: u32, layout: &SeqLayout) -> Result<(), GpuError> {
    if c.h.dtype_code() != dtype {
        return Err(GpuError::invalid("span.h", "dtype differs from tok"));
    }
    if c.channels == 0 || c.channels > u32::MAX as usize {
        return Err(GpuError::invalid(
            "span.channels",
            format!("{} is out of range", c.channels),
        ));
    }
    if c.kernel.is_multiple_of(2) || c.kernel > 64 {
        return Err(GpuError::invalid(
            "span.kernel",
            format!("{} is not odd and <= 63", c.kernel),
        ));
    }
    if c.weight.len() != c.channels * c.kernel {
        return Err(GpuError::invalid(
            "span.weight",
            format!(
                "{} values, expected channels * kernel = {}",
                c.weight.len(),
                c.channels * c.kernel
            ),
        ));
    }
    for (b, &len) in layout.lens().iter().enumerate() {
        if len == 0 {
            continue;
        }
        let last = (layout.starts()[b] as usize)
            .checked_mul(c.h_seq_mul)
            .and_then(|base| base.checked_add((c.channels - 1).checked_mul(c.h_chan_stride)?))
            .and_then(|x| x.checked_add((len as usize - 1).checked_mul(c.h_tok_stride)?));
        match last {
            Some(last) if last < c.h.len() => {}
            _ => {
                return Err(GpuError::invalid(
                    "span.h",
                    format!("sequence {b} reaches past the {} values given", c.h.len()),
                ))
            }
        }
    }
    Ok(())
}
