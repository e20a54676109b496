//! Rendering: walks the lines once, copies kept bytes, writes markers, records every edit.

use kompress_core::{handle_for, EvictionKind, TokenKind, TokenizedText};

use crate::fold::Fold;
use crate::marker::{est_tokens, inline_marker, lines_marker, INLINE_MARKER_TOKENS};
use crate::plan::{LinePlan, LineState};
use crate::table::{TableFolds, LEGEND};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RewriteOptions {
    pub markers: bool,
    pub strip_ansi: bool,
}

/// One replaced byte range of the input, in the input's own coordinates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalEdit {
    pub start: usize,
    pub end: usize,
    pub replacement: String,
    pub kind: EvictionKind,
    /// Retrieval handle shown in the marker; empty for silent edits.
    pub handle: String,
}

#[derive(Debug, Clone, Default)]
pub struct Rewritten {
    pub text: String,
    pub edits: Vec<LocalEdit>,
}

struct Out<'a> {
    src: &'a str,
    text: String,
    edits: Vec<LocalEdit>,
}

impl Out<'_> {
    fn copy(&mut self, a: usize, b: usize) {
        self.text.push_str(&self.src[a..b]);
    }
    fn edit(
        &mut self,
        a: usize,
        b: usize,
        replacement: String,
        kind: EvictionKind,
        handle: String,
    ) {
        if a == b {
            return;
        }
        // merge with a directly preceding silent edit of the same kind (runs of ANSI codes)
        if let Some(last) = self.edits.last_mut() {
            if last.end == a && kind == EvictionKind::Ansi && last.kind == EvictionKind::Ansi {
                last.end = b;
                return;
            }
        }
        self.text.push_str(&replacement);
        self.edits.push(LocalEdit {
            start: a,
            end: b,
            replacement,
            kind,
            handle,
        });
    }
}

/// Renders the plan. `keep` is the per-token mask used for partial lines; `folds` are ultra-mode
/// template groups (their lines must be planned `Keep`).
pub fn render(
    doc: &TokenizedText,
    plan: &LinePlan,
    keep: &[u8],
    folds: &[Fold],
    opts: RewriteOptions,
) -> Rewritten {
    render_with_rows(doc, plan, keep, folds, &TableFolds::default(), opts)
}

/// [`render`], with table-fold rows: a line of `rows` (planned `Keep`) is written as its row,
/// the legend before the first template of the text, a template before its first row.
pub fn render_with_rows(
    doc: &TokenizedText,
    plan: &LinePlan,
    keep: &[u8],
    folds: &[Fold],
    rows: &TableFolds,
    opts: RewriteOptions,
) -> Rewritten {
    let src: &str = &doc.text;
    let mut out = Out {
        src,
        text: String::with_capacity(src.len() / 2),
        edits: Vec::new(),
    };
    let n = doc.lines.len();
    let mut fold_at = folds.iter().peekable();
    let mut legend_written = false;
    let mut li = 0;
    while li < n {
        if let Some(Some((g, k))) = rows.row_of.get(li) {
            let group = &rows.groups[*g];
            let line = doc.lines[li];
            let eol = match &src[line.end as usize..line.next as usize] {
                "" => "\n",
                t => t,
            };
            let mut rep = String::new();
            if !legend_written {
                rep.push_str(LEGEND);
                rep.push_str(eol);
                legend_written = true;
            }
            if *k == 0 {
                rep.push_str(&group.header());
                rep.push_str(eol);
            }
            rep.push_str(&group.row(src, *k));
            out.edit(
                line.start as usize,
                line.end as usize,
                rep,
                EvictionKind::Fold,
                String::new(),
            );
            out.copy(line.end as usize, line.next as usize);
            li += 1;
            continue;
        }
        if let Some(f) = fold_at.peek() {
            if f.lines.start == li {
                render_fold(&mut out, doc, f, opts);
                li = f.lines.end;
                fold_at.next();
                continue;
            }
        }
        match plan.states[li] {
            LineState::Evict => {
                let mut j = li;
                while j < n
                    && plan.states[j] == LineState::Evict
                    && !folds.iter().any(|f| f.lines.start == j)
                {
                    j += 1;
                }
                let (a, b) = (doc.lines[li].start as usize, doc.lines[j - 1].next as usize);
                if opts.markers {
                    let last = doc.lines[j - 1];
                    let handle = handle_for(a as u64, &src[a..b]);
                    let mut rep = lines_marker(j - li, &handle);
                    rep.push_str(&src[last.end as usize..last.next as usize]);
                    out.edit(a, b, rep, EvictionKind::Lines, handle);
                } else {
                    out.edit(a, b, String::new(), EvictionKind::Lines, String::new());
                }
                li = j;
            }
            LineState::Keep => {
                render_tokens(&mut out, doc, li, None, opts);
                li += 1;
            }
            LineState::Partial => {
                render_tokens(&mut out, doc, li, Some(keep), opts);
                li += 1;
            }
        }
    }
    Rewritten {
        text: out.text,
        edits: out.edits,
    }
}

fn render_tokens(
    out: &mut Out<'_>,
    doc: &TokenizedText,
    li: usize,
    keep: Option<&[u8]>,
    opts: RewriteOptions,
) {
    let range = doc.token_range_of_line(li);
    let toks = &doc.tokens[range.clone()];
    let mut dropped: Vec<bool> = match keep {
        None => vec![false; toks.len()],
        Some(k) => toks
            .iter()
            .enumerate()
            .map(|(i, t)| {
                t.kind != TokenKind::Space && t.kind != TokenKind::Ansi && k[range.start + i] == 0
            })
            .collect(),
    };
    if keep.is_some() {
        // spaces and codes inside a dropped run go with it
        for i in 0..toks.len() {
            if matches!(toks[i].kind, TokenKind::Space | TokenKind::Ansi) {
                let left = (0..i)
                    .rev()
                    .find(|&j| !matches!(toks[j].kind, TokenKind::Space | TokenKind::Ansi));
                let right = (i + 1..toks.len())
                    .find(|&j| !matches!(toks[j].kind, TokenKind::Space | TokenKind::Ansi));
                dropped[i] = left.is_some_and(|j| dropped[j]) && right.is_none_or(|j| dropped[j]);
            }
        }
        // runs too cheap for a marker stay
        if opts.markers {
            let mut i = 0;
            while i < toks.len() {
                if !dropped[i] {
                    i += 1;
                    continue;
                }
                let mut j = i;
                while j < toks.len() && dropped[j] {
                    j += 1;
                }
                let bytes = (toks[j - 1].end - toks[i].start) as usize;
                if est_tokens(bytes) <= INLINE_MARKER_TOKENS {
                    dropped[i..j].iter_mut().for_each(|d| *d = false);
                }
                i = j;
            }
        }
    }
    let src = out.src;
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i];
        if dropped[i] {
            let mut j = i;
            while j < toks.len() && dropped[j] {
                j += 1;
            }
            let (a, b) = (t.start as usize, toks[j - 1].end as usize);
            if opts.markers {
                let handle = handle_for(a as u64, &src[a..b]);
                out.edit(a, b, inline_marker(&handle), EvictionKind::Inline, handle);
            } else {
                out.edit(a, b, String::new(), EvictionKind::Inline, String::new());
            }
            i = j;
        } else if t.kind == TokenKind::Ansi && opts.strip_ansi {
            out.edit(
                t.start as usize,
                t.end as usize,
                String::new(),
                EvictionKind::Ansi,
                String::new(),
            );
            i += 1;
        } else {
            out.copy(t.start as usize, t.end as usize);
            i += 1;
        }
    }
    let line = doc.lines[li];
    out.copy(line.end as usize, line.next as usize);
}

fn render_fold(out: &mut Out<'_>, doc: &TokenizedText, f: &Fold, opts: RewriteOptions) {
    // the template line itself is written as a kept line
    render_tokens(out, doc, f.lines.start, None, opts);
    let first = doc.lines[f.lines.start + 1];
    let last = doc.lines[f.lines.end - 1];
    let (a, b) = (first.start as usize, last.next as usize);
    let src = out.src;
    let handle = handle_for(a as u64, &src[a..b]);
    let mut rep = f.summary(&handle);
    rep.push_str(&src[last.end as usize..last.next as usize]);
    out.edit(a, b, rep, EvictionKind::Fold, handle);
}
