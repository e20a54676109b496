//! kompress-model: the learned pruner on libtorch (`tch`).
//!
//! Two encoder families selected by `config.json`'s `model_type` (`bert`, `modernbert`), with
//! variables named by their Hugging Face state-dict paths so real checkpoints load unchanged,
//! the token and span heads of Headroom's Kompress, LoRA adapters, and [`TchPruner`], the
//! [`kompress_core::Pruner`] the pipeline's model actor drives.

pub mod bert;
pub mod config;
pub mod device;
pub mod error;
pub mod heads;
pub mod layers;
pub mod loader;
pub mod model;
pub mod modernbert;

pub use config::{BertConfig, ModelConfig, ModernBertConfig};
pub use device::{best_device, native_bf16};
pub use error::ModelError;
pub use heads::{HeadOutput, Heads};
pub use layers::LoraPlan;
pub use model::PrunerModel;
pub mod adapter;
pub mod chunk;
pub mod hf;
pub mod pruner;
pub mod speed;

pub use adapter::AdapterConfig;
pub use chunk::Chunk;
pub use hf::{HfTokenizer, Pieces};
pub use pruner::{PieceScores, TchPruner};
pub mod train;
pub use train::{relabel, train, RelabelConfig, RelabelReport, TrainConfig, TrainReport};
