//! Prefix-stable compression. Each compressible string (a tool result, a message) is
//! compressed on its own, as plain text, keyed by a hash of its text and the config
//! fingerprint; results live in a bounded LRU. So a message compresses the same way every
//! turn, resent history costs a cache lookup, and turn N+1's compressed prefix is turn N's
//! output byte for byte. Kept bytes are copied from the request; only edits are spliced in.
//! The cache is bounded by entries and by accounted bytes ([`cache`]).

mod cache;
mod cited;
mod compact;
mod edit;
mod repeat;

use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use kompress_core::{CompressionConfig, Eviction, Format};
use kompress_pipeline::assemble::{splice_segment, EditView};
use kompress_pipeline::jsonspan::{self, JNode, JVal};
use kompress_pipeline::transcript::{self, Segment};
use kompress_pipeline::{CompressRequest, Pipeline};
use serde::Serialize;

use crate::error::ServeError;
use crate::metrics::Metrics;
use cache::BoundedLru;
pub use cache::CacheUsage;
pub use repeat::RepeatConfig;

/// Default byte budget of the prefix cache (`cache_max_bytes`).
pub const DEFAULT_CACHE_MAX_BYTES: usize = 64 << 20;

/// What one text compressed to: the pipeline's edits in the text's own coordinates.
struct Compressed {
    edits: Vec<Eviction>,
    tokens_in: usize,
    tokens_out: usize,
    floor_hits: usize,
}

impl Compressed {
    /// Bytes this entry holds in the cache under its key: the key, the LRU node and map slot,
    /// the shared allocation, the edit records and every string they own.
    fn accounted_bytes(&self) -> usize {
        const NODE: usize = 64; // lru node (key, value, links) plus its hash-map slot
        let strings: usize = self
            .edits
            .iter()
            .map(|e| {
                e.transcript_id.capacity()
                    + e.original.capacity()
                    + e.replacement.capacity()
                    + e.decoded.as_ref().map_or(0, String::capacity)
                    + e.handle.capacity()
                    + e.hash.capacity()
            })
            .sum();
        std::mem::size_of::<u128>()
            + NODE
            + 2 * std::mem::size_of::<usize>() // Arc counts
            + std::mem::size_of::<Compressed>()
            + self.edits.capacity() * std::mem::size_of::<Eviction>()
            + strings
    }
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct StableStats {
    pub bytes_in: usize,
    pub bytes_out: usize,
    /// Word tokens of the compressible strings before and after.
    pub tokens_in: usize,
    pub tokens_out: usize,
    pub floor_hits: usize,
    pub segments: usize,
    pub segments_compressed: usize,
    /// Old tool results compacted by the history policy.
    pub segments_compacted: usize,
    pub cache_hits: usize,
    pub pipeline_calls: usize,
    pub micros_total: u64,
}

pub struct Outcome {
    pub output: String,
    pub evictions: Vec<Eviction>,
    pub stats: StableStats,
}

/// Which strings of a request to leave alone beyond the role policy.
#[derive(Debug, Clone, Default)]
pub struct Protect {
    /// Never compress the text of the last `user` message (tool results in it still are).
    pub latest_user: bool,
    /// Tool names whose results stay untouched.
    pub skip_tools: Vec<String>,
    /// Compact old tool results by this policy (`history.rs`); transcripts only.
    pub history: Option<crate::history::HistoryPolicy>,
    /// Elide runs of lines an earlier tool result already shows (`stable/repeat.rs`);
    /// transcripts only.
    pub repeats: Option<RepeatConfig>,
}

pub struct StableCompressor {
    pipeline: Pipeline,
    cache: Mutex<BoundedLru<Compressed>>,
    metrics: Arc<Metrics>,
}

/// The cache key of `text` under a `[compression]` fingerprint and a pipeline identity
/// (pruner, `[stat]`, floor).
fn key(cfg_fp: u64, identity: u64, text: &str) -> u128 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(&cfg_fp.to_le_bytes());
    h.update(&identity.to_le_bytes());
    h.update(text.as_bytes());
    h.digest128()
}

impl StableCompressor {
    /// A compressor whose cache holds at most `entries` results and
    /// [`DEFAULT_CACHE_MAX_BYTES`].
    pub fn new(pipeline: Pipeline, entries: usize, metrics: Arc<Metrics>) -> Self {
        Self::with_limits(pipeline, entries, DEFAULT_CACHE_MAX_BYTES, metrics)
    }

    /// A compressor whose cache holds at most `entries` results and `max_bytes` accounted
    /// bytes, evicting the least recently used until both hold.
    pub fn with_limits(
        pipeline: Pipeline,
        entries: usize,
        max_bytes: usize,
        metrics: Arc<Metrics>,
    ) -> Self {
        StableCompressor {
            pipeline,
            cache: Mutex::new(BoundedLru::new(entries, max_bytes)),
            metrics,
        }
    }

    pub fn cache_len(&self) -> usize {
        self.cache.lock().expect("cache lock").len()
    }

    /// Entries, accounted bytes and evictions of the prefix cache.
    pub fn cache_usage(&self) -> CacheUsage {
        self.cache.lock().expect("cache lock").usage()
    }

    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// Compresses `input` (plain text, or a JSON transcript in `format`) string by string.
    pub async fn compress(
        &self,
        input: &str,
        format: Format,
        cfg: &CompressionConfig,
        transcript_id: &str,
        protect: &Protect,
    ) -> Result<Outcome, ServeError> {
        let t0 = Instant::now();
        cfg.validate()
            .map_err(kompress_pipeline::PipelineError::from)?;
        if input.is_empty() {
            return Err(kompress_pipeline::PipelineError::from(
                kompress_core::CoreError::EmptyInput,
            )
            .into());
        }
        if input.len() > cfg.max_bytes {
            let e = kompress_core::CoreError::Oversized {
                size: input.len(),
                limit: cfg.max_bytes,
            };
            return Err(kompress_pipeline::PipelineError::from(e).into());
        }
        let (segments, is_json, cited) = match format {
            Format::Text => (
                vec![Segment {
                    message_index: 0,
                    role: "tool".into(),
                    raw: 0..input.len(),
                    text: input.to_string(),
                }],
                false,
                Vec::new(),
            ),
            f => {
                let root =
                    jsonspan::parse(input).map_err(kompress_pipeline::PipelineError::from)?;
                let segs = transcript::segments(&root, f, &cfg.roles)
                    .map_err(kompress_pipeline::PipelineError::from)?;
                let segs = filter_protected(&root, segs, protect);
                // the agent's words matter only once a compaction step can be reached
                let tools = segs.iter().filter(|s| s.role == "tool").count();
                let cited = match protect.history {
                    Some(p) if tools >= p.keep_recent + p.step => {
                        cited::assistant_words(messages(&root))
                    }
                    _ => Vec::new(),
                };
                (segs, true, cited)
            }
        };
        let fp = cfg.fingerprint();
        let mut results =
            futures::future::try_join_all(segments.iter().map(|s| self.one(fp, &s.text, cfg)))
                .await?;
        if let (Some(p), true) = (&protect.repeats, is_json) {
            repeat::elide(&segments, &mut results, p);
        }
        let segments_compacted = match (&protect.history, is_json) {
            (Some(p), true) => {
                self.compact(&segments, &mut results, cfg, p, &cited)
                    .await?
            }
            _ => 0,
        };
        let mut stats = StableStats {
            bytes_in: input.len(),
            segments: segments.len(),
            segments_compacted,
            ..Default::default()
        };
        let mut out = String::with_capacity(input.len());
        let mut evictions = Vec::new();
        let mut pos = 0usize;
        for (seg, (res, cached)) in segments.iter().zip(results) {
            stats.cache_hits += usize::from(cached);
            stats.pipeline_calls += usize::from(!cached && res.is_some());
            let Some(c) = res else { continue };
            stats.tokens_in += c.tokens_in;
            stats.tokens_out += c.tokens_out;
            stats.floor_hits += c.floor_hits;
            if c.edits.is_empty() {
                continue;
            }
            stats.segments_compressed += 1;
            out.push_str(&input[pos..seg.raw.start]);
            splice_segment(
                input,
                seg,
                c.edits.iter().map(EditView::from),
                is_json,
                transcript_id,
                &mut out,
                &mut evictions,
            );
            pos = seg.raw.end;
        }
        out.push_str(&input[pos..]);
        stats.bytes_out = out.len();
        stats.micros_total = t0.elapsed().as_micros() as u64;
        self.metrics.add_stats(
            stats.tokens_in,
            stats.tokens_out,
            stats.bytes_in,
            stats.bytes_out,
            stats.floor_hits,
            evictions.len(),
        );
        Ok(Outcome {
            output: out,
            evictions,
            stats,
        })
    }

    /// One string: `None` when too short to compress; the flag says it came from the cache.
    async fn one(
        &self,
        fp: u64,
        text: &str,
        cfg: &CompressionConfig,
    ) -> Result<(Option<Arc<Compressed>>, bool), ServeError> {
        if text.len() < cfg.min_bytes {
            return Ok((None, false));
        }
        let k = key(fp, self.pipeline.identity(), text);
        if let Some(c) = self.cache.lock().expect("cache lock").get(&k) {
            self.metrics.cache_hits.fetch_add(1, Relaxed);
            return Ok((Some(c.clone()), true));
        }
        self.metrics.pipeline_calls.fetch_add(1, Relaxed);
        self.metrics
            .pipeline_bytes
            .fetch_add(text.len() as u64, Relaxed);
        let t = Instant::now();
        let resp = self
            .pipeline
            .compress(CompressRequest {
                transcript_id: String::new(),
                format: Format::Text,
                input: text.to_string(),
                config: cfg.clone(),
            })
            .await?;
        self.metrics.observe("stage:pipeline", t.elapsed());
        let c = Arc::new(Compressed {
            edits: resp.evictions,
            tokens_in: resp.stats.tokens_in,
            tokens_out: resp.stats.tokens_out,
            floor_hits: resp.stats.floor_hits,
        });
        let bytes = c.accounted_bytes();
        self.cache
            .lock()
            .expect("cache lock")
            .put(k, c.clone(), bytes);
        Ok((Some(c), false))
    }
}

/// The messages (Responses: the `input` items).
fn messages(root: &JNode) -> &[JNode] {
    match &root.val {
        JVal::Arr(a) => a,
        _ => root
            .get("messages")
            .or_else(|| root.get("input"))
            .and_then(JNode::as_array)
            .unwrap_or(&[]),
    }
}

/// Drops segments of the latest user turn's own text and of results of skipped tools.
fn filter_protected(root: &JNode, segs: Vec<Segment>, p: &Protect) -> Vec<Segment> {
    let msgs = messages(root);
    let last_user = msgs
        .iter()
        .rposition(|m| m.get("role").and_then(JNode::as_str) == Some("user"));
    let skipped = skipped_tool_ranges(msgs, &p.skip_tools);
    segs.into_iter()
        .filter(|s| {
            !(p.latest_user && Some(s.message_index as usize) == last_user && s.role == "user")
        })
        .filter(|s| {
            !skipped
                .iter()
                .any(|r| r.start <= s.raw.start && s.raw.end <= r.end)
        })
        .collect()
}

/// Byte spans of tool results produced by tools named in `skip`: OpenAI tool messages with
/// that `name` or answering a `tool_calls` entry with that function name; Anthropic
/// `tool_result` blocks answering a `tool_use` with that name; Responses `*_output` items
/// answering a `function_call` with that name.
fn skipped_tool_ranges(msgs: &[JNode], skip: &[String]) -> Vec<std::ops::Range<usize>> {
    if skip.is_empty() {
        return Vec::new();
    }
    let skip_name = |n: Option<&str>| n.is_some_and(|n| skip.iter().any(|s| s == n));
    let mut ids: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for m in msgs {
        for call in m.get("tool_calls").and_then(JNode::as_array).unwrap_or(&[]) {
            if skip_name(
                call.get("function")
                    .and_then(|f| f.get("name"))
                    .and_then(JNode::as_str),
            ) {
                ids.extend(call.get("id").and_then(JNode::as_str).map(str::to_string));
            }
        }
        let blocks = m.get("content").and_then(JNode::as_array).unwrap_or(&[]);
        for b in blocks {
            if b.get("type").and_then(JNode::as_str) == Some("tool_use")
                && skip_name(b.get("name").and_then(JNode::as_str))
            {
                ids.extend(b.get("id").and_then(JNode::as_str).map(str::to_string));
            }
            let answers = b.get("tool_use_id").and_then(JNode::as_str);
            if b.get("type").and_then(JNode::as_str) == Some("tool_result")
                && answers.is_some_and(|id| ids.iter().any(|x| x == id))
            {
                out.push(b.span.clone());
            }
        }
        // Responses: a `function_call` item names the tool, its `*_output` item answers the
        // same `call_id`
        let kind = m.get("type").and_then(JNode::as_str);
        let call_id = m.get("call_id").and_then(JNode::as_str);
        if matches!(kind, Some("function_call" | "custom_tool_call"))
            && skip_name(m.get("name").and_then(JNode::as_str))
        {
            ids.extend(call_id.map(str::to_string));
            continue;
        }
        let answers = m.get("tool_call_id").and_then(JNode::as_str).or(call_id);
        if skip_name(m.get("name").and_then(JNode::as_str))
            || answers.is_some_and(|id| ids.iter().any(|x| x == id))
        {
            out.push(m.span.clone());
        }
    }
    out
}
