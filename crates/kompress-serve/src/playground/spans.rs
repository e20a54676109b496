//! Cuts the input of an explained compression into coloured spans: kept because the model
//! kept it, force-kept by the safety floor (with the floor category), kept by the rewriter to
//! keep a line whole, or evicted (with the marker that replaced it). Concatenating the spans'
//! texts gives the input back byte for byte.

use kompress_core::{EvictionKind, TokenKind};
use kompress_pipeline::Explanation;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpanKind {
    /// Kept: the model (pruner + gate) kept it on its own, or whitespace between kept tokens.
    Kept,
    /// The model would have evicted it; the safety floor forced it.
    Floor,
    /// Neither the model nor the floor asked for it; the rewriter kept it with its line.
    Context,
    /// Not in the output; `marker` replaced it.
    Evicted,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Span {
    pub kind: SpanKind,
    pub text: String,
    /// Floor category (for `floor` spans).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// What replaced an evicted span, its retrieval handle and eviction kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eviction: Option<EvictionKind>,
}

/// Token counts per class (content tokens only, whitespace left out).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ClassCounts {
    pub kept: usize,
    pub floor: usize,
    pub context: usize,
    pub evicted: usize,
}

impl Span {
    fn plain(kind: SpanKind, text: &str, category: Option<String>) -> Span {
        Span {
            kind,
            text: text.to_string(),
            category,
            marker: None,
            handle: None,
            eviction: None,
        }
    }
}

struct Cutter<'a> {
    ex: &'a Explanation,
    /// The floor category forcing each token (its own hit, or a whole-line hit on its line).
    forced_by: Vec<Option<String>>,
    spans: Vec<Span>,
    counts: ClassCounts,
    next_token: usize,
}

impl Cutter<'_> {
    fn push(&mut self, kind: SpanKind, text: &str, category: Option<String>) {
        if let Some(last) = self.spans.last_mut() {
            if last.kind == kind && kind != SpanKind::Evicted && last.category == category {
                last.text.push_str(text);
                return;
            }
        }
        self.spans.push(Span::plain(kind, text, category));
    }

    fn class_of(&self, t: usize) -> (SpanKind, Option<String>) {
        let ex = self.ex;
        if ex.model_keep.get(t).copied().unwrap_or(0) != 0 {
            return (SpanKind::Kept, None);
        }
        match &self.forced_by[t] {
            Some(cat) => (SpanKind::Floor, Some(cat.clone())),
            None if ex.doc.tokens[t].kind == TokenKind::Space => (SpanKind::Kept, None),
            None => (SpanKind::Context, None),
        }
    }

    /// Bytes `a..b` of the input, all present in the output.
    fn kept_region(&mut self, a: usize, b: usize) {
        let text: &str = &self.ex.doc.text;
        let tokens = &self.ex.doc.tokens;
        while self.next_token < tokens.len() && (tokens[self.next_token].end as usize) <= a {
            self.next_token += 1;
        }
        let mut cur = a;
        while cur < b {
            let t = self.next_token;
            if t < tokens.len() && (tokens[t].start as usize) <= cur {
                let end = (tokens[t].end as usize).min(b);
                let (kind, cat) = self.class_of(t);
                if tokens[t].kind != TokenKind::Space {
                    match kind {
                        SpanKind::Kept => self.counts.kept += 1,
                        SpanKind::Floor => self.counts.floor += 1,
                        SpanKind::Context => self.counts.context += 1,
                        SpanKind::Evicted => {}
                    }
                }
                self.push(kind, &text[cur..end], cat);
                cur = end;
                if tokens[t].end as usize <= cur {
                    self.next_token += 1;
                }
            } else {
                let end = tokens.get(t).map_or(b, |tok| (tok.start as usize).min(b));
                self.push(SpanKind::Kept, &text[cur..end], None);
                cur = end;
            }
        }
    }

    fn evicted(&mut self, (a, b): (usize, usize), marker: &str, handle: &str, kind: EvictionKind) {
        let tokens = &self.ex.doc.tokens;
        let mut t = self.next_token;
        while t < tokens.len() && (tokens[t].start as usize) < b {
            if tokens[t].end as usize > a && tokens[t].kind != TokenKind::Space {
                self.counts.evicted += 1;
            }
            t += 1;
        }
        self.spans.push(Span {
            kind: SpanKind::Evicted,
            text: self.ex.doc.text[a..b].to_string(),
            category: None,
            marker: Some(marker.to_string()),
            handle: (!handle.is_empty()).then(|| handle.to_string()),
            eviction: Some(kind),
        });
    }
}

/// The floor category that forced each token: the hit covering it, else a whole-line hit on
/// its line (named "<category> (whole line)").
fn forced_by(ex: &Explanation) -> Vec<Option<String>> {
    let doc = &ex.doc;
    let mut line_cat: Vec<Option<String>> = vec![None; doc.lines.len()];
    let mut out: Vec<Option<String>> = vec![None; doc.tokens.len()];
    for (k, &(a, b)) in ex.mask.hit_tokens.iter().enumerate() {
        let Some(cat) = ex.categories.get(k) else {
            continue;
        };
        for slot in out.iter_mut().take(b as usize).skip(a as usize) {
            slot.get_or_insert_with(|| cat.name.clone());
        }
        if cat.whole_line && a < b {
            let first = doc.tokens[a as usize].line as usize;
            let last = doc.tokens[b as usize - 1].line as usize;
            for l in line_cat.iter_mut().take(last + 1).skip(first) {
                l.get_or_insert_with(|| format!("{} (whole line)", cat.name));
            }
        }
    }
    for (t, tok) in doc.tokens.iter().enumerate() {
        let line = tok.line as usize;
        if out[t].is_none() && ex.mask.line_forced.get(line).copied().unwrap_or(false) {
            out[t] = Some(
                line_cat[line]
                    .clone()
                    .unwrap_or_else(|| "floor (whole line)".into()),
            );
        }
    }
    out
}

/// The input cut into spans, and how many content tokens fell in each class.
pub fn cut(ex: &Explanation) -> (Vec<Span>, ClassCounts) {
    let mut edits: Vec<_> = ex.rewritten.edits.iter().collect();
    edits.sort_by_key(|e| (e.start, e.end));
    let mut c = Cutter {
        ex,
        forced_by: forced_by(ex),
        spans: Vec::new(),
        counts: ClassCounts::default(),
        next_token: 0,
    };
    let mut pos = 0usize;
    for e in edits {
        let (a, b) = (e.start.max(pos), e.end.max(pos));
        c.kept_region(pos, a);
        if b > a {
            c.evicted((a, b), &e.replacement, &e.handle, e.kind);
        }
        pos = b;
    }
    c.kept_region(pos, ex.doc.text.len());
    (c.spans, c.counts)
}
