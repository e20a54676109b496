//! A Hugging Face `tokenizer.json` as the model's sub-word tokenizer: no truncation, no padding
//! (some shipped files, e.g. all-MiniLM-L6-v2's, have both built in), special tokens added by
//! the chunker rather than the post-processor, byte offsets into the original text.

use std::path::{Path, PathBuf};

use tokenizers::Tokenizer;

use crate::error::ModelError;

/// Sub-word pieces of one text: ids and `[start, end)` byte ranges into that text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pieces {
    pub ids: Vec<u32>,
    pub offsets: Vec<(u32, u32)>,
}

impl Pieces {
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

pub struct HfTokenizer {
    inner: Tokenizer,
    path: PathBuf,
    cls: u32,
    sep: u32,
}

impl std::fmt::Debug for HfTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HfTokenizer")
            .field("path", &self.path)
            .field("cls", &self.cls)
            .field("sep", &self.sep)
            .finish()
    }
}

const CLS_NAMES: &[&str] = &["[CLS]", "<s>", "<|endoftext|>"];
const SEP_NAMES: &[&str] = &["[SEP]", "</s>", "<|endoftext|>"];

impl HfTokenizer {
    /// Loads `tokenizer.json`. `cls` / `sep` override the ids looked up by name
    /// (`[CLS]`/`<s>`, `[SEP]`/`</s>`), e.g. from the model config's `cls_token_id`.
    pub fn from_file(
        path: &Path,
        cls: Option<u32>,
        sep: Option<u32>,
    ) -> Result<HfTokenizer, ModelError> {
        let err = |reason: String| ModelError::Tokenizer {
            path: path.to_path_buf(),
            reason,
        };
        let mut inner = Tokenizer::from_file(path).map_err(|e| err(e.to_string()))?;
        inner
            .with_truncation(None)
            .map_err(|e| err(e.to_string()))?;
        inner.with_padding(None);
        let find = |names: &[&str]| names.iter().find_map(|n| inner.token_to_id(n));
        let cls = cls
            .or_else(|| find(CLS_NAMES))
            .ok_or_else(|| err("no [CLS] / <s> token and no cls_token_id in the config".into()))?;
        let sep = sep
            .or_else(|| find(SEP_NAMES))
            .ok_or_else(|| err("no [SEP] / </s> token and no sep_token_id in the config".into()))?;
        Ok(HfTokenizer {
            inner,
            path: path.to_path_buf(),
            cls,
            sep,
        })
    }

    pub fn cls_id(&self) -> u32 {
        self.cls
    }

    pub fn sep_id(&self) -> u32 {
        self.sep
    }

    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// Sub-word pieces of `text`, without special tokens.
    pub fn pieces(&self, text: &str) -> Result<Pieces, ModelError> {
        let enc = self
            .inner
            .encode(text, false)
            .map_err(|e| ModelError::Tokenize {
                reason: e.to_string(),
            })?;
        Ok(Pieces {
            ids: enc.get_ids().to_vec(),
            offsets: enc
                .get_offsets()
                .iter()
                .map(|&(a, b)| (a as u32, b as u32))
                .collect(),
        })
    }
}
