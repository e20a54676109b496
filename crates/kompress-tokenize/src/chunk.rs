//! Word- and line-aligned chunking. A model sees at most `max_tokens` of its own tokens at once;
//! chunks are cut at line ends when a line fits, else at token (word) boundaries, and the
//! chunks cover every token exactly once: nothing past a model's limit is ever dropped.

use std::ops::Range;

use kompress_core::TokenizedText;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// Token index range in the `TokenizedText`.
    pub tokens: Range<usize>,
}

/// Cuts the tokens into chunks whose summed `cost` (e.g. sub-word pieces per token) is at most
/// `budget`. A single token costlier than the budget gets a chunk of its own (the model crate
/// splits it further by pieces). Prefers to end chunks at line ends.
pub fn chunk_tokens(
    doc: &TokenizedText,
    budget: usize,
    cost: impl Fn(usize) -> usize,
) -> Vec<Chunk> {
    assert!(budget > 0, "chunk budget must be > 0");
    let n = doc.tokens.len();
    let mut chunks = Vec::new();
    let mut start = 0usize;
    let mut used = 0usize;
    // last token index (exclusive) at which a line ended inside the current chunk
    let mut last_line_end: Option<usize> = None;
    let mut i = 0usize;
    while i < n {
        let c = cost(i).max(1);
        if used + c > budget && i > start {
            let cut = match last_line_end {
                Some(e) if e > start => e,
                _ => i,
            };
            chunks.push(Chunk { tokens: start..cut });
            start = cut;
            used = 0;
            last_line_end = None;
            i = cut;
            continue;
        }
        used += c;
        i += 1;
        if i == n || doc.tokens[i].line != doc.tokens[i - 1].line {
            last_line_end = Some(i);
        }
    }
    if start < n {
        chunks.push(Chunk { tokens: start..n });
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenize;
    use proptest::prelude::*;

    #[test]
    fn chunks_end_at_line_ends_when_lines_fit() {
        let d = tokenize("a b c\nd e f\ng h i\n");
        let ch = chunk_tokens(&d, 12, |_| 1);
        for c in &ch[..ch.len() - 1] {
            let last = d.tokens[c.tokens.end - 1];
            let next = d.tokens[c.tokens.end];
            assert_ne!(last.line, next.line, "cut inside a line: {ch:?}");
        }
    }

    #[test]
    fn a_line_longer_than_the_budget_is_cut_at_word_boundaries_and_kept_whole() {
        let text = "w ".repeat(2000);
        let d = tokenize(text.as_str());
        let ch = chunk_tokens(&d, 512, |_| 1);
        assert!(ch.iter().all(|c| c.tokens.len() <= 512));
        assert_eq!(
            ch.iter().map(|c| c.tokens.len()).sum::<usize>(),
            d.tokens.len()
        );
    }

    proptest! {
        #[test]
        fn chunks_cover_every_token_once(s in "[a-z \\n]{0,300}", budget in 1usize..40) {
            let d = tokenize(s.as_str());
            let ch = chunk_tokens(&d, budget, |i| 1 + i % 3);
            let mut pos = 0;
            for c in &ch { prop_assert_eq!(c.tokens.start, pos); prop_assert!(c.tokens.end > c.tokens.start); pos = c.tokens.end; }
            prop_assert_eq!(pos, d.tokens.len());
        }
    }
}
