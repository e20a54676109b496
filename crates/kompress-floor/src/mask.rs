//! Maps floor hits onto the tokens and lines of a [`TokenizedText`].

use kompress_core::TokenizedText;

use crate::config::Keep;
use crate::floor::{Floor, FloorHit};

/// What the floor forces in one document.
///
/// - `token_bits`: bit `i % 32` of word `i / 32` is set when token `i` overlaps a hit.
///   For a `keep = "span"` hit this means: the hit's tokens are kept or dropped together,
///   and always kept inside a kept line.
/// - `line_forced[l]`: a `keep = "line"` hit lies (at least partly) in line `l`; that line
///   must never be evicted.
/// - `hits`: the hits widened to whole tokens, sorted; hits that came to share a token are
///   merged into one (it keeps the first hit's category, and it is atomic as a whole).
/// - `hit_tokens[k]`: the token index range `[a, b)` of `hits[k]` (`a == b` only for a hit
///   that covers no token, e.g. one inside a line terminator).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FloorMask {
    pub token_bits: Vec<u32>,
    pub line_forced: Vec<bool>,
    pub hits: Vec<FloorHit>,
    pub hit_tokens: Vec<(u32, u32)>,
}

impl FloorMask {
    pub fn is_token_forced(&self, token: usize) -> bool {
        self.token_bits
            .get(token / 32)
            .is_some_and(|w| w & (1 << (token % 32)) != 0)
    }

    pub fn forced_token_count(&self) -> usize {
        self.token_bits
            .iter()
            .map(|w| w.count_ones() as usize)
            .sum()
    }

    pub fn forced_line_count(&self) -> usize {
        self.line_forced.iter().filter(|f| **f).count()
    }

    /// Bitmask of the tokens on the lines this mask forces (what the gate ORs into its keep
    /// decision; bit `i % 32` of word `i / 32` for token `i`).
    pub fn line_bits(&self, doc: &TokenizedText) -> Vec<u32> {
        let mut bits = vec![0u32; doc.tokens.len().div_ceil(32)];
        for (li, forced) in self.line_forced.iter().enumerate() {
            if *forced {
                for t in doc.token_range_of_line(li) {
                    bits[t / 32] |= 1 << (t % 32);
                }
            }
        }
        bits
    }

    /// The floor after the gate: a critical span is never cut. If any of its tokens survived
    /// in `keep` (1 = keep), all of them do.
    pub fn widen(&self, keep: &mut [u8]) {
        for &(a, b) in &self.hit_tokens {
            let (a, b) = (a as usize, b as usize);
            if keep[a..b].iter().any(|k| *k != 0) {
                keep[a..b].iter_mut().for_each(|k| *k = 1);
            }
        }
    }
}

impl Floor {
    /// Scans `doc.text` and maps each hit to the tokens it overlaps.
    pub fn mask(&self, doc: &TokenizedText) -> FloorMask {
        let raw = self.scan(&doc.text);
        let tokens = &doc.tokens;
        let mut mask = FloorMask {
            token_bits: vec![0; tokens.len().div_ceil(32)],
            line_forced: vec![false; doc.lines.len()],
            hits: Vec::with_capacity(raw.len()),
            hit_tokens: Vec::with_capacity(raw.len()),
        };
        let mut cursor = 0usize;
        for hit in raw {
            while cursor < tokens.len() && tokens[cursor].end <= hit.start {
                cursor += 1;
            }
            let a = cursor;
            let mut b = a;
            while b < tokens.len() && tokens[b].start < hit.end {
                mask.token_bits[b / 32] |= 1 << (b % 32);
                b += 1;
            }
            if self.category_keep(hit.category) == Keep::Line {
                force_lines(doc, &mut mask.line_forced, hit, a, b);
            }
            let widened = if a < b {
                FloorHit {
                    start: tokens[a].start.min(hit.start),
                    end: tokens[b - 1].end.max(hit.end),
                    category: hit.category,
                }
            } else {
                hit
            };
            push_merged(&mut mask, widened, (a as u32, b as u32));
        }
        mask
    }
}

fn force_lines(doc: &TokenizedText, forced: &mut [bool], hit: FloorHit, a: usize, b: usize) {
    let (first, last) = if a < b {
        (doc.tokens[a].line as usize, doc.tokens[b - 1].line as usize)
    } else {
        let line_of = |pos: u32| doc.lines.partition_point(|l| l.next <= pos);
        (line_of(hit.start), line_of(hit.end.saturating_sub(1)))
    };
    for f in forced.iter_mut().take(last + 1).skip(first) {
        *f = true;
    }
}

fn push_merged(mask: &mut FloorMask, hit: FloorHit, range: (u32, u32)) {
    if let (Some(prev), Some(prev_range)) = (mask.hits.last_mut(), mask.hit_tokens.last_mut()) {
        let shares_token =
            range.0 < range.1 && prev_range.0 < prev_range.1 && range.0 < prev_range.1;
        if shares_token {
            prev.end = prev.end.max(hit.end);
            prev_range.1 = prev_range.1.max(range.1);
            return;
        }
    }
    mask.hits.push(hit);
    mask.hit_tokens.push(range);
}
