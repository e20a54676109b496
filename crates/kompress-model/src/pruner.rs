//! [`TchPruner`]: the learned model behind [`kompress_core::Pruner`]. Texts are sub-word
//! tokenised, chunked to the model window with no text dropped, chunks of the whole batch are
//! sorted by length and run in padded batches under a token budget, and piece scores are mapped
//! back onto the pipeline's tokens by byte offsets.

use std::path::Path;

use kompress_core::{CoreError, Pruner, PrunerScores, TokenizedText};
use tch::{Device, Kind, Tensor};

use crate::adapter::AdapterConfig;
use crate::chunk::{chunk_pieces, Chunk, ScoreMapper};
use crate::config::ModelConfig;
use crate::error::ModelError;
use crate::hf::HfTokenizer;
use crate::model::PrunerModel;

/// Default window (special tokens included), capped by the model's positions.
pub const DEFAULT_WINDOW: usize = 512;
/// Default padded-token budget of one forward pass (8 windows of 512).
pub const DEFAULT_BATCH_TOKENS: usize = 4096;

/// Per-piece logits of one chunk (the pieces between `[CLS]` and `[SEP]`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PieceScores {
    pub evict: Vec<f32>,
    pub span: Vec<f32>,
}

pub struct TchPruner {
    model: PrunerModel,
    tokenizer: HfTokenizer,
    window: usize,
    batch_tokens: usize,
}

// The pipeline moves the pruner onto its actor thread.
const _: fn() = || {
    fn assert_send<T: Send + 'static>() {}
    assert_send::<TchPruner>();
};

impl std::fmt::Debug for TchPruner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TchPruner")
            .field("model", &self.model)
            .field("window", &self.window)
            .field("batch_tokens", &self.batch_tokens)
            .finish()
    }
}

impl TchPruner {
    /// Loads a model directory: `config.json`, `model.safetensors`, `tokenizer.json` (of the
    /// base encoder), `heads.safetensors` unless the encoder file carries the heads, and
    /// optionally `adapter_config.json` + `lora.safetensors`. When `adapter_config.json` names a
    /// `base_model_name_or_path`, the three base files are read from there.
    pub fn load(model_dir: &Path, device: Device) -> Result<TchPruner, ModelError> {
        let adapter_path = model_dir.join("adapter_config.json");
        let adapter = adapter_path
            .is_file()
            .then(|| AdapterConfig::from_file(&adapter_path))
            .transpose()?;
        let base_dir = adapter
            .as_ref()
            .map_or_else(|| model_dir.to_path_buf(), |a| a.base_dir(model_dir));
        let config = ModelConfig::from_file(&base_dir.join("config.json"))?;
        if let Some(a) = &adapter {
            a.validate(Some(config.num_hidden_layers()))?;
        }
        let (cls, sep) = match &config {
            ModelConfig::ModernBert(c) => (
                c.cls_token_id.map(|v| v as u32),
                c.sep_token_id.map(|v| v as u32),
            ),
            ModelConfig::Bert(_) => (None, None),
        };
        let tokenizer = HfTokenizer::from_file(&base_dir.join("tokenizer.json"), cls, sep)?;
        let mut model = PrunerModel::new(config, device, adapter.as_ref().map(AdapterConfig::plan));
        let heads_inside = model.load_encoder(&base_dir.join("model.safetensors"))?;
        let heads_file = model_dir.join("heads.safetensors");
        if heads_file.is_file() || !heads_inside {
            model.load_heads(&heads_file)?;
        }
        if adapter.is_some() {
            model.load_lora(&model_dir.join("lora.safetensors"))?;
        }
        Ok(TchPruner::new(model, tokenizer))
    }

    /// Wraps an already built model (e.g. one being trained).
    pub fn new(model: PrunerModel, tokenizer: HfTokenizer) -> TchPruner {
        let window = DEFAULT_WINDOW.min(model.config.max_positions() as usize);
        TchPruner {
            model,
            tokenizer,
            window,
            batch_tokens: DEFAULT_BATCH_TOKENS,
        }
    }

    /// Sets the window length (special tokens included; at least 3, at most the model's
    /// positions) and the padded-token budget of one forward pass (at least one window).
    pub fn with_limits(
        mut self,
        window: usize,
        batch_tokens: usize,
    ) -> Result<TchPruner, ModelError> {
        let max = self.model.config.max_positions() as usize;
        if !(3..=max).contains(&window) {
            return Err(ModelError::config(
                "window",
                format!("must lie in 3..={max}, got {window}"),
            ));
        }
        if batch_tokens < window {
            return Err(ModelError::config(
                "batch_tokens",
                format!("must be at least the window ({window}), got {batch_tokens}"),
            ));
        }
        self.window = window;
        self.batch_tokens = batch_tokens;
        Ok(self)
    }

    /// Runs the model with its weights cast to `kind` (bf16: about twice the fp32 throughput
    /// on CPUs with AVX512-BF16/AMX and on GPUs; the scores are read back as fp32).
    pub fn with_kind(mut self, kind: Kind) -> TchPruner {
        self.model.set_kind(kind);
        self
    }

    pub fn model(&self) -> &PrunerModel {
        &self.model
    }

    pub fn model_mut(&mut self) -> &mut PrunerModel {
        &mut self.model
    }

    pub fn tokenizer(&self) -> &HfTokenizer {
        &self.tokenizer
    }

    pub fn device(&self) -> Device {
        self.model.device()
    }

    /// The model windows of one text.
    pub fn chunks(&self, text: &TokenizedText) -> Result<Vec<Chunk>, ModelError> {
        let pieces = self.tokenizer.pieces(&text.text)?;
        Ok(chunk_pieces(
            &text.text,
            &text.lines,
            &pieces,
            self.window - 2,
            self.tokenizer.cls_id(),
            self.tokenizer.sep_id(),
        ))
    }

    /// Runs the chunks in length-sorted padded batches; returns the per-piece logits
    /// for every chunk, in the given order.
    pub fn run_chunks(&self, chunks: &[&Chunk]) -> Result<Vec<PieceScores>, ModelError> {
        let mut order: Vec<usize> = (0..chunks.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(chunks[i].seq_len()));
        let mut out = vec![PieceScores::default(); chunks.len()];
        let mut start = 0;
        while start < order.len() {
            // sorted longest first, so the first chunk of a batch sets its padded length
            let len = chunks[order[start]].seq_len();
            let fit = (self.batch_tokens / len).max(1);
            let end = (start + fit).min(order.len());
            let batch: Vec<&Chunk> = order[start..end].iter().map(|&i| chunks[i]).collect();
            let results = self.run_batch(&batch, len)?;
            for (k, r) in order[start..end].iter().zip(results) {
                out[*k] = r;
            }
            start = end;
        }
        Ok(out)
    }

    fn run_batch(&self, batch: &[&Chunk], len: usize) -> Result<Vec<PieceScores>, ModelError> {
        let pad = self.model.config.pad_token_id();
        let mut ids = vec![pad; batch.len() * len];
        let mut mask = vec![0i64; batch.len() * len];
        for (r, c) in batch.iter().enumerate() {
            ids[r * len..r * len + c.ids.len()].copy_from_slice(&c.ids);
            mask[r * len..r * len + c.ids.len()].fill(1);
        }
        let dev = self.device();
        let shape = [batch.len() as i64, len as i64];
        let ids = Tensor::from_slice(&ids).view(shape).to_device(dev);
        let mask = Tensor::from_slice(&mask).view(shape).to_device(dev);
        let (evict, span) = tch::no_grad(|| {
            let (_, h) = self.model.forward(&ids, &mask);
            (h.evict_logit, h.span_logit)
        });
        let to_vec = |t: Tensor| -> Result<Vec<f32>, ModelError> {
            let t = t
                .to_device(Device::Cpu)
                .to_kind(Kind::Float)
                .contiguous()
                .view([-1]);
            Vec::<f32>::try_from(&t).map_err(ModelError::torch("reading scores back"))
        };
        let (evict, span) = (to_vec(evict)?, to_vec(span)?);
        Ok(batch
            .iter()
            .enumerate()
            .map(|(r, c)| {
                // skip [CLS]; the pieces sit at positions 1..=n
                let a = r * len + 1;
                let n = c.offsets.len();
                PieceScores {
                    evict: evict[a..a + n].to_vec(),
                    span: span[a..a + n].to_vec(),
                }
            })
            .collect())
    }

    /// Scores every token of every text (see [`Pruner::score_batch`]).
    pub fn score_texts(&self, texts: &[&TokenizedText]) -> Result<Vec<PrunerScores>, ModelError> {
        let mut all: Vec<Chunk> = Vec::new();
        let mut owner: Vec<usize> = Vec::new();
        for (t, text) in texts.iter().enumerate() {
            for c in self.chunks(text)? {
                all.push(c);
                owner.push(t);
            }
        }
        let refs: Vec<&Chunk> = all.iter().collect();
        let results = self.run_chunks(&refs)?;
        let mut mappers: Vec<ScoreMapper> =
            texts.iter().map(|t| ScoreMapper::new(&t.tokens)).collect();
        for ((c, t), r) in all.iter().zip(&owner).zip(&results) {
            mappers[*t].add(&c.offsets, &r.evict, &r.span);
        }
        Ok(mappers.into_iter().map(ScoreMapper::finish).collect())
    }
}

impl Pruner for TchPruner {
    fn name(&self) -> &str {
        "tch"
    }

    fn score_batch(&mut self, texts: &[&TokenizedText]) -> Result<Vec<PrunerScores>, CoreError> {
        Ok(self.score_texts(texts)?)
    }
}
