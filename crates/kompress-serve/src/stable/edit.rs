//! Line-run edits made after the pipeline, shared by repeat elision (`repeat.rs`) and the
//! cited lines of compaction (`cited.rs`): the pipeline's own lines, token unit and
//! eviction shape, so these edits restore and count like the rewriter's.

use std::ops::Range;

use kompress_core::{
    content_hash, handle_for, split_lines, Eviction, EvictionKind, Line, TokenKind,
};

/// The lines of `text` as the pipeline splits them.
pub(super) fn lines(text: &str) -> Vec<Line> {
    split_lines(text)
}

/// Content tokens of `s` (the tokenizer's, spaces left out): the unit of the pipeline's
/// `tokens_in` / `tokens_out`.
pub(super) fn tokens(s: &str) -> usize {
    kompress_tokenize::tokenize(s)
        .tokens
        .iter()
        .filter(|t| t.kind != TokenKind::Space)
        .count()
}

/// Tokens an edit set removes from its text, markers counted against it.
pub(super) fn removed(edits: &[Eviction]) -> isize {
    edits
        .iter()
        .map(|e| tokens(&e.original) as isize - tokens(&e.replacement) as isize)
        .sum()
}

/// Indices of the lines (with their terminators) that bytes `s..e` touch; an empty range
/// touches the line it sits in.
pub(super) fn touched(lines: &[Line], s: usize, e: usize) -> Range<usize> {
    let e = e.max(s + 1);
    let first = lines.partition_point(|l| (l.next as usize) <= s);
    let last = lines.partition_point(|l| (l.start as usize) < e);
    first..last.max(first)
}

/// Lines `run` of `text` elided as one eviction; `marker` gets the handle and writes the
/// marker line (the run's last terminator follows it, so no two lines fuse).
pub(super) fn line_run(
    text: &str,
    lines: &[Line],
    run: Range<usize>,
    marker: impl FnOnce(&str) -> String,
) -> Eviction {
    let (s, e) = (
        lines[run.start].start as usize,
        lines[run.end - 1].next as usize,
    );
    let original = &text[s..e];
    let handle = handle_for(s as u64, original);
    let last = &lines[run.end - 1];
    let terminator = &text[last.end as usize..last.next as usize];
    Eviction {
        transcript_id: String::new(),
        message_index: 0,
        start: s as u64,
        end: e as u64,
        original: original.to_string(),
        replacement: marker(&handle) + terminator,
        decoded: None,
        hash: content_hash(original),
        handle,
        kind: EvictionKind::Lines,
    }
}

/// `text` with `edits` (sorted) applied: what the model reads.
#[cfg(test)]
pub(super) fn render(text: &str, edits: &[Eviction]) -> String {
    let mut out = String::new();
    let mut pos = 0;
    for e in edits {
        out.push_str(&text[pos..e.start as usize]);
        out.push_str(&e.replacement);
        pos = e.end as usize;
    }
    out + &text[pos..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touched_lines_are_the_ones_a_byte_range_overlaps() {
        let t = "ab\ncd\r\nef\ngh";
        let l = lines(t);
        assert_eq!(touched(&l, 0, 3), 0..1, "a line with its terminator");
        assert_eq!(touched(&l, 2, 4), 0..2);
        assert_eq!(touched(&l, 3, 3), 1..2, "an empty range touches its line");
        assert_eq!(touched(&l, 7, 12), 2..4);
    }

    #[test]
    fn a_run_keeps_its_last_terminator_after_the_marker() {
        let t = "ab\ncd\r\nef\n";
        let l = lines(t);
        let ev = line_run(t, &l, 0..2, |h| format!("[…2 lines, ref={h}]"));
        assert_eq!(ev.original, "ab\ncd\r\n");
        assert!(ev.replacement.ends_with("]\r\n"));
        let evs = [ev];
        assert_eq!(kompress_core::restore(&render(t, &evs), &evs).unwrap(), t);
    }
}
