//! History-aware compaction: old tool results are compacted harder, in steps, and only when
//! the provider's prompt cache makes the step pay.
//!
//! A proxied request carries the whole session, and its old observations are re-read on every
//! turn. The newest `keep_recent` tool results compress as usual (the conservative default).
//! Older ones may be *compacted*: compressed again with a token budget (`target_ratio`) and
//! no protected-kind limit, so floor spans and failing lines stay (and folded rows, with
//! `keep_folds`) and the rest goes behind `[…N lines, ref=…]` markers that
//! `kompress_retrieve` resolves.
//!
//! Compacting an old message changes the prompt prefix from that message on, and the provider
//! then writes its cache again from there. So compaction moves in steps of `step` results,
//! and step `k` (which compacts the oldest `k·step` results, reached once the request holds
//! `keep_recent + k·step` of them) is taken only when
//!
//! ```text
//! horizon · turns · cache_read · saved  >  (cache_write − cache_read) · rewritten
//! ```
//!
//! `saved`: tokens the step removes, read again on every coming turn; `rewritten`: tokens
//! from the first newly compacted result to the step's last result, written to the cache
//! again instead of read from it; `turns`: tool results so far, and `horizon` the share of
//! that many turns expected to come (1.0: a session lasts as long again as it has). Prices are
//! relative to uncached input. Each decision reads only the results up to its step, which
//! later requests of the session repeat unchanged, so every later request takes the same
//! decisions: between two steps every forwarded prefix is byte-identical.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::bad;
use crate::error::ServeError;

/// Cache prices relative to uncached input tokens (1.0).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prices {
    /// Writing a token to the prompt cache.
    pub cache_write: f64,
    /// Reading a cached token.
    pub cache_read: f64,
}

impl Prices {
    /// Anthropic's published multipliers: cache writes 1.25×, reads 0.1×.
    pub const ANTHROPIC: Prices = Prices {
        cache_write: 1.25,
        cache_read: 0.1,
    };
    /// OpenAI's automatic caching: writes cost plain input, cached input 0.5×.
    pub const OPENAI: Prices = Prices {
        cache_write: 1.0,
        cache_read: 0.5,
    };
}

/// `[proxy.history]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HistoryConfig {
    /// Compact old tool results at all (only while a memory store is set: what compaction
    /// removes must stay retrievable).
    pub enabled: bool,
    /// Newest tool results that are never compacted.
    pub keep_recent: usize,
    /// Tool results one compaction step covers.
    pub step: usize,
    /// Turns expected to come, as a share of the tool results so far.
    pub horizon: f64,
    /// Share of tokens a compacted result keeps, in (0, 1).
    pub target_ratio: f32,
    /// Compacted logs and listings keep their folded rows (every parameter stays visible, so
    /// they shrink little); off: rows compete for the budget like other lines, and the rest
    /// goes behind markers.
    pub keep_folds: bool,
    /// Prices per upstream name (a key of `proxy.upstreams`); an upstream not listed gets
    /// its API's defaults ([`Prices::ANTHROPIC`] on `/v1/messages`, [`Prices::OPENAI`] else).
    pub prices: BTreeMap<String, Prices>,
}

impl Default for HistoryConfig {
    fn default() -> Self {
        HistoryConfig {
            enabled: true,
            keep_recent: 10,
            step: 10,
            horizon: 1.0,
            target_ratio: 0.2,
            keep_folds: false,
            prices: BTreeMap::new(),
        }
    }
}

impl HistoryConfig {
    /// Checks every field against the allow-list's names; the error names the first bad one.
    pub fn validate<'a>(
        &self,
        upstreams: impl Iterator<Item = &'a String>,
    ) -> Result<(), ServeError> {
        if self.step == 0 {
            return Err(bad("proxy.history.step", "must be > 0"));
        }
        if !(self.horizon.is_finite() && self.horizon >= 0.0) {
            return Err(bad("proxy.history.horizon", "must be a number >= 0"));
        }
        if !(self.target_ratio > 0.0 && self.target_ratio < 1.0) {
            return Err(bad("proxy.history.target_ratio", "must be in (0, 1)"));
        }
        let names: Vec<&String> = upstreams.collect();
        for (name, p) in &self.prices {
            if !names.contains(&name) {
                return Err(bad(
                    "proxy.history.prices",
                    format!("{name:?} is not a key of proxy.upstreams"),
                ));
            }
            let ok = |x: f64| x.is_finite() && x >= 0.0;
            if !(ok(p.cache_write) && ok(p.cache_read)) {
                return Err(bad(
                    "proxy.history.prices",
                    format!("{name}: prices must be numbers >= 0"),
                ));
            }
        }
        Ok(())
    }

    /// The policy for one request to `upstream` (its name), `anthropic` when on
    /// `/v1/messages`; `None` when compaction is off.
    pub fn policy(&self, upstream: &str, anthropic: bool) -> Option<HistoryPolicy> {
        self.enabled.then(|| HistoryPolicy {
            keep_recent: self.keep_recent,
            step: self.step,
            horizon: self.horizon,
            target_ratio: self.target_ratio,
            keep_folds: self.keep_folds,
            prices: self.prices_for(upstream, anthropic),
        })
    }

    /// The cache prices of `upstream` (its name), `anthropic` when on `/v1/messages`.
    pub fn prices_for(&self, upstream: &str, anthropic: bool) -> Prices {
        let default = if anthropic {
            Prices::ANTHROPIC
        } else {
            Prices::OPENAI
        };
        self.prices.get(upstream).copied().unwrap_or(default)
    }
}

/// What one request's compaction is decided by.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistoryPolicy {
    pub keep_recent: usize,
    pub step: usize,
    pub horizon: f64,
    pub target_ratio: f32,
    pub keep_folds: bool,
    pub prices: Prices,
}

/// One tool result of a request, in document order, in tokens.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Entry {
    /// After the usual compression.
    pub normal: usize,
    /// Compacted.
    pub compact: usize,
    /// The request's other bytes between the previous tool result and this one.
    pub gap: usize,
}

/// How many of the oldest tool results are compacted: the boundary of the last step taken.
pub fn compacted(entries: &[Entry], p: &HistoryPolicy) -> usize {
    let mut applied = 0;
    for k in 1.. {
        let boundary = k * p.step;
        let reached = p.keep_recent + boundary;
        if reached > entries.len() {
            break;
        }
        if step_pays(&entries[..reached], applied, boundary, p) {
            applied = boundary;
        }
    }
    applied
}

/// Whether compacting results `applied..boundary` pays, seen from the request that holds
/// `window` (the results up to the step) and nothing later.
fn step_pays(window: &[Entry], applied: usize, boundary: usize, p: &HistoryPolicy) -> bool {
    let saved: usize = window[applied..boundary]
        .iter()
        .map(|e| e.normal.saturating_sub(e.compact))
        .sum();
    let rewritten: usize = window[applied..]
        .iter()
        .enumerate()
        .map(|(j, e)| {
            let body = if applied + j < boundary {
                e.compact
            } else {
                e.normal
            };
            body + if j == 0 { 0 } else { e.gap }
        })
        .sum();
    let gain = p.horizon * window.len() as f64 * p.prices.cache_read * saved as f64;
    let cost = (p.prices.cache_write - p.prices.cache_read) * rewritten as f64;
    saved > 0 && gain > cost
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(prices: Prices) -> HistoryPolicy {
        HistoryPolicy {
            keep_recent: 4,
            step: 4,
            horizon: 1.0,
            target_ratio: 0.2,
            keep_folds: false,
            prices,
        }
    }

    fn results(n: usize) -> Vec<Entry> {
        vec![
            Entry {
                normal: 1000,
                compact: 200,
                gap: 20
            };
            n
        ]
    }

    #[test]
    fn nothing_is_compacted_before_the_first_step_is_reached() {
        let p = policy(Prices::OPENAI);
        assert_eq!(compacted(&results(7), &p), 0);
        assert_eq!(compacted(&results(8), &p), 4);
        assert_eq!(compacted(&results(11), &p), 4, "between steps: the same");
        assert_eq!(compacted(&results(12), &p), 8);
    }

    #[test]
    fn an_expensive_cache_write_holds_compaction_back_until_the_session_is_long() {
        // Anthropic: a step re-writes (1.25 - 0.1) per token and saves 0.1 per token per turn
        let p = policy(Prices::ANTHROPIC);
        assert_eq!(
            compacted(&results(8), &p),
            0,
            "8 turns: the re-write costs more"
        );
        let n = (8..400).find(|&n| compacted(&results(n), &p) > 0).unwrap();
        assert!(n > 8, "{n}");
        let late = compacted(&results(n), &p);
        assert!(late >= 4 && late.is_multiple_of(4), "{late}");
    }

    #[test]
    fn as_a_session_grows_compaction_only_grows_and_only_at_step_points() {
        // varied result sizes; each request is the previous one plus one result
        let p = policy(Prices::ANTHROPIC);
        let mut x = 7u64;
        let session: Vec<Entry> = (0..300)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let normal = 50 + (x >> 33) as usize % 4000;
                Entry {
                    normal,
                    compact: normal / (2 + (x >> 20) as usize % 8),
                    gap: (x >> 40) as usize % 300,
                }
            })
            .collect();
        let mut last = 0;
        let mut changes = 0;
        for n in 0..=session.len() {
            let now = compacted(&session[..n], &p);
            assert!(now >= last, "request {n}: compaction went back");
            if now != last {
                assert_eq!(
                    (n - p.keep_recent) % p.step,
                    0,
                    "request {n}: not a step point"
                );
                changes += 1;
            }
            last = now;
        }
        assert!(changes > 0, "a 300-result session compacts at some step");
    }

    #[test]
    fn results_that_do_not_shrink_are_never_worth_a_step() {
        let p = policy(Prices::OPENAI);
        let same = vec![
            Entry {
                normal: 50,
                compact: 50,
                gap: 5
            };
            40
        ];
        assert_eq!(compacted(&same, &p), 0);
    }

    #[test]
    fn prices_of_a_listed_upstream_override_the_api_defaults() {
        let mut cfg = HistoryConfig::default();
        let free = Prices {
            cache_write: 0.1,
            cache_read: 0.1,
        };
        cfg.prices.insert("gw".into(), free);
        assert_eq!(cfg.policy("gw", true).unwrap().prices, free);
        assert_eq!(cfg.policy("other", true).unwrap().prices, Prices::ANTHROPIC);
        assert_eq!(cfg.policy("other", false).unwrap().prices, Prices::OPENAI);
        cfg.enabled = false;
        assert!(cfg.policy("gw", true).is_none());
    }

    #[test]
    fn bad_fields_are_named() {
        let names = ["gw".to_string()];
        let mut cfg = HistoryConfig {
            step: 0,
            ..Default::default()
        };
        let e = cfg.validate(names.iter()).unwrap_err();
        assert!(e.to_string().contains("proxy.history.step"), "{e}");
        cfg.step = 5;
        cfg.prices.insert("nope".into(), Prices::OPENAI);
        let e = cfg.validate(names.iter()).unwrap_err();
        assert!(e.to_string().contains("proxy.history.prices"), "{e}");
        assert!(e.to_string().contains("nope"), "{e}");
    }
}
