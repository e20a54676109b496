//! The built-in word tokenizer: one pass over the bytes with a class table.
//!
//! Token kinds: `Word` (ASCII letters, digits, `_`, and any non-ASCII character, so that
//! identifiers and non-Latin words stay whole), `Space` (runs of spaces/tabs and other
//! horizontal whitespace), `Ansi` (a whole CSI escape sequence such as `ESC[1;31m`, or a
//! two-byte escape), and `Punct` (any other single ASCII character). Every non-terminator byte
//! belongs to exactly one token; tokens never cross a line break.

use std::sync::Arc;

use kompress_core::{split_lines, Token, TokenKind, TokenizedText};

const C_WORD: u8 = 0;
const C_SPACE: u8 = 1;
const C_PUNCT: u8 = 2;
const C_ESC: u8 = 3;

const fn class_table() -> [u8; 256] {
    let mut t = [C_PUNCT; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = if b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80 {
            C_WORD
        } else if b == b' ' || b == b'\t' || b == 0x0b || b == 0x0c {
            C_SPACE
        } else if b == 0x1b {
            C_ESC
        } else {
            C_PUNCT
        };
        i += 1;
    }
    t
}

static CLASS: [u8; 256] = class_table();

/// Tokenizes a whole text.
pub fn tokenize(text: impl Into<Arc<str>>) -> TokenizedText {
    let text: Arc<str> = text.into();
    let lines = split_lines(&text);
    let bytes = text.as_bytes();
    let mut tokens = Vec::with_capacity(bytes.len() / 4 + 1);
    let mut line_tokens = Vec::with_capacity(lines.len() + 1);
    for (li, line) in lines.iter().enumerate() {
        line_tokens.push(tokens.len() as u32);
        tokenize_line(
            bytes,
            line.start as usize,
            line.end as usize,
            li as u32,
            &mut tokens,
        );
    }
    line_tokens.push(tokens.len() as u32);
    TokenizedText {
        text,
        lines,
        tokens,
        line_tokens,
    }
}

fn tokenize_line(bytes: &[u8], start: usize, end: usize, line: u32, out: &mut Vec<Token>) {
    let mut i = start;
    while i < end {
        let c = CLASS[bytes[i] as usize];
        let (j, kind) = match c {
            C_WORD => {
                let mut j = i + 1;
                while j < end && CLASS[bytes[j] as usize] == C_WORD {
                    j += 1;
                }
                (j, TokenKind::Word)
            }
            C_SPACE => {
                let mut j = i + 1;
                while j < end && CLASS[bytes[j] as usize] == C_SPACE {
                    j += 1;
                }
                (j, TokenKind::Space)
            }
            C_ESC => (ansi_end(bytes, i, end), TokenKind::Ansi),
            _ => (i + 1, TokenKind::Punct),
        };
        out.push(Token {
            start: i as u32,
            end: j as u32,
            line,
            kind,
        });
        i = j;
    }
}

/// End of the escape sequence starting at `i` (an ESC byte). CSI: `ESC [` parameter bytes
/// `0x30-0x3f`, intermediate bytes `0x20-0x2f`, one final byte `0x40-0x7e`. Other escapes:
/// ESC plus one byte. A truncated sequence ends at the line end.
fn ansi_end(bytes: &[u8], i: usize, end: usize) -> usize {
    if i + 1 >= end {
        return end.min(i + 1);
    }
    if bytes[i + 1] != b'[' {
        // ESC followed by a non-ASCII lead byte would split a char: keep ESC alone then.
        return if bytes[i + 1] < 0x80 { i + 2 } else { i + 1 };
    }
    let mut j = i + 2;
    while j < end && (0x30..=0x3f).contains(&bytes[j]) {
        j += 1;
    }
    while j < end && (0x20..=0x2f).contains(&bytes[j]) {
        j += 1;
    }
    if j < end && (0x40..=0x7e).contains(&bytes[j]) {
        j + 1
    } else {
        j
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kinds(t: &str) -> Vec<(String, TokenKind)> {
        let d = tokenize(t);
        d.tokens
            .iter()
            .map(|k| (k.text(&d.text).to_string(), k.kind))
            .collect()
    }

    #[test]
    fn words_punct_space_and_ansi_are_separate_tokens() {
        let k = kinds("\x1b[1;31mERROR\x1b[m: foo_bar 42");
        let texts: Vec<_> = k.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(
            texts,
            [
                "\x1b[1;31m",
                "ERROR",
                "\x1b[m",
                ":",
                " ",
                "foo_bar",
                " ",
                "42"
            ]
        );
        assert_eq!(k[0].1, TokenKind::Ansi);
        assert_eq!(k[1].1, TokenKind::Word);
    }

    #[test]
    fn tokens_never_cross_lines_and_line_index_is_right() {
        let d = tokenize("ab\r\ncd\ne");
        assert_eq!(d.lines.len(), 3);
        assert_eq!(d.tokens_of_line(1)[0].text(&d.text), "cd");
        assert!(d.tokens.iter().all(|t| t.line < 3));
    }

    #[test]
    fn non_ascii_words_stay_whole() {
        let k = kinds("naïve 東京");
        assert_eq!(k[0].0, "naïve");
        assert_eq!(k[2].0, "東京");
    }

    proptest! {
        #[test]
        fn tokens_cover_every_non_terminator_byte(s in "\\PC{0,200}|[\\x00-\\x7f]{0,200}") {
            let d = tokenize(s.as_str());
            let mut covered = 0usize;
            for line in &d.lines {
                let toks = d.tokens_of_line(d.lines.iter().position(|l| l == line).unwrap());
                let mut pos = line.start;
                for t in toks {
                    prop_assert_eq!(t.start, pos);
                    prop_assert!(s.is_char_boundary(t.start as usize) && s.is_char_boundary(t.end as usize));
                    pos = t.end;
                }
                prop_assert_eq!(pos, line.end);
                covered += (line.end - line.start) as usize;
            }
            let terms: usize = d.lines.iter().map(|l| (l.next - l.end) as usize).sum();
            prop_assert_eq!(covered + terms, s.len());
        }
    }
}
