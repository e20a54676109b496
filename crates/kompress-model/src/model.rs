//! The pruning model: an encoder of either family, optional LoRA adapters and the two heads.
//! Base weights live in one var store (frozen, HF names); heads and adapters in another (the
//! only trainable variables).

use std::path::Path;

use tch::{nn, Device, Tensor};

use crate::bert::BertEncoder;
use crate::config::ModelConfig;
use crate::error::ModelError;
use crate::heads::{HeadOutput, Heads};
use crate::layers::{LoraPlan, Stores};
use crate::loader::{fill, is_head_name, select, split_encoder_file, TensorFile};
use crate::modernbert::ModernBertEncoder;

#[derive(Debug)]
enum Encoder {
    Bert(BertEncoder),
    ModernBert(ModernBertEncoder),
}

/// Encoder + heads (+ LoRA). Not `Sync`: one thread owns it (the pruner actor).
pub struct PrunerModel {
    pub config: ModelConfig,
    pub lora: Option<LoraPlan>,
    base: nn::VarStore,
    adapt: nn::VarStore,
    encoder: Encoder,
    heads: Heads,
}

impl std::fmt::Debug for PrunerModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrunerModel")
            .field("config", &self.config)
            .field("lora", &self.lora)
            .field("device", &self.base.device())
            .finish()
    }
}

impl PrunerModel {
    /// Builds the graph with zero base weights and freshly initialised heads / adapters.
    pub fn new(config: ModelConfig, device: Device, lora: Option<LoraPlan>) -> PrunerModel {
        let base = nn::VarStore::new(device);
        let adapt = nn::VarStore::new(device);
        let (broot, aroot) = (base.root(), adapt.root());
        let stores = Stores {
            base: &broot,
            adapt: &aroot,
        };
        let encoder = match &config {
            ModelConfig::Bert(c) => Encoder::Bert(BertEncoder::new(stores, c, lora.as_ref())),
            ModelConfig::ModernBert(c) => {
                Encoder::ModernBert(ModernBertEncoder::new(stores, c, lora.as_ref()))
            }
        };
        let heads = Heads::new(&aroot, config.hidden_size());
        PrunerModel {
            config,
            lora,
            base,
            adapt,
            encoder,
            heads,
        }
    }

    pub fn device(&self) -> Device {
        self.base.device()
    }

    /// Casts every weight (base, adapters, heads) to `kind` (e.g. bf16 inference).
    pub fn set_kind(&mut self, kind: tch::Kind) {
        self.base.set_kind(kind);
        self.adapt.set_kind(kind);
    }

    /// The type the weights are in (fp32 unless [`PrunerModel::set_kind`] changed it).
    pub fn kind(&self) -> tch::Kind {
        self.base.kind()
    }

    fn anchor(&self) -> &'static str {
        match self.encoder {
            Encoder::Bert(_) => "embeddings.word_embeddings.weight",
            Encoder::ModernBert(_) => "embeddings.tok_embeddings.weight",
        }
    }

    /// Loads the encoder weights from `path`. When the file also holds heads (a Kompress
    /// checkpoint), they are loaded too and `true` is returned.
    pub fn load_encoder(&mut self, path: &Path) -> Result<bool, ModelError> {
        let file = TensorFile::read(path)?;
        let (encoder, heads) = split_encoder_file(file, self.anchor())?;
        fill(&self.base.variables(), &encoder)?;
        if heads.is_empty() {
            return Ok(false);
        }
        self.load_heads_from(TensorFile {
            path: path.to_path_buf(),
            tensors: heads,
        })?;
        Ok(true)
    }

    /// Loads `token_head.*` and `span_conv.*` from a heads file.
    pub fn load_heads(&mut self, path: &Path) -> Result<(), ModelError> {
        self.load_heads_from(TensorFile::read(path)?)
    }

    fn load_heads_from(&mut self, file: TensorFile) -> Result<(), ModelError> {
        fill(&select(self.adapt.variables(), is_head_name), &file)
    }

    /// Loads LoRA adapters (`<module>.lora_A.weight`, `<module>.lora_B.weight`).
    pub fn load_lora(&mut self, path: &Path) -> Result<(), ModelError> {
        let file = TensorFile::read(path)?;
        fill(&select(self.adapt.variables(), |n| !is_head_name(n)), &file)
    }

    /// Writes heads and (if any) LoRA adapters as two safetensors files.
    pub fn save_adapters(
        &self,
        heads_path: &Path,
        lora_path: Option<&Path>,
    ) -> Result<(), ModelError> {
        let write = |path: &Path, keep: &dyn Fn(&str) -> bool| -> Result<(), ModelError> {
            let mut named: Vec<(String, Tensor)> = select(self.adapt.variables(), keep)
                .into_iter()
                .map(|(k, v)| (k, v.detach().to_device(Device::Cpu).contiguous()))
                .collect();
            named.sort_by(|a, b| a.0.cmp(&b.0));
            Tensor::write_safetensors(&named, path)
                .map_err(ModelError::torch(format!("writing {}", path.display())))
        };
        write(heads_path, &is_head_name)?;
        if let Some(lp) = lora_path {
            if self.lora.is_some() {
                write(lp, &|n| !is_head_name(n))?;
            }
        }
        Ok(())
    }

    /// The trainable variables (heads and adapters).
    pub fn adapter_store(&self) -> &nn::VarStore {
        &self.adapt
    }

    /// Names of every base (encoder) variable, sorted.
    pub fn encoder_variable_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.base.variables().into_keys().collect();
        v.sort();
        v
    }

    /// Parameters of the encoder's matrix multiplications (embedding tables excluded) plus the
    /// heads: about half the forward FLOPs per token, before attention.
    pub fn matmul_parameter_count(&self) -> i64 {
        let count = |vs: &nn::VarStore| -> i64 {
            vs.variables()
                .iter()
                .filter(|(name, _)| !name.contains("embeddings"))
                .map(|(_, t)| t.numel() as i64)
                .sum()
        };
        count(&self.base) + count(&self.adapt)
    }

    /// Last hidden states `[batch, seq, hidden]`.
    pub fn encode(&self, ids: &Tensor, mask: &Tensor) -> Tensor {
        match &self.encoder {
            Encoder::Bert(e) => e.forward(ids, mask),
            Encoder::ModernBert(e) => e.forward(ids, mask),
        }
    }

    /// Encoder then heads.
    pub fn forward(&self, ids: &Tensor, mask: &Tensor) -> (Tensor, HeadOutput) {
        let hidden = self.encode(ids, mask);
        let out = self.heads.forward(&hidden, mask);
        (hidden, out)
    }

    pub fn heads(&self) -> &Heads {
        &self.heads
    }
}
