//! The kscore metrics (../shared/data/kscore.py), natively: count-aware span keep, ordered keep,
//! whole-line keep (raw and with ANSI colour codes stripped on both sides).

use std::collections::HashMap;

/// (kept, total): how many labels survived out of how many were scored.
pub type Kept = (usize, usize);

/// Lines split at `\r\n`, `\r` or `\n`; a trailing terminator opens no new line.
pub fn split_lines(s: &str) -> Vec<&str> {
    kompress_core::split_lines(s)
        .iter()
        .map(|l| l.content(s))
        .collect()
}

/// `s` without ANSI escape sequences (the tokenizer's ANSI tokens).
pub fn strip_ansi(s: &str) -> String {
    let doc = kompress_tokenize::tokenize(s);
    let mut out = String::with_capacity(s.len());
    let mut pos = 0;
    for t in &doc.tokens {
        if t.kind == kompress_core::TokenKind::Ansi {
            out.push_str(&s[pos..t.start as usize]);
            pos = t.end as usize;
        }
    }
    out.push_str(&s[pos..]);
    out
}

/// Non-overlapping occurrences of `needle` in `hay` (Python's `str.count`).
fn count_non_overlapping(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

/// Count-aware span recall: the k-th occurrence of a string needs k non-overlapping
/// occurrences in `out`. Empty spans are ignored.
pub fn crit_keep(spans: &[String], out: &str) -> Kept {
    let mut need: HashMap<&str, usize> = HashMap::new();
    for s in spans.iter().filter(|s| !s.is_empty()) {
        *need.entry(s).or_default() += 1;
    }
    let kept = need
        .iter()
        .map(|(s, k)| (*k).min(count_non_overlapping(out, s)))
        .sum();
    (kept, need.values().sum())
}

/// Spans in order, matched greedily left to right as a subsequence of non-overlapping
/// occurrences; a miss leaves the cursor where it was.
pub fn ordered_keep(spans: &[String], out: &str) -> Kept {
    let mut cursor = 0;
    let mut kept = 0;
    let mut total = 0;
    for s in spans.iter().filter(|s| !s.is_empty()) {
        total += 1;
        if let Some(j) = out[cursor..].find(s.as_str()) {
            kept += 1;
            cursor += j + s.len();
        }
    }
    (kept, total)
}

/// Whole-line, byte-exact, count-aware line recall. Blank label lines are ignored.
pub fn line_keep(labels: &[String], out: &str) -> Kept {
    let mut have: HashMap<&str, usize> = HashMap::new();
    for l in split_lines(out) {
        *have.entry(l).or_default() += 1;
    }
    let mut need: HashMap<&str, usize> = HashMap::new();
    for l in labels.iter().filter(|l| !l.trim().is_empty()) {
        *need.entry(l).or_default() += 1;
    }
    let kept = need
        .iter()
        .map(|(l, k)| (*k).min(have.get(l).copied().unwrap_or(0)))
        .sum();
    (kept, need.values().sum())
}

/// [`line_keep`] with ANSI escapes removed from the labels and the output.
pub fn line_keep_noansi(labels: &[String], out: &str) -> Kept {
    let stripped: Vec<String> = labels.iter().map(|l| strip_ansi(l)).collect();
    line_keep(&stripped, &strip_ansi(out))
}

/// Nearest-rank percentile (p in 0..=1) of `xs`; `None` when empty.
pub fn percentile(xs: &[f64], p: f64) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let k = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len());
    Some(v[k - 1])
}

/// `a / b`, or `None` when nothing was scored.
pub fn ratio(k: Kept) -> Option<f64> {
    (k.1 > 0).then(|| k.0 as f64 / k.1 as f64)
}

/// o200k_base token counter (offline: tiktoken-rs ships the ranks).
pub struct TokenCounter {
    bpe: tiktoken_rs::CoreBPE,
}

impl TokenCounter {
    pub fn o200k() -> Result<TokenCounter, crate::EvalError> {
        let bpe = tiktoken_rs::o200k_base().map_err(|e| crate::EvalError::Bpe(e.to_string()))?;
        Ok(TokenCounter { bpe })
    }

    pub fn count(&self, text: &str) -> usize {
        self.bpe.encode_ordinary(text).len()
    }
}
