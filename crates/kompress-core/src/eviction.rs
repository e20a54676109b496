//! Eviction records and the lossless restore built on them.
//!
//! Every byte the rewriter removes or replaces becomes one [`Eviction`]: the byte range in the
//! original container (the plain text, or the raw bytes of a JSON transcript), the original
//! bytes, and what stands in their place in the output. `restore(compress(x)) == x` follows
//! from walking the records in order: copy the kept gap, skip the replacement, put the
//! original back.

use serde::{Deserialize, Serialize};

use crate::CoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum EvictionKind {
    /// Whole lines replaced by one marker line.
    Lines,
    /// Part of a line replaced by an inline marker.
    Inline,
    /// ANSI escape codes dropped silently.
    Ansi,
    /// Repeated lines folded into a template line (ultra mode).
    Fold,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Eviction {
    pub transcript_id: String,
    pub message_index: u32,
    /// Byte range `[start, end)` in the original container.
    pub start: u64,
    pub end: u64,
    /// The original bytes of that range, exactly.
    pub original: String,
    /// What stands in their place in the compressed output (may be empty).
    pub replacement: String,
    /// The evicted text as the model saw it, when it differs from `original` (JSON escapes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoded: Option<String>,
    /// The retrieval handle shown in the marker (`ref=…`); empty when no marker was written.
    pub handle: String,
    /// Content hash (xxh3-128, hex) of the evicted text.
    pub hash: String,
    pub kind: EvictionKind,
}

impl Eviction {
    /// The evicted text as a reader wants it back (decoded from JSON escapes when needed).
    pub fn text(&self) -> &str {
        self.decoded.as_deref().unwrap_or(&self.original)
    }
}

/// Content hash used in records: xxh3-128 as 32 hex digits.
pub fn content_hash(text: &str) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(text.as_bytes()))
}

/// The retrieval handle of an elided run. It depends only on the run's text and its offset in
/// its own message, so compressing the same message again gives the same handle (prefix
/// stability), whatever else the transcript holds.
pub fn handle_for(local_offset: u64, text: &str) -> String {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(&local_offset.to_le_bytes());
    h.update(text.as_bytes());
    format!("{:08x}", (h.digest() >> 32) as u32)
}

/// Rebuilds the original container from the compressed output and its evictions.
/// Evictions may come in any order; they must not overlap.
pub fn restore(compressed: &str, evictions: &[Eviction]) -> Result<String, CoreError> {
    let mut ev: Vec<&Eviction> = evictions.iter().collect();
    ev.sort_by_key(|e| e.start);
    let extra: usize = ev.iter().map(|e| e.original.len()).sum();
    let mut out = String::with_capacity(compressed.len() + extra);
    let mut pos_c = 0usize;
    let mut pos_o = 0u64;
    for e in ev {
        if e.start < pos_o || e.end < e.start {
            return Err(CoreError::Restore {
                reason: format!("eviction at {}..{} overlaps the one before", e.start, e.end),
            });
        }
        let gap = (e.start - pos_o) as usize;
        let gap_end = pos_c + gap;
        let kept = compressed
            .get(pos_c..gap_end)
            .ok_or_else(|| CoreError::Restore {
                reason: format!("compressed text ends before original offset {}", e.start),
            })?;
        out.push_str(kept);
        if !compressed[gap_end..].starts_with(e.replacement.as_str()) {
            return Err(CoreError::Restore {
                reason: format!(
                    "expected the replacement of eviction {}..{} (handle {:?}) at compressed offset {gap_end}",
                    e.start, e.end, e.handle
                ),
            });
        }
        pos_c = gap_end + e.replacement.len();
        out.push_str(&e.original);
        pos_o = e.end;
    }
    out.push_str(&compressed[pos_c..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(start: u64, original: &str, replacement: &str) -> Eviction {
        Eviction {
            transcript_id: "t".into(),
            message_index: 0,
            start,
            end: start + original.len() as u64,
            original: original.into(),
            replacement: replacement.into(),
            decoded: None,
            handle: handle_for(start, original),
            hash: content_hash(original),
            kind: EvictionKind::Lines,
        }
    }

    #[test]
    fn restore_puts_originals_back_in_any_record_order() {
        let orig = "keep\ndrop1\ndrop2\nkeep2\n\x1b[31mred\x1b[0m\n";
        let e1 = ev(5, "drop1\ndrop2\n", "[…2 lines]\n");
        let e2 = ev(23, "\x1b[31m", "");
        let e3 = ev(31, "\x1b[0m", "");
        let comp = "keep\n[…2 lines]\nkeep2\nred\n";
        assert_eq!(restore(comp, &[e3, e1, e2]).unwrap(), orig);
    }

    #[test]
    fn restore_reports_a_missing_marker() {
        let e1 = ev(5, "drop\n", "[…1 line]\n");
        let err = restore("keep\nsomething else\n", &[e1]).unwrap_err();
        assert!(
            err.to_string().contains("expected the replacement"),
            "{err}"
        );
    }

    #[test]
    fn handle_is_stable_and_depends_on_offset() {
        assert_eq!(handle_for(3, "abc"), handle_for(3, "abc"));
        assert_ne!(handle_for(3, "abc"), handle_for(4, "abc"));
        assert_eq!(handle_for(0, "x").len(), 8);
    }
}
