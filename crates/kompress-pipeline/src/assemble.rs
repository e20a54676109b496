//! Puts compressed segments back into their container (the text itself, or the raw JSON
//! document) and turns the rewriter's local edits into eviction records in container
//! coordinates. Kept bytes are always copied from the input, never re-encoded.

use kompress_core::{content_hash, Eviction, EvictionKind, TokenKind, TokenizedText};
use kompress_rewrite::{LocalEdit, Rewritten};

use crate::jsonspan::{decoded_to_raw, escape};
use crate::pipeline::{CompressResponse, Stats};
use crate::transcript::Segment;

pub struct SegmentResult {
    rewritten: Option<Rewritten>,
    tokens_in: usize,
    tokens_out: usize,
    lines_evicted: usize,
    floor_hits: usize,
}

impl SegmentResult {
    pub fn untouched(seg: &Segment) -> Self {
        let n = kompress_tokenize::tokenize(seg.text.as_str())
            .tokens
            .iter()
            .filter(|t| t.kind != TokenKind::Space)
            .count();
        SegmentResult {
            rewritten: None,
            tokens_in: n,
            tokens_out: n,
            lines_evicted: 0,
            floor_hits: 0,
        }
    }

    pub fn compressed(
        _seg: &Segment,
        doc: &TokenizedText,
        _keep: &[u8],
        r: Rewritten,
        floor_hits: usize,
    ) -> Self {
        let content = |t: &kompress_core::Token| t.kind != TokenKind::Space;
        let tokens_in = doc.tokens.iter().filter(|t| content(t)).count();
        let mut evicted = 0usize;
        let mut marker = 0usize;
        let mut lines_evicted = 0usize;
        let mut ti = 0usize;
        for e in &r.edits {
            while ti < doc.tokens.len() && (doc.tokens[ti].end as usize) <= e.start {
                ti += 1;
            }
            while ti < doc.tokens.len() && (doc.tokens[ti].end as usize) <= e.end {
                if content(&doc.tokens[ti]) {
                    evicted += 1;
                }
                ti += 1;
            }
            if !e.replacement.is_empty() {
                marker += kompress_tokenize::tokenize(e.replacement.as_str())
                    .tokens
                    .iter()
                    .filter(|t| content(t))
                    .count();
            }
            if e.kind == kompress_core::EvictionKind::Lines {
                lines_evicted += doc.text[e.start..e.end].lines().count();
            }
        }
        SegmentResult {
            tokens_out: tokens_in - evicted + marker,
            tokens_in,
            lines_evicted,
            floor_hits,
            rewritten: Some(r),
        }
    }
}

pub fn assemble(
    input: &str,
    segments: &[Segment],
    results: Vec<SegmentResult>,
    is_json: bool,
    transcript_id: &str,
) -> CompressResponse {
    let mut stats = Stats {
        bytes_in: input.len(),
        segments: segments.len(),
        ..Default::default()
    };
    let mut out = String::with_capacity(input.len());
    let mut evictions = Vec::new();
    let mut pos = 0usize;
    for (seg, res) in segments.iter().zip(results) {
        stats.tokens_in += res.tokens_in;
        stats.tokens_out += res.tokens_out;
        stats.lines_evicted += res.lines_evicted;
        stats.floor_hits += res.floor_hits;
        let Some(r) = res.rewritten else { continue };
        if r.edits.is_empty() {
            continue;
        }
        stats.segments_compressed += 1;
        out.push_str(&input[pos..seg.raw.start]);
        splice_segment(
            input,
            seg,
            r.edits.iter().map(EditView::from),
            is_json,
            transcript_id,
            &mut out,
            &mut evictions,
        );
        pos = seg.raw.end;
    }
    out.push_str(&input[pos..]);
    stats.bytes_out = out.len();
    CompressResponse {
        output: out,
        evictions,
        stats,
    }
}

/// One edit of a segment's decoded text: bytes `[start, end)` give way to `replacement`.
#[derive(Debug, Clone, Copy)]
pub struct EditView<'a> {
    pub start: usize,
    pub end: usize,
    pub replacement: &'a str,
    pub handle: &'a str,
    pub kind: EvictionKind,
}

impl<'a> From<&'a LocalEdit> for EditView<'a> {
    fn from(e: &'a LocalEdit) -> Self {
        EditView {
            start: e.start,
            end: e.end,
            replacement: &e.replacement,
            handle: &e.handle,
            kind: e.kind,
        }
    }
}

/// An eviction record whose offsets are in the coordinates of the text it was made from
/// (what compressing that text alone returns).
impl<'a> From<&'a Eviction> for EditView<'a> {
    fn from(e: &'a Eviction) -> Self {
        EditView {
            start: e.start as usize,
            end: e.end as usize,
            replacement: &e.replacement,
            handle: &e.handle,
            kind: e.kind,
        }
    }
}

/// Writes the segment's raw literal (`input[seg.raw]`) to `out` with `edits` (in order, in
/// decoded-text coordinates) applied, and pushes one eviction record per edit in container
/// coordinates: raw byte offsets, `original` with its JSON escapes, `decoded` when the two
/// differ. Replacements are JSON-escaped when the container is JSON.
pub fn splice_segment<'a>(
    input: &str,
    seg: &Segment,
    edits: impl IntoIterator<Item = EditView<'a>>,
    is_json: bool,
    transcript_id: &str,
    out: &mut String,
    evictions: &mut Vec<Eviction>,
) {
    let base = seg.raw.start;
    let raw = &input[seg.raw.clone()];
    // decoded offset -> raw offset; identity when the literal has no escapes
    let map = (is_json && (raw.len() != seg.text.len() || raw.contains('\\')))
        .then(|| decoded_to_raw(raw, seg.text.len()));
    let to_raw = |d: usize| map.as_ref().map_or(d, |m| m[d] as usize);
    let mut lit_pos = 0usize;
    for e in edits {
        let (rs, re) = (to_raw(e.start), to_raw(e.end));
        out.push_str(&raw[lit_pos..rs]);
        let replacement = if is_json {
            let mut s = String::with_capacity(e.replacement.len() + 8);
            escape(e.replacement, &mut s);
            s
        } else {
            e.replacement.to_string()
        };
        out.push_str(&replacement);
        let original = &raw[rs..re];
        let decoded = &seg.text[e.start..e.end];
        evictions.push(Eviction {
            transcript_id: transcript_id.to_string(),
            message_index: seg.message_index,
            start: (base + rs) as u64,
            end: (base + re) as u64,
            original: original.to_string(),
            replacement,
            decoded: (original != decoded).then(|| decoded.to_string()),
            handle: e.handle.to_string(),
            hash: content_hash(decoded),
            kind: e.kind,
        });
        lit_pos = re;
    }
    out.push_str(&raw[lit_pos..]);
}
