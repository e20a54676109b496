//! BERT encoder (`model_type: "bert"`), post-norm, absolute positions, as `transformers`'
//! `BertModel` without the pooler. Variable names follow its state dict: `embeddings.*`,
//! `encoder.layer.N.*`.

use tch::{Kind, Tensor};

use crate::config::BertConfig;
use crate::layers::{gelu, Embedding, LayerNorm, Linear, LoraPlan, Stores};

#[derive(Debug)]
struct BertLayer {
    query: Linear,
    key: Linear,
    value: Linear,
    attn_out: Linear,
    attn_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    out_norm: LayerNorm,
}

impl BertLayer {
    fn new(s: Stores, cfg: &BertConfig, i: i64, lora: Option<&LoraPlan>) -> BertLayer {
        let h = cfg.hidden_size;
        let pre = format!("encoder.layer.{i}");
        let lin = |name: &str, din, dout| {
            Linear::with_lora(s, &format!("{pre}.{name}"), i, din, dout, true, lora)
        };
        let lp = s.base / "encoder" / "layer" / i;
        BertLayer {
            query: lin("attention.self.query", h, h),
            key: lin("attention.self.key", h, h),
            value: lin("attention.self.value", h, h),
            attn_out: lin("attention.output.dense", h, h),
            attn_norm: LayerNorm::new(
                &(&lp / "attention" / "output" / "LayerNorm"),
                h,
                cfg.layer_norm_eps,
                true,
            ),
            intermediate: lin("intermediate.dense", h, cfg.intermediate_size),
            output: lin("output.dense", cfg.intermediate_size, h),
            out_norm: LayerNorm::new(&(&lp / "output" / "LayerNorm"), h, cfg.layer_norm_eps, true),
        }
    }

    fn forward(&self, x: &Tensor, mask: Option<&Tensor>, heads: i64) -> Tensor {
        let (b, s, h) = x.size3().expect("hidden states are [batch, seq, hidden]");
        let split = |t: Tensor| t.view([b, s, heads, h / heads]).transpose(1, 2);
        let q = split(self.query.forward(x));
        let k = split(self.key.forward(x));
        let v = split(self.value.forward(x));
        let ctx = Tensor::scaled_dot_product_attention(&q, &k, &v, mask, 0.0, false, None, false);
        let ctx = ctx.transpose(1, 2).contiguous().view([b, s, h]);
        let x = self.attn_norm.forward(&(self.attn_out.forward(&ctx) + x));
        let ff = self.output.forward(&gelu(&self.intermediate.forward(&x)));
        self.out_norm.forward(&(ff + x))
    }
}

/// The BERT encoder: embeddings and layers, no pooler.
#[derive(Debug)]
pub struct BertEncoder {
    word: Embedding,
    position: Embedding,
    token_type: Embedding,
    emb_norm: LayerNorm,
    layers: Vec<BertLayer>,
    heads: i64,
}

impl BertEncoder {
    pub fn new(s: Stores, cfg: &BertConfig, lora: Option<&LoraPlan>) -> BertEncoder {
        let e = s.base / "embeddings";
        BertEncoder {
            word: Embedding::new(&(&e / "word_embeddings"), cfg.vocab_size, cfg.hidden_size),
            position: Embedding::new(
                &(&e / "position_embeddings"),
                cfg.max_position_embeddings,
                cfg.hidden_size,
            ),
            token_type: Embedding::new(
                &(&e / "token_type_embeddings"),
                cfg.type_vocab_size,
                cfg.hidden_size,
            ),
            emb_norm: LayerNorm::new(
                &(&e / "LayerNorm"),
                cfg.hidden_size,
                cfg.layer_norm_eps,
                true,
            ),
            layers: (0..cfg.num_hidden_layers)
                .map(|i| BertLayer::new(s, cfg, i, lora))
                .collect(),
            heads: cfg.num_attention_heads,
        }
    }

    /// `ids`, `mask`: `[batch, seq]` (int64; mask 1 = real token). Returns `[batch, seq, hidden]`.
    pub fn forward(&self, ids: &Tensor, mask: &Tensor) -> Tensor {
        let s = ids.size()[1];
        let positions = Tensor::arange(s, (Kind::Int64, ids.device())).unsqueeze(0);
        let types = Tensor::zeros_like(ids);
        let x = self.word.forward(ids)
            + self.position.forward(&positions)
            + self.token_type.forward(&types);
        let mut x = self.emb_norm.forward(&x);
        // [batch, 1, 1, seq]: a query attends to every real key. Without padding no mask is
        // passed, which lets libtorch pick its fastest attention kernel.
        let padded = mask.eq(0).any().int64_value(&[]) != 0;
        let attend = padded.then(|| mask.ne(0).unsqueeze(1).unsqueeze(1));
        for layer in &self.layers {
            x = layer.forward(&x, attend.as_ref(), self.heads);
        }
        x
    }
}
