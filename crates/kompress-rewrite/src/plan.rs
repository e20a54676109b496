//! Line states: which lines stay whole, which lose some tokens, which go entirely.

use kompress_core::{TokenKind, TokenizedText};

use crate::marker::{est_tokens, LINES_MARKER_TOKENS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineState {
    /// Every token stays (ANSI codes may still be stripped).
    Keep,
    /// Some tokens go; the line itself stays.
    Partial,
    /// The whole line, terminator included, goes.
    Evict,
}

#[derive(Debug, Clone)]
pub struct LinePlan {
    pub states: Vec<LineState>,
}

fn is_content(k: TokenKind) -> bool {
    !matches!(k, TokenKind::Space | TokenKind::Ansi)
}

/// Decides each line's state from the per-token keep mask (1 = keep) and the lines the floor
/// forces. Blank lines go only when they sit between evicted lines. With markers on, a run of
/// evicted lines cheaper than its marker is kept instead. Without `partial` (safe mode) a line
/// that keeps any token is kept whole: lines are kept or evicted, never cut.
pub fn plan_lines(
    doc: &TokenizedText,
    keep: &[u8],
    line_forced: &[bool],
    markers: bool,
    partial: bool,
) -> LinePlan {
    let n = doc.lines.len();
    let mut states: Vec<Option<LineState>> = Vec::with_capacity(n);
    for li in 0..n {
        if line_forced.get(li).copied().unwrap_or(false) {
            states.push(Some(LineState::Keep));
            continue;
        }
        let (mut content, mut kept) = (0usize, 0usize);
        for ti in doc.token_range_of_line(li) {
            if is_content(doc.tokens[ti].kind) {
                content += 1;
                kept += usize::from(keep[ti] != 0);
            }
        }
        states.push(match (content, kept) {
            (0, _) => None,
            (_, 0) => Some(LineState::Evict),
            (c, k) if c == k || !partial => Some(LineState::Keep),
            _ => Some(LineState::Partial),
        });
    }
    // blank lines follow their surroundings
    let mut resolved = vec![LineState::Keep; n];
    let mut prev_evicted = true;
    for li in 0..n {
        match states[li] {
            Some(s) => {
                resolved[li] = s;
                prev_evicted = s == LineState::Evict;
            }
            None => {
                let next_evicted = states[li + 1..]
                    .iter()
                    .find_map(|s| *s)
                    .is_none_or(|s| s == LineState::Evict);
                resolved[li] = if prev_evicted && next_evicted {
                    LineState::Evict
                } else {
                    LineState::Keep
                };
            }
        }
    }
    if markers {
        let mut i = 0;
        while i < n {
            if resolved[i] != LineState::Evict {
                i += 1;
                continue;
            }
            let mut j = i;
            while j < n && resolved[j] == LineState::Evict {
                j += 1;
            }
            let bytes = (doc.lines[j - 1].next - doc.lines[i].start) as usize;
            if est_tokens(bytes) <= LINES_MARKER_TOKENS + 1 {
                resolved[i..j].iter_mut().for_each(|s| *s = LineState::Keep);
            }
            i = j;
        }
    }
    LinePlan { states: resolved }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kompress_tokenize::tokenize;

    fn keep_lines(doc: &TokenizedText, lines: &[bool]) -> Vec<u8> {
        doc.tokens
            .iter()
            .map(|t| u8::from(lines[t.line as usize]))
            .collect()
    }

    #[test]
    fn short_runs_are_not_worth_a_marker() {
        let d = tokenize("keep this line\nx\nkeep this too\n");
        let k = keep_lines(&d, &[true, false, true]);
        assert_eq!(
            plan_lines(&d, &k, &[], true, true).states[1],
            LineState::Keep
        );
        assert_eq!(
            plan_lines(&d, &k, &[], false, true).states[1],
            LineState::Evict
        );
    }

    #[test]
    fn blank_lines_between_evicted_lines_go_with_them() {
        let long = "a long evicted line with plenty of words to pay for a marker";
        let t = format!("head\n{long}\n\n{long}\n\ntail\n");
        let d = tokenize(t.as_str());
        let k = keep_lines(&d, &[true, false, false, false, false, true]);
        let s = plan_lines(&d, &k, &[], true, true).states;
        assert_eq!(
            s,
            [
                LineState::Keep,
                LineState::Evict,
                LineState::Evict,
                LineState::Evict,
                LineState::Keep,
                LineState::Keep
            ]
        );
    }

    #[test]
    fn a_line_keeping_some_tokens_is_cut_only_when_partial_lines_are_allowed() {
        let d = tokenize("let (tx, rx) = tokio::sync::oneshot::channel::<Result<T, E>>();\n");
        let k: Vec<u8> = (0..d.tokens.len()).map(|i| u8::from(i < 4)).collect();
        assert_eq!(
            plan_lines(&d, &k, &[], true, false).states,
            [LineState::Keep]
        );
        assert_eq!(
            plan_lines(&d, &k, &[], true, true).states,
            [LineState::Partial]
        );
        let none = vec![0u8; d.tokens.len()];
        assert_eq!(
            plan_lines(&d, &none, &[], false, false).states,
            [LineState::Evict]
        );
    }

    #[test]
    fn forced_lines_are_kept_whole() {
        let d = tokenize("error[E0308]: mismatched types in a long enough line here\n");
        let k = vec![0u8; d.tokens.len()];
        assert_eq!(
            plan_lines(&d, &k, &[true], true, true).states,
            [LineState::Keep]
        );
    }
}
