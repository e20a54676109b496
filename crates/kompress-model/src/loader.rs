//! Strict checkpoint loading: every variable of the model must come from the file with the same
//! shape, and every tensor of the file must belong to the model. Errors name the tensor.
//!
//! Encoder checkpoints may carry a prefix (`bert.` in `BertFor*` exports, `model.` in
//! `ModernBertFor*` exports, `encoder.` in Headroom's Kompress checkpoints); it is detected from
//! the embedding table's name. Pretraining leftovers that the encoder never reads are skipped:
//! the `position_ids` buffer, the pooler and masked-LM heads (`cls.*`, `head.*`, `decoder.*`).
//! Head tensors (`token_head.*`, `span_conv.*`) found in an encoder file are handed back so a
//! single-file Kompress checkpoint loads its heads too.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use tch::Tensor;

use crate::error::ModelError;

const PREFIXES: &[&str] = &["", "bert.", "model.", "encoder.", "roberta."];
const HEAD_PREFIXES: &[&str] = &["token_head.", "span_conv."];
const SKIPPED_IN_ENCODER: &[&str] = &["embeddings.position_ids", "pooler."];
const SKIPPED_TOP_LEVEL: &[&str] = &["cls.", "head.", "decoder."];

/// The tensors of one `.safetensors` file, by name.
pub struct TensorFile {
    pub path: PathBuf,
    pub tensors: BTreeMap<String, Tensor>,
}

impl TensorFile {
    pub fn read(path: &Path) -> Result<TensorFile, ModelError> {
        if !path.is_file() {
            return Err(ModelError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            });
        }
        let list = Tensor::read_safetensors(path)
            .map_err(ModelError::torch(format!("reading {}", path.display())))?;
        Ok(TensorFile {
            path: path.to_path_buf(),
            tensors: list.into_iter().collect(),
        })
    }
}

fn starts_with_any(name: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|p| name.starts_with(p))
}

/// Splits an encoder checkpoint into (encoder tensors with the prefix removed, head tensors).
/// `anchor` is a name the encoder surely has (its token embedding table).
pub fn split_encoder_file(
    file: TensorFile,
    anchor: &str,
) -> Result<(TensorFile, BTreeMap<String, Tensor>), ModelError> {
    let prefix = PREFIXES
        .iter()
        .find(|p| file.tensors.contains_key(&format!("{p}{anchor}")))
        .ok_or_else(|| ModelError::MissingTensor {
            file: file.path.clone(),
            name: anchor.to_string(),
        })?;
    let mut encoder = BTreeMap::new();
    let mut heads = BTreeMap::new();
    for (name, t) in file.tensors {
        if starts_with_any(&name, HEAD_PREFIXES) {
            heads.insert(name, t);
        } else if let Some(rest) = name.strip_prefix(prefix) {
            if !starts_with_any(rest, SKIPPED_IN_ENCODER) {
                encoder.insert(rest.to_string(), t);
            }
        } else if !starts_with_any(&name, SKIPPED_TOP_LEVEL) {
            return Err(ModelError::UnexpectedTensor {
                file: file.path,
                name,
            });
        }
    }
    Ok((
        TensorFile {
            path: file.path,
            tensors: encoder,
        },
        heads,
    ))
}

/// Copies `src` into the model variables `vars` (name → tensor), strictly.
pub fn fill(vars: &HashMap<String, Tensor>, src: &TensorFile) -> Result<(), ModelError> {
    let mut names: Vec<&String> = vars.keys().collect();
    names.sort();
    for name in names {
        let var = &vars[name];
        let t = src
            .tensors
            .get(name)
            .ok_or_else(|| ModelError::MissingTensor {
                file: src.path.clone(),
                name: name.clone(),
            })?;
        if t.size() != var.size() {
            return Err(ModelError::ShapeMismatch {
                file: src.path.clone(),
                name: name.clone(),
                expected: var.size(),
                found: t.size(),
            });
        }
        let mut var = var.shallow_clone();
        tch::no_grad(|| var.f_copy_(t))
            .map_err(ModelError::torch(format!("copying tensor `{name}`")))?;
    }
    if let Some(extra) = src.tensors.keys().find(|k| !vars.contains_key(*k)) {
        return Err(ModelError::UnexpectedTensor {
            file: src.path.clone(),
            name: extra.clone(),
        });
    }
    Ok(())
}

/// Keeps the variables whose name satisfies `keep`.
pub fn select(
    vars: HashMap<String, Tensor>,
    keep: impl Fn(&str) -> bool,
) -> HashMap<String, Tensor> {
    vars.into_iter().filter(|(k, _)| keep(k)).collect()
}

pub fn is_head_name(name: &str) -> bool {
    starts_with_any(name, HEAD_PREFIXES)
}
