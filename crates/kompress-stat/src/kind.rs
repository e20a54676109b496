//! Which kind of tool output a text is, from the shape of its lines alone (no content
//! vocabulary of any one tool): JSON documents, diffs, git logs, then the share of lines that
//! look like listing rows, search hits, log records or code.

use kompress_core::{TextKind, TokenizedText};

use crate::lines::clean_line;

/// Lines looked at (spread over the text); enough to tell the kind, bounded for huge inputs.
const SAMPLE: usize = 4000;

#[derive(Default, Debug)]
struct Counts {
    nonblank: usize,
    /// Non-blank lines that start with whitespace (continuations: trace frames, wrapped text).
    indented: usize,
    listing: usize,
    dir_header: usize,
    bare: usize,
    search: usize,
    log: usize,
    code: usize,
    frame: usize,
    diff_header: usize,
    hunk: usize,
    commit: usize,
    ps_header: bool,
}

/// `-rw-r--r--`, `drwxr-xr-x.`, `lrwxrwxrwx`: the mode column of `ls -l`.
fn is_ls_row(l: &[u8]) -> bool {
    if l.len() < 11 || !b"-dlcbpsD".contains(&l[0]) {
        return false;
    }
    let perms_ok = l[1..10].iter().all(|b| b"rwxsStTl-".contains(b));
    let after = l[10];
    perms_ok && (after == b' ' || (b".+@".contains(&after) && l.get(11) == Some(&b' ')))
}

/// `4.0K\tpath` (du), `12\tpath`.
fn is_du_row(l: &[u8]) -> bool {
    let Some(tab) = l.iter().position(|&b| b == b'\t') else {
        return false;
    };
    let size = l[..tab].trim_ascii();
    !size.is_empty()
        && size[0].is_ascii_digit()
        && size
            .iter()
            .all(|b| b.is_ascii_digit() || b".,KMGTPkB".contains(b))
        && tab + 1 < l.len()
}

fn is_tree_row(l: &[u8]) -> bool {
    let s = String::from_utf8_lossy(l);
    s.contains("├── ") || s.contains("└── ") || s.starts_with('│') || s.contains("|-- ")
}

/// `NAME=value` (env, printenv).
fn is_env_row(l: &[u8]) -> bool {
    let Some(eq) = l.iter().position(|&b| b == b'=') else {
        return false;
    };
    eq > 0
        && (l[0].is_ascii_alphabetic() || l[0] == b'_')
        && l[..eq]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

/// `path:12:` or `path:12-` at the start (grep -n, rg -n; `-` is a context line).
fn is_search_row(l: &[u8]) -> bool {
    let Some(c) = l.iter().position(|&b| b == b':') else {
        return false;
    };
    let path = &l[..c];
    let date = path.len() >= 5 && path[..4].iter().all(u8::is_ascii_digit) && path[4] == b'-';
    if c == 0
        || date
        || path.iter().any(|b| b.is_ascii_whitespace())
        || !path
            .iter()
            .any(|b| b.is_ascii_alphabetic() || matches!(b, b'/' | b'.'))
    {
        return false;
    }
    let d = l[c + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
    d > 0 && matches!(l.get(c + 1 + d), Some(b':') | Some(b'-'))
}

/// A time of day `12:34:56` in the first 64 bytes, a `[  12.345678]` uptime stamp, or a
/// level word near the start: what log records share whatever their format.
fn is_log_row(l: &[u8]) -> bool {
    let head = &l[..l.len().min(64)];
    let tod = head.windows(8).any(|w| {
        w[0].is_ascii_digit()
            && w[1].is_ascii_digit()
            && w[2] == b':'
            && w[3].is_ascii_digit()
            && w[4].is_ascii_digit()
            && w[5] == b':'
            && w[6].is_ascii_digit()
            && w[7].is_ascii_digit()
    });
    if tod {
        return true;
    }
    if l.first() == Some(&b'[') {
        let inner: Vec<u8> = l[1..].iter().take_while(|b| **b != b']').copied().collect();
        let t = inner.trim_ascii();
        if !t.is_empty() && t.iter().all(|b| b.is_ascii_digit() || *b == b'.') && t.contains(&b'.')
        {
            return true;
        }
    }
    const LEVELS: &[&[u8]] = &[
        b"INFO",
        b"WARN",
        b"WARNING",
        b"ERROR",
        b"DEBUG",
        b"TRACE",
        b"FATAL",
        b"NOTICE",
        b"SEVERE",
        b"CRITICAL",
    ];
    let head = &l[..l.len().min(64)];
    head.split(|b| !(b.is_ascii_alphabetic()))
        .skip(1) // a level word is never the line's first word in a record with a prefix
        .any(|w| LEVELS.contains(&w))
        && head.iter().take(24).any(|b| b.is_ascii_digit())
}

fn is_code_row(t: &[u8]) -> bool {
    const KW: &[&str] = &[
        "def ",
        "class ",
        "fn ",
        "pub ",
        "use ",
        "import ",
        "from ",
        "#include",
        "return",
        "if ",
        "if(",
        "for ",
        "for(",
        "while ",
        "let ",
        "const ",
        "struct ",
        "impl ",
        "function ",
        "var ",
        "static ",
        "async ",
        "elif ",
        "else",
        "try:",
        "except",
        "#define",
        "package ",
        "public ",
        "private ",
        "protected ",
        "mod ",
        "enum ",
        "typedef ",
        "@",
        "//",
        "/*",
        "* ",
        "*/",
        "# ",
        "\"\"\"",
    ];
    let s = String::from_utf8_lossy(t);
    // a closing parenthesis ends a call (`f(x)`), not a parenthetical remark (`done (3 s)`)
    let call = t.last() == Some(&b')')
        && t.iter()
            .rposition(|&b| b == b'(')
            .is_some_and(|i| i > 0 && (t[i - 1].is_ascii_alphanumeric() || t[i - 1] == b'_'));
    let ends = call
        || matches!(
            t.last(),
            Some(b'{') | Some(b'}') | Some(b';') | Some(b':') | Some(b',') | Some(b'(')
        );
    ends || KW.iter().any(|k| s.starts_with(k))
}

fn is_bare(t: &[u8]) -> bool {
    !t.is_empty() && !t.iter().any(|b| b.is_ascii_whitespace())
}

fn is_hex_sha(w: &[u8]) -> bool {
    (w.len() == 40 || w.len() == 64) && w.iter().all(|b| b.is_ascii_hexdigit())
}

fn count(doc: &TokenizedText) -> Counts {
    let n = doc.lines.len();
    let step = n.div_ceil(SAMPLE).max(1);
    let mut c = Counts::default();
    let mut buf = Vec::with_capacity(256);
    for li in (0..n).step_by(step) {
        clean_line(doc, li, &mut buf);
        let l = buf.trim_ascii_end();
        let t = l.trim_ascii_start();
        if t.is_empty() {
            continue;
        }
        c.nonblank += 1;
        c.indented += usize::from(t.len() < l.len());
        if l.starts_with(b"diff --git ") || l.starts_with(b"+++ ") {
            c.diff_header += 1;
        }
        if l.starts_with(b"@@ -") && l[4..].windows(3).any(|w| w == b" @@") {
            c.hunk += 1;
        }
        if let Some(rest) = l.strip_prefix(b"commit ") {
            if is_hex_sha(rest.split(|b| *b == b' ').next().unwrap_or(b"")) {
                c.commit += 1;
            }
        }
        if t.starts_with(b"at ") || t.starts_with(b"File \"") {
            c.frame += 1;
        }
        let listing = is_ls_row(l)
            || is_du_row(l)
            || is_tree_row(l)
            || is_env_row(l)
            || l.starts_with(b"total ")
                && l[6..]
                    .iter()
                    .all(|b| b.is_ascii_digit() || b"KMG.".contains(b));
        if listing {
            c.listing += 1;
        } else if l.ends_with(b":") && is_bare(l) {
            c.dir_header += 1;
        } else if is_bare(t) && t == l {
            c.bare += 1;
        }
        if c.nonblank <= 2 && l.windows(3).any(|w| w == b"PID") {
            c.ps_header = true;
        }
        if is_search_row(l) {
            c.search += 1;
        }
        if is_log_row(l) {
            c.log += 1;
        }
        if is_code_row(t) {
            c.code += 1;
        }
    }
    c
}

fn looks_like_json(text: &str) -> bool {
    let t = text.trim();
    let open_close =
        (t.starts_with('{') && t.ends_with('}')) || (t.starts_with('[') && t.ends_with(']'));
    open_close && t.len() >= 2 && {
        // quoted keys or values on most lines
        let lines: Vec<&str> = t.lines().filter(|l| !l.trim().is_empty()).collect();
        let jsonish = lines
            .iter()
            .filter(|l| {
                let s = l.trim();
                s.starts_with('"')
                    || matches!(s.chars().next(), Some('{' | '}' | '[' | ']'))
                    || s.trim_end_matches(',').parse::<f64>().is_ok()
                    || matches!(s.trim_end_matches(','), "true" | "false" | "null")
            })
            .count();
        jsonish * 10 >= lines.len() * 9
    }
}

/// The kind of `doc`.
pub fn classify(doc: &TokenizedText) -> TextKind {
    if looks_like_json(&doc.text) {
        return TextKind::Json;
    }
    let c = count(doc);
    if c.nonblank == 0 {
        return TextKind::Other;
    }
    let share = |k: usize| k as f32 / c.nonblank as f32;
    if c.hunk > 0 && (c.diff_header > 0 || c.commit > 0) {
        return TextKind::Diff;
    }
    if c.commit > 0 && share(c.commit) * 40.0 >= 1.0 {
        return TextKind::GitLog;
    }
    if c.ps_header && share(c.log + c.listing) < 0.5 {
        return TextKind::Listing;
    }
    let listing = c.listing
        + if c.dir_header > 0 {
            c.dir_header + c.bare
        } else {
            0
        };
    if share(listing) >= 0.6 {
        return TextKind::Listing;
    }
    if share(c.search) >= 0.5 {
        return TextKind::Search;
    }
    // records, not counting their indented continuations (tracebacks inside a log)
    let heads = c.nonblank.saturating_sub(c.indented).max(1);
    if share(c.log) >= 0.3 || (c.log * 10 >= heads * 5 && c.log >= 3) {
        return TextKind::Log;
    }
    // `find` output: one path per line
    if share(c.bare) >= 0.8 && c.bare >= 3 && share(c.frame) < 0.1 {
        return TextKind::Listing;
    }
    if share(c.code) >= 0.4
        && share(c.frame) < 0.05
        && share(c.log) < 0.1
        && !is_test_run(&doc.text)
    {
        return TextKind::Source;
    }
    TextKind::Other
}

/// pytest's own section rules and frame separators: a test run whose tracebacks list source
/// code is build and test output, not a source file.
fn is_test_run(text: &str) -> bool {
    [
        " test session starts ",
        "= FAILURES =",
        "= ERRORS =",
        "= short test summary info =",
        "\n_ _ _ _ _ _ _ _",
    ]
    .iter()
    .any(|m| text.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kompress_tokenize::tokenize;

    fn kind(t: &str) -> TextKind {
        classify(&tokenize(t))
    }

    #[test]
    fn listings() {
        let ls = "total 12\ndrwxr-xr-x  2 root root 4096 Dec  2 16:26 .\n-rw-r--r--  1 root root   98 Dec  2 16:26 .gitignore\nlrwxrwxrwx  1 root root    7 Dec  2 16:26 lib -> usr/lib\n";
        assert_eq!(kind(ls), TextKind::Listing);
        assert_eq!(kind("4.0K\t./a\n8.0K\t./b\n12K\t.\n"), TextKind::Listing);
        assert_eq!(
            kind("./src/a.rs\n./src/b.rs\n./Cargo.toml\n./README\n"),
            TextKind::Listing
        );
        assert_eq!(
            kind(".:\nCargo.toml  src\n\n./src:\nmain.rs\nlib.rs\n"),
            TextKind::Listing
        );
        assert_eq!(
            kind("HOME=/root\nPATH=/usr/bin\nLANG=C.UTF-8\n"),
            TextKind::Listing
        );
    }

    #[test]
    fn a_pytest_run_whose_tracebacks_list_source_is_test_output_not_source() {
        let mut run = String::from("=================== FAILURES ===================\n");
        for i in 0..30 {
            run.push_str(&format!("    def helper_{i}(x):\n        return x + {i}\n"));
        }
        run.push_str(">       assert helper_1(1) == 3\nE       assert 2 == 3\n\ntest_a.py:9: AssertionError\n");
        assert_eq!(kind(&run), TextKind::Other);
        let source = run.replace("=================== FAILURES ===================\n", "");
        assert_eq!(
            kind(&source),
            TextKind::Source,
            "the same code alone is source"
        );
    }

    #[test]
    fn search_diff_gitlog_json() {
        assert_eq!(
            kind("src/a.rs:12:fn main() {\nsrc/b.rs:3:    main();\n"),
            TextKind::Search
        );
        let gh = "2022-05-30T09:10:31.1Z Requested labels: x\n2022-05-30T09:10:32.1Z Job defined\n";
        assert_eq!(
            kind(gh),
            TextKind::Log,
            "an ISO timestamp is not a path:line"
        );
        let diff =
            "diff --git a/x b/x\nindex 1..2 100644\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-a\n+b\n";
        assert_eq!(kind(diff), TextKind::Diff);
        let log = format!(
            "commit {}\nAuthor: A <a@b>\nDate:   today\n\n    subject\n",
            "a".repeat(40)
        );
        assert_eq!(kind(&log), TextKind::GitLog);
        assert_eq!(
            kind("{\n  \"a\": 1,\n  \"b\": [\n    \"x\"\n  ]\n}\n"),
            TextKind::Json
        );
    }

    #[test]
    fn logs_of_several_formats() {
        let kafka = "[2026-12-02 16:30:01,123] INFO [Broker id=1] started (kafka.server.KafkaServer)\n[2026-12-02 16:30:01,456] INFO Created log (kafka.log.LogManager)\n";
        assert_eq!(kind(kafka), TextKind::Log);
        let hdfs = "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38 terminating\n081109 203615 149 INFO dfs.DataNode$PacketResponder: Received block blk_39\n";
        assert_eq!(kind(hdfs), TextKind::Log);
        let access = "127.0.0.1 - - [02/Dec/2026:16:30:01 +0000] \"GET / HTTP/1.1\" 200 612\n127.0.0.1 - - [02/Dec/2026:16:30:02 +0000] \"GET /x HTTP/1.1\" 404 153\n";
        assert_eq!(kind(access), TextKind::Log);
    }

    #[test]
    fn source_and_other() {
        let py = "import os\n\ndef main(argv):\n    x = os.getcwd()\n    return x\n\nclass A:\n    pass\n";
        assert_eq!(kind(py), TextKind::Source);
        let trace =
            "java.lang.IllegalStateException: boom\n\tat a.B.c(B.java:1)\n\tat a.B.d(B.java:2)\n";
        assert_eq!(kind(trace), TextKind::Other);
        let chatter = "Downloading crate-0 v0.3.0 (/build/crate-0)\nDownloading crate-1 v0.3.1 (/build/crate-1)\nDownloading crate-2 v0.3.2 (/build/crate-2)\n";
        assert_eq!(
            kind(chatter),
            TextKind::Other,
            "a parenthetical is not a call"
        );
    }
}
