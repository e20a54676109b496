//! Long texts into model-sized windows, and piece scores back onto the pipeline's tokens.
//!
//! The whole text is sub-word tokenised once; pieces are packed into chunks of whole lines up
//! to the window (a line longer than the window is split, preferably where a piece follows
//! whitespace). Every piece lands in exactly one chunk: no text is dropped, however long.

use kompress_core::{Line, PrunerScores, Token};

use crate::hf::Pieces;

/// One model window: `[CLS] pieces… [SEP]` and the byte range of each piece.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    pub ids: Vec<i64>,
    pub offsets: Vec<(u32, u32)>,
}

impl Chunk {
    /// Sequence length fed to the model (special tokens included).
    pub fn seq_len(&self) -> usize {
        self.ids.len()
    }
}

fn line_of(lines: &[Line], byte: u32) -> usize {
    lines
        .partition_point(|l| l.next <= byte)
        .min(lines.len().saturating_sub(1))
}

/// Packs `pieces` of `text` into chunks of at most `budget` pieces (window minus 2).
pub fn chunk_pieces(
    text: &str,
    lines: &[Line],
    pieces: &Pieces,
    budget: usize,
    cls: u32,
    sep: u32,
) -> Vec<Chunk> {
    assert!(budget > 0, "chunk budget must be positive");
    let mut chunks = Vec::new();
    let mut cur: Vec<usize> = Vec::new();
    let flush = |cur: &mut Vec<usize>, chunks: &mut Vec<Chunk>| {
        if cur.is_empty() {
            return;
        }
        let mut ids = Vec::with_capacity(cur.len() + 2);
        ids.push(cls as i64);
        ids.extend(cur.iter().map(|&i| pieces.ids[i] as i64));
        ids.push(sep as i64);
        let offsets = cur.iter().map(|&i| pieces.offsets[i]).collect();
        chunks.push(Chunk { ids, offsets });
        cur.clear();
    };
    let n = pieces.len();
    let mut i = 0;
    while i < n {
        // the run of pieces starting on the same line
        let line = line_of(lines, pieces.offsets[i].0);
        let mut j = i + 1;
        while j < n && line_of(lines, pieces.offsets[j].0) == line {
            j += 1;
        }
        let run = j - i;
        if cur.len() + run <= budget {
            cur.extend(i..j);
        } else if run <= budget {
            flush(&mut cur, &mut chunks);
            cur.extend(i..j);
        } else {
            flush(&mut cur, &mut chunks);
            let mut k = i;
            while j - k > budget {
                let cut = split_point(text, pieces, k, k + budget);
                cur.extend(k..cut);
                flush(&mut cur, &mut chunks);
                k = cut;
            }
            cur.extend(k..j);
        }
        i = j;
    }
    flush(&mut cur, &mut chunks);
    chunks
}

/// A cut in `(lo, hi]` for pieces `lo..hi`: the last piece start that follows whitespace within
/// the last quarter of the window, else `hi`.
fn split_point(text: &str, pieces: &Pieces, lo: usize, hi: usize) -> usize {
    let bytes = text.as_bytes();
    let floor = hi - (hi - lo) / 4;
    (floor.max(lo + 1)..=hi.min(pieces.len() - 1))
        .rev()
        .find(|&c| {
            let s = pieces.offsets[c].0 as usize;
            s > 0 && s <= bytes.len() && bytes[s - 1].is_ascii_whitespace()
        })
        .unwrap_or(hi)
}

/// Accumulates piece scores onto tokens: a token's eviction logit is the minimum over the pieces
/// that overlap it (the strongest keep evidence wins) and its span logit the maximum.
pub struct ScoreMapper<'a> {
    tokens: &'a [Token],
    scores: PrunerScores,
    seen: Vec<bool>,
}

impl<'a> ScoreMapper<'a> {
    pub fn new(tokens: &'a [Token]) -> Self {
        ScoreMapper {
            tokens,
            scores: PrunerScores::with_len(tokens.len()),
            seen: vec![false; tokens.len()],
        }
    }

    pub fn add(&mut self, offsets: &[(u32, u32)], evict: &[f32], span: &[f32]) {
        for (k, &(s, e)) in offsets.iter().enumerate() {
            if e <= s {
                continue;
            }
            let mut t = self.tokens.partition_point(|tok| tok.end <= s);
            while t < self.tokens.len() && self.tokens[t].start < e {
                if self.seen[t] {
                    self.scores.token_logits[t] = self.scores.token_logits[t].min(evict[k]);
                    self.scores.span_logits[t] = self.scores.span_logits[t].max(span[k]);
                } else {
                    self.scores.token_logits[t] = evict[k];
                    self.scores.span_logits[t] = span[k];
                    self.seen[t] = true;
                }
                t += 1;
            }
        }
    }

    /// Tokens no piece covered (whitespace, characters the tokenizer drops) take the scores of
    /// the nearest covered token before them on their line, else after; a line with no covered
    /// token keeps zeros (no opinion).
    pub fn finish(mut self) -> PrunerScores {
        let toks = self.tokens;
        let mut a = 0;
        while a < toks.len() {
            let line = toks[a].line;
            let mut b = a;
            while b < toks.len() && toks[b].line == line {
                b += 1;
            }
            let first_seen = (a..b).find(|&i| self.seen[i]);
            if let Some(f) = first_seen {
                let (mut tl, mut sl) = (self.scores.token_logits[f], self.scores.span_logits[f]);
                for i in a..b {
                    if self.seen[i] {
                        tl = self.scores.token_logits[i];
                        sl = self.scores.span_logits[i];
                    } else {
                        self.scores.token_logits[i] = tl;
                        self.scores.span_logits[i] = sl;
                    }
                }
            }
            a = b;
        }
        self.scores
    }
}
