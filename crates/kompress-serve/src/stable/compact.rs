//! The prefix-stable side of history compaction (`crate::history`): old tool results are
//! compressed again under a hard budget, and the policy picks how many of the oldest use
//! that version. Both versions are cached like every other result, so a result is compacted
//! once per session and every later request gets the same bytes.

use std::collections::HashSet;
use std::sync::Arc;

use kompress_core::CompressionConfig;
use kompress_pipeline::transcript::Segment;

use super::{Compressed, StableCompressor};
use crate::error::ServeError;
use crate::history::{self, Entry, HistoryPolicy};

/// One segment's result: `None` when too short to compress; the flag says it was cached.
pub(super) type Result1 = (Option<Arc<Compressed>>, bool);

/// The hard pass: the policy's token budget (or the request's, when tighter), markers on, no
/// protected-kind limit (everything removed stays retrievable), folds only with `keep_folds`.
fn hard(cfg: &CompressionConfig, p: &HistoryPolicy) -> CompressionConfig {
    let mut h = cfg.clone();
    h.target_ratio = Some(cfg.target_ratio.unwrap_or(1.0).min(p.target_ratio));
    h.protect_share = 1.0;
    h.markers = true;
    h.fold &= p.keep_folds;
    h.fold_evicted &= p.keep_folds;
    h
}

/// Tokens a result leaves: its compressed count, or a byte estimate for a text too short to
/// compress.
fn tokens(r: &Result1, seg: &Segment) -> usize {
    r.0.as_ref().map_or(seg.text.len() / 4, |c| c.tokens_out)
}

impl StableCompressor {
    /// Replaces the results of the oldest tool results the policy compacts with their hard
    /// version; returns how many.
    pub(super) async fn compact(
        &self,
        segments: &[Segment],
        results: &mut [Result1],
        cfg: &CompressionConfig,
        p: &HistoryPolicy,
        cited: &[(usize, HashSet<String>)],
    ) -> Result<usize, ServeError> {
        let tools: Vec<usize> = (0..segments.len())
            .filter(|&i| segments[i].role == "tool")
            .collect();
        if tools.len() < p.keep_recent + p.step {
            return Ok(0);
        }
        let candidates = tools.len() - p.keep_recent;
        let hard = hard(cfg, p);
        let fp = hard.fingerprint();
        let compact = futures::future::try_join_all(
            tools[..candidates]
                .iter()
                .map(|&i| self.one(fp, &segments[i].text, &hard)),
        )
        .await?;
        // each result keeps the lines the agent cited before the first step that can compact
        // it: the same assistant messages on every request that reaches that step
        let compact: Vec<Result1> = compact
            .into_iter()
            .enumerate()
            .map(|(j, c)| {
                let reach = p.keep_recent + (j / p.step + 1) * p.step;
                if reach > tools.len() {
                    return c; // no step can compact it yet
                }
                let (from, to) = (
                    segments[tools[j]].raw.end,
                    segments[tools[reach - 1]].raw.end,
                );
                let words: HashSet<&str> = cited
                    .iter()
                    .filter(|(at, _)| (from..to).contains(at))
                    .flat_map(|(_, w)| w.iter().map(String::as_str))
                    .collect();
                super::cited::keep_cited(&segments[tools[j]].text, c, &words)
            })
            .collect();
        let entries: Vec<Entry> = tools
            .iter()
            .enumerate()
            .map(|(j, &i)| {
                let normal = tokens(&results[i], &segments[i]);
                Entry {
                    normal,
                    compact: compact.get(j).map_or(normal, |c| tokens(c, &segments[i])),
                    gap: j.checked_sub(1).map_or(0, |prev| {
                        segments[i]
                            .raw
                            .start
                            .saturating_sub(segments[tools[prev]].raw.end)
                            / 4
                    }),
                }
            })
            .collect();
        let n = history::compacted(&entries, p);
        for (j, c) in compact.into_iter().enumerate().take(n) {
            results[tools[j]] = c;
        }
        Ok(n)
    }
}
