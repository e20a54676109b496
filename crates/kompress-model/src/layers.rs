//! Building blocks shared by both encoder families: linear layers with an optional LoRA
//! adapter, layer norm and embeddings. Base weights are registered untrainable under their
//! Hugging Face state-dict names; adapter weights live in a second var store.

use tch::{nn, Tensor};

/// Where and how LoRA adapters are attached.
#[derive(Debug, Clone, PartialEq)]
pub struct LoraPlan {
    pub rank: i64,
    pub alpha: f64,
    /// Module-name suffixes (PEFT style): `query` matches `encoder.layer.5.attention.self.query`.
    pub targets: Vec<String>,
    /// Encoder layers that get adapters.
    pub layers: Vec<i64>,
}

impl LoraPlan {
    pub fn scale(&self) -> f64 {
        self.alpha / self.rank as f64
    }

    /// Whether the module at `module_path` in layer `layer` gets an adapter.
    pub fn applies(&self, layer: i64, module_path: &str) -> bool {
        self.layers.contains(&layer)
            && self.targets.iter().any(|t| {
                module_path == t
                    || (module_path.ends_with(t.as_str())
                        && module_path.as_bytes()[module_path.len() - t.len() - 1] == b'.')
            })
    }
}

/// Paths of the two var stores a module registers into.
#[derive(Clone, Copy)]
pub struct Stores<'a, 'b> {
    /// The frozen base encoder (HF state-dict names).
    pub base: &'a nn::Path<'b>,
    /// LoRA adapters (same names plus `.lora_A.weight` / `.lora_B.weight`).
    pub adapt: &'a nn::Path<'b>,
}

pub(crate) fn dotted(p: &nn::Path) -> String {
    p.components().collect::<Vec<_>>().join(".")
}

fn sub_path<'b>(root: &nn::Path<'b>, dotted: &str) -> nn::Path<'b> {
    let mut p = root.clone();
    for part in dotted.split('.') {
        p = p.sub(part);
    }
    p
}

#[derive(Debug)]
struct Lora {
    a: Tensor,
    b: Tensor,
    scale: f64,
}

/// `y = x W^T + b`, plus `scale * (x A^T) B^T` when an adapter is attached.
#[derive(Debug)]
pub struct Linear {
    pub weight: Tensor,
    pub bias: Option<Tensor>,
    lora: Option<Lora>,
}

impl Linear {
    /// A linear layer at `p` (e.g. `encoder.layer.0.attention.self.query`).
    pub fn new(p: &nn::Path, in_dim: i64, out_dim: i64, bias: bool) -> Linear {
        Linear {
            weight: p.zeros_no_train("weight", &[out_dim, in_dim]),
            bias: bias.then(|| p.zeros_no_train("bias", &[out_dim])),
            lora: None,
        }
    }

    /// Same as [`Linear::new`], with a LoRA adapter registered in `adapt` under the same
    /// module path when `plan` selects this module.
    pub fn with_lora(
        s: Stores,
        module: &str,
        layer: i64,
        in_dim: i64,
        out_dim: i64,
        bias: bool,
        plan: Option<&LoraPlan>,
    ) -> Linear {
        let p = sub_path(s.base, module);
        let mut lin = Linear::new(&p, in_dim, out_dim, bias);
        let full = dotted(&p);
        if let Some(plan) = plan.filter(|pl| pl.applies(layer, &full)) {
            let ap = sub_path(s.adapt, module);
            let bound = 1.0 / (in_dim as f64).sqrt();
            let a = (&ap / "lora_A").var(
                "weight",
                &[plan.rank, in_dim],
                nn::Init::Uniform {
                    lo: -bound,
                    up: bound,
                },
            );
            let b = (&ap / "lora_B").var("weight", &[out_dim, plan.rank], nn::Init::Const(0.0));
            lin.lora = Some(Lora {
                a,
                b,
                scale: plan.scale(),
            });
        }
        lin
    }

    pub fn forward(&self, x: &Tensor) -> Tensor {
        let y = x.linear(&self.weight, self.bias.as_ref());
        match &self.lora {
            Some(l) => {
                y + x
                    .linear::<&Tensor>(&l.a, None)
                    .linear::<&Tensor>(&l.b, None)
                    * l.scale
            }
            None => y,
        }
    }

    pub fn has_lora(&self) -> bool {
        self.lora.is_some()
    }
}

/// Layer norm over the last dimension, bias optional (ModernBERT has none).
#[derive(Debug)]
pub struct LayerNorm {
    weight: Tensor,
    bias: Option<Tensor>,
    eps: f64,
    dim: i64,
}

impl LayerNorm {
    pub fn new(p: &nn::Path, dim: i64, eps: f64, bias: bool) -> LayerNorm {
        LayerNorm {
            weight: p.zeros_no_train("weight", &[dim]),
            bias: bias.then(|| p.zeros_no_train("bias", &[dim])),
            eps,
            dim,
        }
    }

    pub fn forward(&self, x: &Tensor) -> Tensor {
        x.layer_norm(
            [self.dim],
            Some(&self.weight),
            self.bias.as_ref(),
            self.eps,
            false,
        )
    }
}

/// A lookup table `[rows, dim]` registered as `<p>.weight`.
#[derive(Debug)]
pub struct Embedding {
    weight: Tensor,
}

impl Embedding {
    pub fn new(p: &nn::Path, rows: i64, dim: i64) -> Embedding {
        Embedding {
            weight: p.zeros_no_train("weight", &[rows, dim]),
        }
    }

    pub fn forward(&self, ids: &Tensor) -> Tensor {
        Tensor::embedding(&self.weight, ids, -1, false, false)
    }
}

/// Exact (erf) GELU, as `transformers`' `"gelu"`.
pub fn gelu(x: &Tensor) -> Tensor {
    x.gelu("none")
}
