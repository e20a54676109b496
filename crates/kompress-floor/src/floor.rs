//! The compiled floor: every pattern of every category in one multi-pattern regex, searched
//! once, leftmost-first, so the category listed first wins where two could start.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use regex_automata::meta::{self, Regex};
use regex_automata::util::syntax;
use regex_automata::Input;

use crate::ansi;
use crate::config::{self, Keep, Merged, ResolvedCategory};
use crate::error::FloorError;

/// The default pattern set, compiled into the binary.
pub const EMBEDDED_TOML: &str = include_str!("../floor.toml");

/// One critical span: bytes `[start, end)` of the scanned text, matched by `category`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FloorHit {
    pub start: u32,
    pub end: u32,
    pub category: u16,
}

impl FloorHit {
    pub fn text<'a>(&self, text: &'a str) -> &'a str {
        &text[self.start as usize..self.end as usize]
    }
}

#[derive(Debug)]
struct Category {
    name: String,
    keep: Keep,
}

#[derive(Debug)]
struct Inner {
    regex: Regex,
    /// Category of each pattern id.
    pattern_category: Vec<u16>,
    /// Each pattern with its vars expanded, by pattern id.
    patterns: Vec<String>,
    categories: Vec<Category>,
    /// Hash of the categories (name, keep) and their expanded patterns, in priority order.
    fingerprint: u64,
}

/// The safety floor. Cheap to clone (one `Arc`), `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Floor {
    inner: Arc<Inner>,
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Floor>();
};

fn embedded_merged() -> &'static Merged {
    static MERGED: OnceLock<Merged> = OnceLock::new();
    MERGED.get_or_init(|| {
        config::merge(EMBEDDED_TOML, None).expect("embedded floor.toml parses (tested)")
    })
}

fn syntax_config() -> syntax::Config {
    syntax::Config::new()
}

impl Floor {
    /// The embedded default pattern set. Compiled once per process, then shared.
    pub fn embedded_default() -> Floor {
        static DEFAULT: OnceLock<Floor> = OnceLock::new();
        DEFAULT
            .get_or_init(|| {
                let cats = config::resolve(embedded_merged()).expect("embedded vars resolve");
                Floor::build(cats).expect("embedded floor.toml compiles (tested)")
            })
            .clone()
    }

    /// A floor from a TOML config. With `base = "default"` (the default) the file is laid
    /// over the embedded defaults; with `base = "none"` it stands alone.
    pub fn from_toml(src: &str) -> Result<Floor, FloorError> {
        let merged = config::merge(src, Some(embedded_merged()))?;
        Floor::build(config::resolve(&merged)?)
    }

    pub fn from_file(path: &Path) -> Result<Floor, FloorError> {
        let src = std::fs::read_to_string(path).map_err(|source| FloorError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Floor::from_toml(&src)
    }

    fn build(cats: Vec<ResolvedCategory>) -> Result<Floor, FloorError> {
        let mut patterns = Vec::new();
        let mut pattern_category = Vec::new();
        for (ci, cat) in cats.iter().enumerate() {
            for (index, (raw, expanded)) in cat.patterns.iter().enumerate() {
                check_pattern(&cat.name, index, raw, expanded)?;
                patterns.push(expanded.clone());
                pattern_category.push(ci as u16);
            }
        }
        let regex = Regex::builder()
            .syntax(syntax_config())
            .configure(
                Regex::config()
                    .match_kind(regex_automata::MatchKind::LeftmostFirst)
                    .nfa_size_limit(Some(64 << 20))
                    .hybrid_cache_capacity(8 << 20),
            )
            .build_many(&patterns)
            .map_err(|e| locate_build_error(&cats, e))?;
        let categories: Vec<Category> = cats
            .into_iter()
            .map(|c| Category {
                name: c.name,
                keep: c.keep,
            })
            .collect();
        let fingerprint = fingerprint_of(&categories, &pattern_category, &patterns);
        Ok(Floor {
            inner: Arc::new(Inner {
                regex,
                pattern_category,
                patterns,
                categories,
                fingerprint,
            }),
        })
    }

    /// All critical spans of `text`: sorted, non-overlapping, on char boundaries, never
    /// starting or ending inside an ANSI escape (patterns see escapes as spaces). Texts
    /// longer than `u32::MAX` bytes are scanned up to that limit.
    pub fn scan(&self, text: &str) -> Vec<FloorHit> {
        let text = clamp_to_u32(text);
        let blanked = ansi::blank_escapes(text);
        let haystack = blanked.as_deref().unwrap_or(text);
        let mut hits = Vec::with_capacity(text.len() / 24 + 4);
        for_each_match(&self.inner.regex, haystack, |pid, s, e| {
            let (start, end) = match &blanked {
                Some(b) => ansi::trim_blanked(text.as_bytes(), b.as_bytes(), s, e),
                None => (s, e),
            };
            if start < end {
                hits.push(FloorHit {
                    start: start as u32,
                    end: end as u32,
                    category: self.inner.pattern_category[pid],
                });
            }
        });
        hits
    }

    pub fn category_name(&self, id: u16) -> &str {
        &self.inner.categories[usize::from(id)].name
    }

    pub fn category_keep(&self, id: u16) -> Keep {
        self.inner.categories[usize::from(id)].keep
    }

    pub fn category_id(&self, name: &str) -> Option<u16> {
        self.inner
            .categories
            .iter()
            .position(|c| c.name == name)
            .map(|i| i as u16)
    }

    /// Category names in priority order; the position is the category id.
    pub fn categories(&self) -> impl Iterator<Item = &str> {
        self.inner.categories.iter().map(|c| c.name.as_str())
    }

    /// A stable 64-bit hash of what this floor matches and keeps (categories, their keep
    /// rule, every expanded pattern, in priority order): two floors with the same fingerprint
    /// force the same spans. Part of the pipeline's identity (cache keys, record ids).
    pub fn fingerprint(&self) -> u64 {
        self.inner.fingerprint
    }

    /// Every compiled pattern (vars expanded) with its category id, in priority order.
    pub fn patterns(&self) -> impl Iterator<Item = (u16, &str)> {
        let inner = &self.inner;
        inner
            .pattern_category
            .iter()
            .copied()
            .zip(inner.patterns.iter().map(String::as_str))
    }
}

/// FNV-1a over length-prefixed fields, so that no two different lists hash alike by
/// concatenation.
fn fingerprint_of(categories: &[Category], pattern_category: &[u16], patterns: &[String]) -> u64 {
    let mut h = 0xCBF2_9CE4_8422_2325u64;
    let mut field = |bytes: &[u8]| {
        for b in (bytes.len() as u64).to_le_bytes().iter().chain(bytes) {
            h = (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01B3);
        }
    };
    for c in categories {
        field(c.name.as_bytes());
        field(format!("{:?}", c.keep).as_bytes());
    }
    for (ci, p) in pattern_category.iter().zip(patterns) {
        field(&ci.to_le_bytes());
        field(p.as_bytes());
    }
    h
}

/// Longest stretch of a line searched at once; longer lines are searched in windows that
/// overlap by [`OVERLAP`] bytes.
const WINDOW: usize = 1024;
const OVERLAP: usize = 256;

/// Calls `f(pattern, start, end)` for each leftmost-first match, searching line by line.
///
/// No pattern crosses a line terminator, so a search limited to one line finds what a search
/// of the whole text would, while its look-ahead stops at the line's end. After each match
/// the search resumes at the match's end, and a pattern still alive there (say, a file name
/// waiting for `:line`) is followed again to where it dies: within one line that is at most
/// the line, and within a long line at most one window. So the cost is linear in the text
/// even for a 10 MB line of short matches, where an unbounded search would be quadratic.
/// A match longer than `WINDOW` bytes on a line longer than `WINDOW` is cut at a window's
/// end (and the rest, if it matches, becomes a hit of its own).
fn for_each_match(regex: &Regex, haystack: &str, mut f: impl FnMut(usize, usize, usize)) {
    let bytes = haystack.as_bytes();
    let n = bytes.len();
    let mut line_start = 0;
    while line_start < n {
        let line_end =
            memchr::memchr2(b'\n', b'\r', &bytes[line_start..]).map_or(n, |i| line_start + i);
        let mut pos = line_start;
        while pos < line_end {
            let long = line_end - pos > WINDOW;
            let window_end = if long {
                floor_boundary(haystack, pos + WINDOW)
            } else {
                line_end
            };
            let input = Input::new(haystack).span(pos..window_end);
            match regex.search(&input) {
                // A match that reaches the end of a window may have been cut there: search
                // again from its start, which gives it a whole window of its own.
                Some(m) if long && m.end() == window_end && m.start() > pos => pos = m.start(),
                Some(m) if m.end() > m.start() => {
                    f(m.pattern().as_usize(), m.start(), m.end());
                    pos = m.end();
                }
                Some(m) => pos = ceil_boundary(haystack, m.end() + 1),
                None if long => pos = floor_boundary(haystack, window_end - OVERLAP),
                None => break,
            }
        }
        line_start = line_end + 1;
    }
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

fn clamp_to_u32(text: &str) -> &str {
    let max = u32::MAX as usize;
    if text.len() <= max {
        return text;
    }
    &text[..floor_boundary(text, max)]
}

/// Checks one pattern alone so that an error names its category and index, and rejects
/// patterns that can match the empty string (they would mark nothing and stall nothing,
/// but they are always a mistake).
fn check_pattern(
    category: &str,
    index: usize,
    raw: &str,
    expanded: &str,
) -> Result<(), FloorError> {
    let err = |reason: String| FloorError::Pattern {
        category: category.to_string(),
        index,
        pattern: raw.to_string(),
        reason,
        source: None,
    };
    let hir = syntax::parse_with(expanded, &syntax_config()).map_err(|e| err(e.to_string()))?;
    if hir.properties().minimum_len() == Some(0) {
        return Err(err("can match the empty string".to_string()));
    }
    Ok(())
}

/// When the combined build fails, finds the first pattern that fails alone.
fn locate_build_error(cats: &[ResolvedCategory], e: meta::BuildError) -> FloorError {
    for cat in cats {
        for (index, (raw, expanded)) in cat.patterns.iter().enumerate() {
            if let Err(single) = Regex::builder().syntax(syntax_config()).build(expanded) {
                return FloorError::Pattern {
                    category: cat.name.clone(),
                    index,
                    pattern: raw.clone(),
                    reason: single.to_string(),
                    source: Some(Box::new(single)),
                };
            }
        }
    }
    let patterns = cats.iter().map(|c| c.patterns.len()).sum();
    FloorError::Build {
        patterns,
        source: Box::new(e),
    }
}
