//! Per-line facts the scorer needs: where the payload starts (after a timestamp or CI column
//! prefix), the log level, stack-frame shape, exception headers, chatter vocabulary, and a
//! digit-insensitive template hash. All from the ANSI-free bytes of the line.

use kompress_core::{TokenKind, TokenizedText};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    None,
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    NotAFrame,
    /// `at pkg.Class.method(File.java:12)` (JVM, JS), `File "x.py", line 3` (Python), …
    Frame,
    /// `... 23 more`, `[…]` style elision lines inside a trace.
    More,
}

#[derive(Debug, Clone)]
pub struct LineFacts {
    pub blank: bool,
    /// Payload starts with whitespace (after any prefix): a continuation line.
    pub indented: bool,
    pub level: Level,
    /// Timestamp or CI-column prefix present.
    pub prefixed: bool,
    pub frame: FrameKind,
    /// Qualified name of the frame's code (`org.junit.runners.ParentRunner.run`).
    pub frame_name_hash_start: usize,
    /// `java.lang.IllegalStateException: …`, `ValueError: …`, `Caused by: …`.
    pub exception_header: bool,
    /// Starts with progress/chatter vocabulary (Downloading, Progress, Resolving, …).
    pub chatter: bool,
    /// Hash of the payload with digit runs removed (exact repeats modulo numbers).
    pub template: u64,
    /// Hash of the level plus first three words (coarse shape of log chatter).
    pub shape: u64,
}

/// Writes the line's bytes without ANSI escape tokens into `buf`.
pub fn clean_line(doc: &TokenizedText, line: usize, buf: &mut Vec<u8>) {
    buf.clear();
    let bytes = doc.text.as_bytes();
    for t in doc.tokens_of_line(line) {
        if t.kind != TokenKind::Ansi {
            buf.extend_from_slice(&bytes[t.start as usize..t.end as usize]);
        }
    }
}

const CHATTER: &[&[u8]] = &[
    b"Downloading",
    b"Downloaded",
    b"Download ",
    b"Progress",
    b"Fetching",
    b"Resolving",
    b"Resolved",
    b"Receiving objects",
    b"Resolving deltas",
    b"Unpacking",
    b"Extracting",
    b"Collecting",
    b"Requirement already satisfied",
    b"Using cached",
    b"Installing",
    b"Pulling",
    b"Pull complete",
    b"Waiting",
    b"Copying",
    b"Preparing",
    b"remote: ",
];

/// Skips a CI column prefix (`job\tstep\t2021-12-01T13:00:49.36Z `) or a leading timestamp.
fn payload_start(l: &[u8]) -> (usize, bool) {
    // tab-separated columns ending in an ISO timestamp (GitHub Actions exports)
    let mut pos = 0usize;
    let mut tabs = 0;
    while tabs < 3 {
        match l[pos..].iter().position(|&b| b == b'\t') {
            Some(p) => {
                pos += p + 1;
                tabs += 1;
                if let Some(after) = timestamp_len(&l[pos..]) {
                    let mut s = pos + after;
                    if l.get(s) == Some(&b' ') {
                        s += 1;
                    }
                    return (s, true);
                }
            }
            None => break,
        }
    }
    if let Some(after) = timestamp_len(l) {
        let mut s = after;
        while l.get(s) == Some(&b' ') && s < after + 1 {
            s += 1;
        }
        return (s, true);
    }
    if l.first() == Some(&b'[') {
        if let Some(after) = timestamp_len(&l[1..]) {
            if l.get(1 + after) == Some(&b']') {
                let s = 2 + after + usize::from(l.get(2 + after) == Some(&b' '));
                return (s, true);
            }
        }
    }
    (0, false)
}

/// Length of an ISO-8601-like timestamp at the start (`2021-12-01T13:00:49.3684254Z`,
/// `2019-12-09 12:32:03,123`), or None.
fn timestamp_len(s: &[u8]) -> Option<usize> {
    let d = |i: usize| s.get(i).is_some_and(|b| b.is_ascii_digit());
    if !(d(0)
        && d(1)
        && d(2)
        && d(3)
        && s.get(4) == Some(&b'-')
        && d(5)
        && d(6)
        && s.get(7) == Some(&b'-')
        && d(8)
        && d(9))
    {
        return None;
    }
    let mut i = 10;
    if matches!(s.get(i), Some(b'T') | Some(b' ')) && d(i + 1) {
        i += 1;
        while s
            .get(i)
            .is_some_and(|b| b.is_ascii_digit() || matches!(b, b':' | b'.' | b',' | b'Z' | b'+'))
        {
            i += 1;
        }
    }
    Some(i)
}

fn level_of(p: &[u8]) -> (Level, usize) {
    const TAGS: &[(&[u8], Level)] = &[
        (b"[INFO]", Level::Info),
        (b"[DEBUG]", Level::Debug),
        (b"[TRACE]", Level::Trace),
        (b"[WARNING]", Level::Warn),
        (b"[WARN]", Level::Warn),
        (b"[ERROR]", Level::Error),
        (b"INFO ", Level::Info),
        (b"INFO:", Level::Info),
        (b"DEBUG ", Level::Debug),
        (b"DEBUG:", Level::Debug),
        (b"TRACE ", Level::Trace),
        (b"WARN ", Level::Warn),
        (b"WARNING:", Level::Warn),
        (b"ERROR ", Level::Error),
        (b"ERROR:", Level::Error),
    ];
    for (tag, lv) in TAGS {
        if p.starts_with(tag) {
            return (*lv, tag.len());
        }
    }
    (Level::None, 0)
}

fn frame_of(t: &[u8]) -> (FrameKind, usize) {
    if let Some(rest) = t.strip_prefix(b"at ") {
        let name_end = rest
            .iter()
            .position(|&b| b == b'(' || b == b' ')
            .unwrap_or(rest.len());
        let has_paren = rest.contains(&b'(') || rest.ends_with(b")");
        if name_end > 0 && (has_paren || rest[..name_end].contains(&b'.')) {
            return (FrameKind::Frame, 3);
        }
    }
    if t.starts_with(b"File \"") && t.windows(7).any(|w| w == b", line ") {
        return (FrameKind::Frame, 0);
    }
    if t.starts_with(b"... ") && t.ends_with(b" more") {
        return (FrameKind::More, 0);
    }
    (FrameKind::NotAFrame, 0)
}

fn is_exception_header(t: &[u8]) -> bool {
    let t = t.strip_prefix(b"Caused by: ").unwrap_or(t);
    if t.starts_with(b"Exception in thread ") {
        return true;
    }
    let word_end = t
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'$')))
        .unwrap_or(t.len());
    let word = &t[..word_end];
    let follows_ok = match t.get(word_end) {
        None | Some(b':') => true,
        Some(b' ') => word.contains(&b'.'),
        _ => false,
    };
    follows_ok
        && word.len() > 4
        && (word.ends_with(b"Exception")
            || word.ends_with(b"Error")
            || word.ends_with(b"Throwable")
            || word.ends_with(b"Failure"))
}

fn hash_skip_digits(p: &[u8]) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    let mut start = 0;
    for (i, b) in p.iter().enumerate() {
        if b.is_ascii_digit() {
            if start < i {
                h.update(&p[start..i]);
            }
            start = i + 1;
        }
    }
    h.update(&p[start..]);
    h.digest()
}

fn shape_hash(level: Level, p: &[u8]) -> u64 {
    let mut words = 0;
    let mut end = p.len();
    let mut in_word = false;
    for (i, b) in p.iter().enumerate() {
        let w = b.is_ascii_alphabetic();
        if w && !in_word {
            words += 1;
            if words > 3 {
                end = i;
                break;
            }
        }
        in_word = w;
    }
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(&[level as u8]);
    for b in &p[..end] {
        if b.is_ascii_alphabetic() {
            h.update(&[*b]);
        }
    }
    h.digest()
}

/// Facts of one ANSI-free line.
pub fn facts(l: &[u8]) -> LineFacts {
    let (ps, prefixed) = payload_start(l);
    let p = &l[ps..];
    let (level, lv_len) = level_of(p);
    let body = &p[lv_len..];
    let body = body.strip_prefix(b" ").unwrap_or(body);
    let trimmed_start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let t = &body[trimmed_start..];
    let (frame, name_off) = frame_of(t);
    LineFacts {
        blank: t.is_empty(),
        indented: trimmed_start > 0,
        level,
        prefixed,
        frame,
        frame_name_hash_start: ps + lv_len + trimmed_start + name_off,
        exception_header: frame == FrameKind::NotAFrame && is_exception_header(t),
        chatter: CHATTER.iter().any(|c| t.starts_with(c)),
        template: hash_skip_digits(p),
        shape: shape_hash(level, t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_actions_prefix_is_skipped() {
        let f = facts(b"build\trun tests\t2021-12-01T13:01:04.3811085Z     java.lang.IllegalArgumentException at X.java:61");
        assert!(f.prefixed);
        assert!(f.indented);
        assert!(f.exception_header);
    }

    #[test]
    fn java_python_frames_and_more_lines() {
        assert_eq!(
            facts(b"\tat org.jfree.data.TimeSeries.createCopy(TimeSeries.java:883)").frame,
            FrameKind::Frame
        );
        assert_eq!(
            facts(b"    at java.io.File.createNewFile (File.java:1026)").frame,
            FrameKind::Frame
        );
        assert_eq!(
            facts(b"  File \"x.py\", line 3, in <module>").frame,
            FrameKind::Frame
        );
        assert_eq!(facts(b"\t... 23 more").frame, FrameKind::More);
        assert_eq!(facts(b"at the end of the day").frame, FrameKind::NotAFrame);
    }

    #[test]
    fn levels_and_chatter() {
        let f = facts(b"[INFO] Downloading from central: https://repo/x.pom");
        assert_eq!(f.level, Level::Info);
        assert!(f.chatter);
        assert_eq!(facts(b"[ERROR] boom").level, Level::Error);
    }

    #[test]
    fn templates_ignore_numbers_only() {
        assert_eq!(
            facts(b"Progress (1): 2.3/4.5 kB").template,
            facts(b"Progress (1): 9.1/4.5 kB").template
        );
        assert_ne!(
            facts(b"-rw-r--r-- 1 root a.txt").template,
            facts(b"-rw-r--r-- 1 root b.txt").template
        );
    }

    #[test]
    fn exception_headers() {
        assert!(
            facts(b"java.lang.IllegalArgumentException: Requires start <= end.").exception_header
        );
        assert!(facts(b"Caused by: java.io.IOException").exception_header);
        assert!(facts(b"ValueError: bad").exception_header);
        assert!(!facts(b"Error handling is described below").exception_header);
    }
}
