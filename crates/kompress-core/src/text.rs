//! Text as the pipeline sees it: lines and tokens, each with byte offsets into the original.

use std::sync::Arc;

/// A line of the original text: content is `[start, end)`, its terminator `[end, next)`
/// (`\n`, `\r\n`, `\r`, or empty for a last line without one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub start: u32,
    pub end: u32,
    pub next: u32,
}

impl Line {
    pub fn content<'a>(&self, text: &'a str) -> &'a str {
        &text[self.start as usize..self.end as usize]
    }
    pub fn with_terminator<'a>(&self, text: &'a str) -> &'a str {
        &text[self.start as usize..self.next as usize]
    }
    pub fn is_blank(&self, text: &str) -> bool {
        self.content(text).trim().is_empty()
    }
}

/// What a token is, as far as the tokenizer can tell without a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// Letters, digits, `_` and the joiners that keep identifiers, paths and numbers whole.
    Word,
    /// One punctuation or symbol character.
    Punct,
    /// A run of horizontal whitespace.
    Space,
    /// An ANSI escape sequence (colour codes and cursor control).
    Ansi,
    /// A sub-word piece produced by a model tokenizer.
    Piece,
}

/// A token: a byte range of the original text on one line. Tokens never cross a line break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub start: u32,
    pub end: u32,
    pub line: u32,
    pub kind: TokenKind,
}

impl Token {
    pub fn text<'a>(&self, text: &'a str) -> &'a str {
        &text[self.start as usize..self.end as usize]
    }
    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// One compressible text with its lines and tokens. Every byte of `text` that is not a line
/// terminator belongs to exactly one token, and tokens are sorted and contiguous per line.
#[derive(Debug, Clone)]
pub struct TokenizedText {
    pub text: Arc<str>,
    pub lines: Vec<Line>,
    pub tokens: Vec<Token>,
    /// `line_tokens[i]..line_tokens[i+1]` are the tokens of line `i` (len = lines + 1).
    pub line_tokens: Vec<u32>,
}

impl TokenizedText {
    pub fn tokens_of_line(&self, line: usize) -> &[Token] {
        let a = self.line_tokens[line] as usize;
        let b = self.line_tokens[line + 1] as usize;
        &self.tokens[a..b]
    }
    pub fn token_range_of_line(&self, line: usize) -> std::ops::Range<usize> {
        self.line_tokens[line] as usize..self.line_tokens[line + 1] as usize
    }
    pub fn len_bytes(&self) -> usize {
        self.text.len()
    }
}

/// Splits text into lines the way Java's `BufferedReader.readLine` does: terminators are
/// `\r\n`, `\r` or `\n`. A final terminator does not open an extra empty line.
pub fn split_lines(text: &str) -> Vec<Line> {
    let bytes = text.as_bytes();
    let mut lines = Vec::with_capacity(bytes.len() / 48 + 1);
    let mut start = 0usize;
    let mut i = 0usize;
    while let Some(off) = memchr::memchr2(b'\n', b'\r', &bytes[i..]) {
        let end = i + off;
        let next = if bytes[end] == b'\r' && bytes.get(end + 1) == Some(&b'\n') {
            end + 2
        } else {
            end + 1
        };
        lines.push(Line {
            start: start as u32,
            end: end as u32,
            next: next as u32,
        });
        start = next;
        i = next;
    }
    if start < bytes.len() {
        lines.push(Line {
            start: start as u32,
            end: bytes.len() as u32,
            next: bytes.len() as u32,
        });
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_all_three_terminators() {
        let t = "a\r\nb\rc\nd";
        let l = split_lines(t);
        let got: Vec<_> = l.iter().map(|l| l.content(t)).collect();
        assert_eq!(got, ["a", "b", "c", "d"]);
        assert_eq!(l[0].with_terminator(t), "a\r\n");
        assert_eq!(l[3].next as usize, t.len());
    }

    #[test]
    fn trailing_terminator_opens_no_line() {
        assert_eq!(split_lines("x\n").len(), 1);
        assert!(split_lines("").is_empty());
        assert_eq!(split_lines("\n\n").len(), 2);
    }
}
