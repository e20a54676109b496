//! Cases in the ../shared/data JSONL format and the train/evaluation split.

use std::io::BufRead;
use std::path::Path;

use serde::Deserialize;

use crate::EvalError;

/// One case. Unknown fields (`meta`, ...) are ignored: the set's format belongs to its authors.
#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    pub id: String,
    #[serde(default)]
    pub source: String,
    pub text: String,
    #[serde(default)]
    pub critical_spans: Vec<String>,
    #[serde(default)]
    pub critical_lines: Vec<String>,
}

/// Which cases to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    Eval,
    Train,
    All,
}

impl Split {
    pub fn parse(s: &str) -> Result<Split, EvalError> {
        match s {
            "eval" => Ok(Split::Eval),
            "train" => Ok(Split::Train),
            "all" => Ok(Split::All),
            other => Err(EvalError::config(
                "split",
                format!("{other:?} is not one of: eval, train, all"),
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Split::Eval => "eval",
            Split::Train => "train",
            Split::All => "all",
        }
    }

    pub fn contains(self, id: &str) -> bool {
        match self {
            Split::All => true,
            Split::Eval => in_eval_split(id),
            Split::Train => !in_eval_split(id),
        }
    }
}

/// A case is in the evaluation split when `int(sha256(id), 16) % 3 == 0`.
pub fn in_eval_split(id: &str) -> bool {
    use sha2::Digest;
    sha2::Sha256::digest(id.as_bytes())
        .iter()
        .fold(0u32, |r, b| (r * 256 + u32::from(*b)) % 3)
        == 0
}

/// Reads every case of `path` that belongs to `split`, in file order.
pub fn load_cases(path: &Path, split: Split) -> Result<Vec<Case>, EvalError> {
    let f = std::fs::File::open(path).map_err(|e| EvalError::io(path, e))?;
    let mut cases = Vec::new();
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| EvalError::io(path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let c: Case = serde_json::from_str(&line).map_err(|source| EvalError::BadCase {
            path: path.to_path_buf(),
            line: i + 1,
            source,
        })?;
        if split.contains(&c.id) {
            cases.push(c);
        }
    }
    Ok(cases)
}
