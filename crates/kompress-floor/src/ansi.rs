//! ANSI escape sequences are invisible to the floor's patterns: before scanning, each one is
//! replaced by spaces of the same length (ASCII for ASCII, so offsets and char boundaries
//! are unchanged), and hits are trimmed so they neither start nor end inside one. Without
//! this, `ESC[1mTimeSeries` would have no word boundary before `TimeSeries` (the escape
//! ends in `1m`) and coloured CI logs would lose most of their hits.

/// A copy of `text` with every escape sequence blanked, or `None` when it has none.
pub(crate) fn blank_escapes(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let first = memchr_esc(bytes, 0)?;
    let mut out = bytes.to_vec();
    let mut i = first;
    loop {
        let end = escape_end(bytes, i);
        out[i..end].fill(b' ');
        match memchr_esc(bytes, end) {
            Some(next) => i = next,
            None => break,
        }
    }
    // Only ASCII bytes were replaced by ASCII spaces, so the copy is still UTF-8.
    Some(String::from_utf8(out).expect("blanking ASCII keeps UTF-8 valid"))
}

fn memchr_esc(bytes: &[u8], from: usize) -> Option<usize> {
    bytes[from..]
        .iter()
        .position(|&b| b == 0x1b)
        .map(|p| p + from)
}

/// End of the escape starting at `i` (which holds ESC): a CSI sequence `ESC [ params
/// intermediates final`, a two-byte `ESC X`, or the lone ESC when nothing valid follows.
fn escape_end(b: &[u8], i: usize) -> usize {
    match b.get(i + 1) {
        Some(b'[') => {
            let mut j = i + 2;
            while j < b.len() && (0x30..=0x3f).contains(&b[j]) {
                j += 1;
            }
            while j < b.len() && (0x20..=0x2f).contains(&b[j]) {
                j += 1;
            }
            if j < b.len() && (0x40..=0x7e).contains(&b[j]) {
                j + 1
            } else {
                i + 1
            }
        }
        Some(&c) if (0x40..=0x5f).contains(&c) => i + 2,
        _ => i + 1,
    }
}

/// Shrinks `[start, end)` so that it starts and ends on bytes that were not blanked.
pub(crate) fn trim_blanked(
    orig: &[u8],
    blanked: &[u8],
    start: usize,
    end: usize,
) -> (usize, usize) {
    let (mut s, mut e) = (start, end);
    while s < e && orig[s] != blanked[s] {
        s += 1;
    }
    while e > s && orig[e - 1] != blanked[e - 1] {
        e -= 1;
    }
    (s, e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_become_spaces_of_equal_length() {
        let t = "a\x1b[1;31mERROR\x1b[m b\x1b(B é";
        let b = blank_escapes(t).unwrap();
        let want = format!("a{}ERROR{} b (B é", " ".repeat(7), " ".repeat(3));
        assert_eq!(b, want);
        assert_eq!(b.len(), t.len());
        assert!(blank_escapes("plain text").is_none());
    }

    #[test]
    fn lone_and_truncated_escapes_blank_only_the_esc() {
        assert_eq!(blank_escapes("x\x1b").unwrap(), "x ");
        assert_eq!(blank_escapes("x\x1b[12").unwrap(), "x [12");
    }

    #[test]
    fn trimming_drops_blanked_edges() {
        let t = "\x1b[1mFoo\x1b[m";
        let b = blank_escapes(t).unwrap();
        assert_eq!(trim_blanked(t.as_bytes(), b.as_bytes(), 0, t.len()), (4, 7));
        assert_eq!(trim_blanked(t.as_bytes(), b.as_bytes(), 0, 4), (4, 4));
    }
}
