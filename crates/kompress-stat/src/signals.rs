//! Error and warning vocabulary, found in one Aho-Corasick pass over the whole text.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// How strongly a word says "something went wrong here".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    None = 0,
    Medium = 1,
    Strong = 2,
}

const STRONG: &[&str] = &[
    "error",
    "exception",
    "fatal",
    "panic",
    "traceback",
    "fail",
    "caused by",
    "segmentation fault",
    "core dumped",
    "abort",
    "killed",
    "assert",
    "throwable",
    "stack overflow",
    "out of memory",
    "no space left",
];

const MEDIUM: &[&str] = &[
    "warning",
    "warn:",
    "cannot",
    "can't",
    "could not",
    "couldn't",
    "unable to",
    "not found",
    "undefined",
    "denied",
    "refused",
    "timed out",
    "timeout",
    "invalid",
    "missing",
    "unexpected",
    "expected",
    "no such",
    "errno",
    "unresolved",
    "deprecated",
    "exit code",
    "exit status",
];

pub struct Signals {
    ac: AhoCorasick,
    n_strong: usize,
}

impl Signals {
    pub fn new() -> Signals {
        let pats: Vec<&str> = STRONG.iter().chain(MEDIUM.iter()).copied().collect();
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(pats)
            .expect("static signal vocabulary builds");
        Signals {
            ac,
            n_strong: STRONG.len(),
        }
    }

    /// Severity of one line (its content without terminator). A count of zero
    /// ("Failures: 0", "0 errors") is not a signal.
    pub fn severity(&self, line: &[u8]) -> Severity {
        let mut best = Severity::None;
        for m in self.ac.find_iter(line) {
            if is_zero_count(line, m.start(), m.end()) {
                continue;
            }
            let s = if m.pattern().as_usize() < self.n_strong {
                Severity::Strong
            } else {
                Severity::Medium
            };
            if s > best {
                best = s;
                if best == Severity::Strong {
                    break;
                }
            }
        }
        best
    }
}

impl Default for Signals {
    fn default() -> Self {
        Signals::new()
    }
}

/// `Failures: 0`, `errors=0`, `0 errors`, `0 failed`: the word reports that nothing went wrong.
fn is_zero_count(line: &[u8], start: usize, end: usize) -> bool {
    // skip the rest of the word (errors, failures, failed)
    let mut j = end;
    while j < line.len() && line[j].is_ascii_alphabetic() {
        j += 1;
    }
    let rest = &line[j..];
    let after = rest
        .iter()
        .position(|b| !matches!(b, b' ' | b':' | b'=' | b'\t'))
        .map(|p| &rest[p..])
        .unwrap_or(&[]);
    if after.first() == Some(&b'0')
        && !after
            .get(1)
            .is_some_and(|b| b.is_ascii_digit() || *b == b'.')
    {
        return true;
    }
    let before = &line[..start];
    let trimmed = before.strip_suffix(b" ").unwrap_or(before);
    trimmed.ends_with(b" 0") || trimmed == b"0" || trimmed.ends_with(b"(0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_words_are_strong_and_warnings_medium() {
        let s = Signals::new();
        assert_eq!(
            s.severity(b"[ERROR] Failed to execute goal"),
            Severity::Strong
        );
        assert_eq!(
            s.severity(b"java.lang.IllegalArgumentException: x"),
            Severity::Strong
        );
        assert_eq!(s.severity(b"[WARNING] deprecated API"), Severity::Medium);
        assert_eq!(s.severity(b"[INFO] Building jar"), Severity::None);
    }

    #[test]
    fn zero_counts_are_not_signals() {
        let s = Signals::new();
        assert_eq!(
            s.severity(b"Tests run: 5, Failures: 0, Errors: 0, Skipped: 0"),
            Severity::None
        );
        assert_eq!(s.severity(b"0 errors, 0 warnings"), Severity::None);
        assert_eq!(
            s.severity(b"Tests run: 5, Failures: 2, Errors: 0"),
            Severity::Strong
        );
    }
}
