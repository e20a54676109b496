//! Ultra mode: runs of consecutive lines with the same shape (same tokens except a few words or
//! numbers) fold into the first line plus one summary line listing, byte-exact, the values that
//! differ on each folded line: `[+4 like above: 12 3.1 | 15 2.2 | …; ref=ab12cd34]`.

use std::ops::Range;

use kompress_core::{TokenKind, TokenizedText};

/// A fold group: `lines.start` is the template line (kept verbatim), the rest are folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fold {
    pub lines: Range<usize>,
    /// For each folded line, the values of the varying tokens, in order.
    pub params: Vec<Vec<String>>,
}

impl Fold {
    pub fn summary(&self, handle: &str) -> String {
        let rows: Vec<String> = self.params.iter().map(|p| p.join(" ")).collect();
        format!(
            "[+{} like above: {}; ref={handle}]",
            self.params.len(),
            rows.join(" | ")
        )
    }
}

/// Most slots a template may have: beyond that the lines are not "the same shape".
const MAX_SLOTS: usize = 3;
/// Fewest lines (template included) worth a fold.
const MIN_GROUP: usize = 3;

fn same_shape(doc: &TokenizedText, a: usize, b: usize, slots: &mut Vec<usize>) -> bool {
    let ta = doc.tokens_of_line(a);
    let tb = doc.tokens_of_line(b);
    if ta.len() != tb.len() || ta.is_empty() {
        return false;
    }
    let text = &doc.text;
    let mut diff = Vec::new();
    for (i, (x, y)) in ta.iter().zip(tb).enumerate() {
        if x.kind != y.kind {
            return false;
        }
        if x.text(text) != y.text(text) {
            if x.kind != TokenKind::Word {
                return false;
            }
            diff.push(i);
        }
    }
    for d in diff {
        if !slots.contains(&d) {
            slots.push(d);
        }
    }
    slots.len() <= MAX_SLOTS
        && slots.len() < ta.iter().filter(|t| t.kind == TokenKind::Word).count()
}

/// Finds fold groups among `foldable` lines (kept, not forced by the floor, not in an error
/// block). Groups never span a non-foldable line.
pub fn find_folds(doc: &TokenizedText, foldable: &[bool]) -> Vec<Fold> {
    let n = doc.lines.len();
    let mut folds = Vec::new();
    let mut i = 0;
    while i < n {
        if !foldable[i] {
            i += 1;
            continue;
        }
        let mut slots = Vec::new();
        let mut j = i + 1;
        while j < n && foldable[j] && same_shape(doc, i, j, &mut slots) {
            j += 1;
        }
        if j - i >= MIN_GROUP {
            slots.sort_unstable();
            let text = &doc.text;
            let params = (i + 1..j)
                .map(|l| {
                    let toks = doc.tokens_of_line(l);
                    slots
                        .iter()
                        .map(|&s| toks[s].text(text).to_string())
                        .collect()
                })
                .collect();
            folds.push(Fold {
                lines: i..j,
                params,
            });
            i = j;
        } else {
            i += 1;
        }
    }
    folds
}
