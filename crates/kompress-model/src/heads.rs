//! The two pruning heads, named as in Headroom's Kompress checkpoints:
//! - `token_head` Linear(hidden → 2): class 0 = discard, class 1 = keep. The eviction logit of
//!   a piece is `logit[0] - logit[1]` (so `sigmoid` of it is the softmax discard probability).
//! - `span_conv` Conv1d(hidden → 256, k5, pad 2) → GELU → Conv1d(256 → 1, k3, pad 1), variables
//!   `span_conv.0.*` and `span_conv.2.*` (the indices of `nn.Sequential`). Its output is the
//!   span-coherence logit; Kompress applies a sigmoid after it (the gate's `g`).

use tch::{nn, Tensor};

pub const SPAN_CHANNELS: i64 = 256;

/// Per-piece outputs of both heads, `[batch, seq]` each.
pub struct HeadOutput {
    pub evict_logit: Tensor,
    pub span_logit: Tensor,
}

#[derive(Debug)]
pub struct Heads {
    tok_w: Tensor,
    tok_b: Tensor,
    conv1_w: Tensor,
    conv1_b: Tensor,
    conv2_w: Tensor,
    conv2_b: Tensor,
}

impl Heads {
    /// Registers trainable head variables under `p` (normally the adapter store's root).
    pub fn new(p: &nn::Path, hidden: i64) -> Heads {
        let t = p / "token_head";
        let c1 = p / "span_conv" / 0;
        let c2 = p / "span_conv" / 2;
        let uni = |fan_in: i64| {
            let b = 1.0 / (fan_in as f64).sqrt();
            nn::Init::Uniform { lo: -b, up: b }
        };
        Heads {
            tok_w: t.var("weight", &[2, hidden], uni(hidden)),
            tok_b: t.var("bias", &[2], uni(hidden)),
            conv1_w: c1.var("weight", &[SPAN_CHANNELS, hidden, 5], uni(hidden * 5)),
            conv1_b: c1.var("bias", &[SPAN_CHANNELS], uni(hidden * 5)),
            conv2_w: c2.var("weight", &[1, SPAN_CHANNELS, 3], uni(SPAN_CHANNELS * 3)),
            conv2_b: c2.var("bias", &[1], uni(SPAN_CHANNELS * 3)),
        }
    }

    /// Raw token-head logits `[batch, seq, 2]`.
    pub fn token_logits(&self, hidden: &Tensor) -> Tensor {
        hidden.linear(&self.tok_w, Some(&self.tok_b))
    }

    /// Span logits `[batch, seq]`. Padding positions (`mask == 0`) are zeroed first so they act
    /// like the convolution's own zero padding and a sequence scores the same alone or batched.
    pub fn span_logits(&self, hidden: &Tensor, mask: &Tensor) -> Tensor {
        let m = mask.to_kind(hidden.kind()).unsqueeze(-1);
        let x = (hidden * m).transpose(1, 2);
        let y = x
            .conv1d(&self.conv1_w, Some(&self.conv1_b), [1], [2], [1], 1)
            .gelu("none");
        y.conv1d(&self.conv2_w, Some(&self.conv2_b), [1], [1], [1], 1)
            .squeeze_dim(1)
    }

    pub fn forward(&self, hidden: &Tensor, mask: &Tensor) -> HeadOutput {
        let tl = self.token_logits(hidden);
        HeadOutput {
            evict_logit: tl.select(-1, 0) - tl.select(-1, 1),
            span_logit: self.span_logits(hidden, mask),
        }
    }
}
