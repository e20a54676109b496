//! Library frames in pytest tracebacks. pytest's long traceback prints, for every frame, the
//! source of its function up to the failing line, then that line (`>`), the error (`E`) and
//! the frame's location (`path.py:N: in func` or `path.py:N: Error`). For a frame in code the
//! agent does not own (the standard library, installed packages: `[stat] library_paths`), the
//! listing above the `>` line is the library's source. It is the same in every failure that
//! passes through that function and is not what the agent edits, so, like a harness tail, it
//! may be evicted (behind a marker, retrievable). The frame's location, its locals, its `>`
//! line and what follows, and every `E` line stay; the project's own frames stay whole.

use kompress_core::TokenizedText;

use crate::lines::clean_line;

/// Fewest listing lines worth evicting in one frame.
const MIN_LISTING: usize = 3;

/// `_ _ _ _ …` (between the frames of one traceback) or a pytest section rule
/// (`____ test_name ____`, `==== FAILURES ====`).
fn is_separator(l: &[u8]) -> bool {
    l.starts_with(b"_ _ _ _") || l.starts_with(b"____") || l.starts_with(b"====")
}

/// The path of a pytest location line at column 0: `path.py:123: in name` or
/// `path.py:123: ValueError`.
fn location_path(l: &[u8]) -> Option<&[u8]> {
    if l.first()
        .is_none_or(|b| b.is_ascii_whitespace() || *b == b'>')
        || l.starts_with(b"E ")
    {
        return None;
    }
    let at = l.windows(4).position(|w| w == b".py:")?;
    let rest = &l[at + 4..];
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    (digits > 0 && rest[digits..].starts_with(b": ")).then(|| &l[..at + 3])
}

/// Lines that are a library frame's source listing in a pytest traceback.
pub fn library_listings(doc: &TokenizedText, library_paths: &[String]) -> Vec<bool> {
    let n = doc.lines.len();
    let mut out = vec![false; n];
    if library_paths.is_empty() || !doc.text.contains(".py:") || !doc.text.contains("\n>") {
        return out;
    }
    let mut buf = Vec::with_capacity(256);
    let lines: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            clean_line(doc, i, &mut buf);
            buf.trim_ascii_end().to_vec()
        })
        .collect();
    let mut start = 0;
    for end in (0..=n).filter(|&i| i == n || is_separator(&lines[i])) {
        mark_frame(&lines, start..end, library_paths, &mut out);
        start = end + 1;
    }
    out
}

fn mark_frame(
    lines: &[Vec<u8>],
    frame: std::ops::Range<usize>,
    library_paths: &[String],
    out: &mut [bool],
) {
    let chunk = &lines[frame.clone()];
    let in_library = chunk.iter().filter_map(|l| location_path(l)).any(|p| {
        library_paths
            .iter()
            .any(|lib| p.windows(lib.len()).any(|w| w == lib.as_bytes()))
    });
    let Some(gt) = chunk.iter().position(|l| l.starts_with(b">")) else {
        return;
    };
    if !in_library {
        return;
    }
    // the listing: source lines, indented by pytest, above the failing line, with the blank
    // lines between them
    let code: Vec<usize> = (0..gt).filter(|&j| chunk[j].starts_with(b"    ")).collect();
    let (Some(&first), Some(&last)) = (code.first(), code.last()) else {
        return;
    };
    if code.len() >= MIN_LISTING {
        for j in first..=last {
            if chunk[j].starts_with(b"    ") || chunk[j].is_empty() {
                out[frame.start + j] = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIBS: [&str; 2] = ["/site-packages/", "/lib/python"];

    fn marked(text: &str) -> Vec<String> {
        let doc = kompress_tokenize::tokenize(text);
        let libs: Vec<String> = LIBS.iter().map(|s| s.to_string()).collect();
        let m = library_listings(&doc, &libs);
        text.lines()
            .zip(m)
            .filter(|(_, m)| *m)
            .map(|(l, _)| l.to_string())
            .collect()
    }

    const TRACE: &str = "\
___________________________ test_parse ___________________________

    def test_parse():
>       assert parse(\"31/02\")
               ^^^^^^^^^^^^^^^

test_dates.py:10: 
_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _

data = '31/02', fmt = '%d/%m'

    def _strptime(data, fmt):
        \"\"\"Parse data.\"\"\"
        regex = _cache.get(fmt)
        found = regex.match(data)
        if not found:
>           raise ValueError(\"time data %r does not match\" %
                             (data,))
E           ValueError: time data '31/02' does not match

/usr/lib/python3.11/_strptime.py:349: ValueError
";

    #[test]
    fn a_library_frames_listing_is_marked_and_its_failing_line_error_and_location_are_not() {
        let got = marked(TRACE);
        assert_eq!(
            got,
            [
                "    def _strptime(data, fmt):",
                "        \"\"\"Parse data.\"\"\"",
                "        regex = _cache.get(fmt)",
                "        found = regex.match(data)",
                "        if not found:",
            ]
        );
    }

    #[test]
    fn the_projects_own_frames_stay_whole() {
        let own = TRACE.replace("/usr/lib/python3.11/_strptime.py", "src/dates/_strptime.py");
        assert!(marked(&own).is_empty());
    }
}
