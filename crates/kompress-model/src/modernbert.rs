//! ModernBERT encoder (`model_type: "modernbert"`), as `transformers`' `ModernBertModel`:
//! pre-norm layers without biases, rotary positions (separate bases for global and local
//! layers), GeGLU feed-forward, alternating global / sliding-window attention and a final norm.
//! Variable names follow its state dict: `embeddings.*`, `layers.N.*`, `final_norm.*`.

use tch::{Kind, Tensor};

use crate::config::{AttentionKind, ModernBertConfig};
use crate::layers::{gelu, Embedding, LayerNorm, Linear, LoraPlan, Stores};

#[derive(Debug)]
struct MbLayer {
    attn_norm: Option<LayerNorm>,
    wqkv: Linear,
    wo: Linear,
    mlp_norm: LayerNorm,
    wi: Linear,
    mlp_wo: Linear,
    kind: AttentionKind,
}

impl MbLayer {
    fn new(
        s: Stores,
        cfg: &ModernBertConfig,
        i: i64,
        kind: AttentionKind,
        lora: Option<&LoraPlan>,
    ) -> MbLayer {
        let (h, ff) = (cfg.hidden_size, cfg.intermediate_size);
        let pre = format!("layers.{i}");
        let lp = s.base / "layers" / i;
        let norm = |name: &str| LayerNorm::new(&(&lp / name), h, cfg.norm_eps, cfg.norm_bias);
        let lin = |name: &str, din, dout, bias| {
            Linear::with_lora(s, &format!("{pre}.{name}"), i, din, dout, bias, lora)
        };
        MbLayer {
            // The first layer reads the (already normalised) embeddings directly.
            attn_norm: (i > 0).then(|| norm("attn_norm")),
            wqkv: lin("attn.Wqkv", h, 3 * h, cfg.attention_bias),
            wo: lin("attn.Wo", h, h, cfg.attention_bias),
            mlp_norm: norm("mlp_norm"),
            wi: lin("mlp.Wi", h, 2 * ff, cfg.mlp_bias),
            mlp_wo: lin("mlp.Wo", ff, h, cfg.mlp_bias),
            kind,
        }
    }

    fn forward(&self, x: &Tensor, ctx: &ForwardCtx, heads: i64) -> Tensor {
        let (b, s, h) = x.size3().expect("hidden states are [batch, seq, hidden]");
        let hd = h / heads;
        let normed = match &self.attn_norm {
            Some(n) => n.forward(x),
            None => x.shallow_clone(),
        };
        // [b, s, 3, heads, hd] -> three [b, heads, s, hd]
        let qkv = self
            .wqkv
            .forward(&normed)
            .view([b, s, 3, heads, hd])
            .permute([2, 0, 3, 1, 4]);
        let (q, k, v) = (qkv.get(0), qkv.get(1), qkv.get(2));
        let (rope, mask) = match self.kind {
            AttentionKind::Global { .. } => (&ctx.global_rope, &ctx.global_mask),
            AttentionKind::Local { .. } => (&ctx.local_rope, &ctx.local_mask),
        };
        let q = rope.apply(&q);
        let k = rope.apply(&k);
        let att = Tensor::scaled_dot_product_attention(
            &q,
            &k,
            &v,
            mask.as_ref(),
            0.0,
            false,
            None,
            false,
        );
        let att = att.transpose(1, 2).contiguous().view([b, s, h]);
        let x = x + self.wo.forward(&att);
        let inner = self.wi.forward(&self.mlp_norm.forward(&x));
        let parts = inner.chunk(2, -1);
        x + self.mlp_wo.forward(&(gelu(&parts[0]) * &parts[1]))
    }
}

/// Rotary tables for one sequence length and base.
struct Rotary {
    cos: Tensor,
    sin: Tensor,
}

impl Rotary {
    fn new(seq: i64, head_dim: i64, theta: f64, device: tch::Device) -> Rotary {
        let exponents =
            Tensor::arange_start_step(0, head_dim, 2, (Kind::Float, device)) / head_dim as f64;
        let inv_freq = Tensor::from(theta)
            .to_kind(Kind::Float)
            .to_device(device)
            .pow(&exponents)
            .reciprocal();
        let pos = Tensor::arange(seq, (Kind::Float, device));
        let freqs = pos.unsqueeze(1) * inv_freq.unsqueeze(0);
        let emb = Tensor::cat(&[&freqs, &freqs], -1);
        Rotary {
            cos: emb.cos(),
            sin: emb.sin(),
        }
    }

    /// `x`: `[b, heads, s, hd]`.
    fn apply(&self, x: &Tensor) -> Tensor {
        let halves = x.chunk(2, -1);
        let rotated = Tensor::cat(&[&halves[1].neg(), &halves[0]], -1);
        x * &self.cos + rotated * &self.sin
    }
}

struct ForwardCtx {
    global_rope: Rotary,
    local_rope: Rotary,
    global_mask: Option<Tensor>,
    local_mask: Option<Tensor>,
}

/// The ModernBERT encoder: embeddings, layers and the final norm.
#[derive(Debug)]
pub struct ModernBertEncoder {
    tok: Embedding,
    emb_norm: LayerNorm,
    layers: Vec<MbLayer>,
    final_norm: LayerNorm,
    heads: i64,
    head_dim: i64,
    global_theta: f64,
    local_theta: f64,
    half_window: i64,
}

impl ModernBertEncoder {
    pub fn new(s: Stores, cfg: &ModernBertConfig, lora: Option<&LoraPlan>) -> ModernBertEncoder {
        let e = s.base / "embeddings";
        let kinds = cfg.attention_kinds();
        let (mut global_theta, mut local_theta, mut half_window) =
            (160_000.0, 10_000.0, cfg.local_attention / 2);
        for k in &kinds {
            match *k {
                AttentionKind::Global { theta } => global_theta = theta,
                AttentionKind::Local {
                    theta,
                    half_window: w,
                } => {
                    local_theta = theta;
                    half_window = w;
                }
            }
        }
        ModernBertEncoder {
            tok: Embedding::new(&(&e / "tok_embeddings"), cfg.vocab_size, cfg.hidden_size),
            emb_norm: LayerNorm::new(&(&e / "norm"), cfg.hidden_size, cfg.norm_eps, cfg.norm_bias),
            layers: kinds
                .iter()
                .enumerate()
                .map(|(i, k)| MbLayer::new(s, cfg, i as i64, *k, lora))
                .collect(),
            final_norm: LayerNorm::new(
                &(s.base / "final_norm"),
                cfg.hidden_size,
                cfg.norm_eps,
                cfg.norm_bias,
            ),
            heads: cfg.num_attention_heads,
            head_dim: cfg.hidden_size / cfg.num_attention_heads,
            global_theta,
            local_theta,
            half_window,
        }
    }

    /// `ids`, `mask`: `[batch, seq]` (int64; mask 1 = real token). Returns `[batch, seq, hidden]`.
    pub fn forward(&self, ids: &Tensor, mask: &Tensor) -> Tensor {
        let s = ids.size()[1];
        let dev = ids.device();
        let keys = mask.ne(0).unsqueeze(1).unsqueeze(1); // [b, 1, 1, s]
        let pos = Tensor::arange(s, (Kind::Int64, dev));
        let dist = (pos.unsqueeze(1) - pos.unsqueeze(0)).abs();
        let window = dist.le(self.half_window).unsqueeze(0).unsqueeze(0); // [1, 1, s, s]
                                                                          // Padding queries attend everywhere so no row is fully masked (a fully masked row gives
                                                                          // NaN, and NaN times a zero attention weight would leak into real rows).
        let pad_queries = mask.eq(0).unsqueeze(1).unsqueeze(-1); // [b, 1, s, 1]
        let padded = mask.eq(0).any().int64_value(&[]) != 0;
        let ctx = ForwardCtx {
            global_rope: Rotary::new(s, self.head_dim, self.global_theta, dev),
            local_rope: Rotary::new(s, self.head_dim, self.local_theta, dev),
            // when the window covers the whole sequence, local layers mask like global ones
            local_mask: if self.half_window < s - 1 {
                Some(keys.logical_and(&window).logical_or(&pad_queries))
            } else {
                padded.then(|| keys.shallow_clone())
            },
            global_mask: padded.then_some(keys),
        };
        let mut x = self.emb_norm.forward(&self.tok.forward(ids));
        for layer in &self.layers {
            x = layer.forward(&x, &ctx, self.heads);
        }
        self.final_norm.forward(&x)
    }
}
