//! A small, real, lossless compressor used by the test processor and the Kafka benchmark
//! until the full pipeline is wired in: inside every JSON string of the messages array it
//! replaces every second line of a multi-line text with a `[…1 line, ref=…]` marker and
//! records an [`Eviction`] for it, so `kompress_core::restore` rebuilds the input exactly.
//! It is deliberately simple; it is not the kompress pruner.

use std::time::Duration;

use async_trait::async_trait;
use kompress_core::{content_hash, handle_for, CompressionConfig, Eviction, EvictionKind, Format};

use crate::{CompressFailure, Compressed, TranscriptCompressor};

#[derive(Debug, Clone, Default)]
pub struct LineSampler {
    /// Artificial work per transcript (benchmarks and backpressure tests use it to stand in
    /// for a slow model).
    pub delay: Duration,
}

#[async_trait]
impl TranscriptCompressor for LineSampler {
    async fn compress(
        &self,
        transcript_id: &str,
        _format: Format,
        raw: String,
        config: &CompressionConfig,
    ) -> Result<Compressed, CompressFailure> {
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        if raw.len() > config.max_bytes {
            return Err(CompressFailure::Input {
                kind: "oversized".into(),
                detail: format!("{} bytes > max_bytes {}", raw.len(), config.max_bytes),
            });
        }
        Ok(sample_lines(transcript_id, &raw, config.markers))
    }

    fn name(&self) -> &'static str {
        "line-sampler"
    }
}

/// Evicts every second `\n`-separated line (as escaped in the JSON: `\\n`) inside strings.
fn sample_lines(transcript_id: &str, raw: &str, markers: bool) -> Compressed {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut evictions = Vec::new();
    let (mut i, mut copied) = (0usize, 0usize);
    let mut tokens_in = 0u64;
    while i < bytes.len() {
        if bytes[i] != b'"' {
            i += 1;
            continue;
        }
        // Scan one JSON string; line starts are just after each escaped newline `\n`.
        let start = i + 1;
        let mut j = start;
        let mut line_starts = vec![start];
        while j < bytes.len() && bytes[j] != b'"' {
            if bytes[j] == b'\\' {
                if bytes.get(j + 1) == Some(&b'n') {
                    line_starts.push(j + 2);
                }
                j += 2;
            } else {
                j += 1;
            }
        }
        let end = j.min(bytes.len());
        tokens_in += raw[start..end].split_whitespace().count() as u64;
        // Lines 1, 3, 5… that are followed by a newline (the last line is always kept).
        for w in (1..line_starts.len().saturating_sub(1)).step_by(2) {
            let (ls, le) = (line_starts[w], line_starts[w + 1]);
            let original = &raw[ls..le];
            let handle = if markers {
                handle_for((ls - start) as u64, original)
            } else {
                String::new()
            };
            let replacement = if markers {
                format!("[…1 line, ref={handle}]\\n")
            } else {
                String::new()
            };
            out.push_str(&raw[copied..ls]);
            out.push_str(&replacement);
            copied = le;
            evictions.push(Eviction {
                transcript_id: transcript_id.to_string(),
                message_index: 0,
                start: ls as u64,
                end: le as u64,
                original: original.to_string(),
                replacement,
                decoded: None,
                handle,
                hash: content_hash(original),
                kind: EvictionKind::Lines,
            });
        }
        i = end + 1;
    }
    out.push_str(&raw[copied..]);
    let tokens_out = tokens_in.saturating_sub(
        evictions
            .iter()
            .map(|e| e.original.split_whitespace().count() as u64)
            .sum(),
    );
    Compressed {
        messages_json: out,
        evictions,
        tokens_in,
        tokens_out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_every_second_line_and_restores_exactly() {
        let raw = r#"[{"role":"tool","content":"l0\nl1\nl2\nl3\nl4"},{"role":"user","content":"one line"}]"#;
        let c = sample_lines("t", raw, true);
        assert_eq!(c.evictions.len(), 2);
        assert!(!c.messages_json.contains("l1") && !c.messages_json.contains("l3"));
        assert!(c.messages_json.contains("l4") && c.messages_json.contains("one line"));
        serde_json::from_str::<serde_json::Value>(&c.messages_json).unwrap();
        assert_eq!(
            kompress_core::restore(&c.messages_json, &c.evictions).unwrap(),
            raw
        );
    }

    #[test]
    fn escaped_quotes_do_not_end_a_string() {
        let raw = r#"[{"role":"tool","content":"a \"q\"\nb\nc"}]"#;
        let c = sample_lines("t", raw, false);
        assert_eq!(c.evictions.len(), 1);
        assert_eq!(
            kompress_core::restore(&c.messages_json, &c.evictions).unwrap(),
            raw
        );
    }
}
