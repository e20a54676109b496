//! Test helpers: a tiny tokenizer (words, spaces, ANSI escapes, single punctuation) that
//! builds a `TokenizedText` without depending on the real tokenizer crate.
#![allow(dead_code)]

use std::sync::Arc;

use kompress_core::{split_lines, Token, TokenKind, TokenizedText};
use kompress_floor::Floor;

pub fn tokenize(text: &str) -> TokenizedText {
    let lines = split_lines(text);
    let mut tokens = Vec::new();
    let mut line_tokens = vec![0u32];
    for (li, line) in lines.iter().enumerate() {
        let s = &text[line.start as usize..line.end as usize];
        let base = line.start as usize;
        let mut chars = s.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let class = |c: char| {
                if c.is_alphanumeric() || c == '_' {
                    0
                } else if c == ' ' || c == '\t' {
                    1
                } else {
                    2
                }
            };
            let (end, kind) = if c == '\x1b' && s[i + 1..].starts_with('[') {
                let rest = &s[i + 2..];
                let n = rest
                    .bytes()
                    .position(|b| b.is_ascii_alphabetic())
                    .map_or(rest.len(), |p| p + 1);
                while chars.peek().is_some_and(|(j, _)| *j < i + 2 + n) {
                    chars.next();
                }
                (i + 2 + n, TokenKind::Ansi)
            } else if class(c) == 2 {
                (i + c.len_utf8(), TokenKind::Punct)
            } else {
                let k = class(c);
                let mut end = i + c.len_utf8();
                while let Some((j, d)) = chars.peek().copied() {
                    if class(d) != k || d == '\x1b' {
                        break;
                    }
                    end = j + d.len_utf8();
                    chars.next();
                }
                (
                    end,
                    if k == 0 {
                        TokenKind::Word
                    } else {
                        TokenKind::Space
                    },
                )
            };
            tokens.push(Token {
                start: (base + i) as u32,
                end: (base + end) as u32,
                line: li as u32,
                kind,
            });
        }
        line_tokens.push(tokens.len() as u32);
    }
    TokenizedText {
        text: Arc::from(text),
        lines,
        tokens,
        line_tokens,
    }
}

/// `(category name, matched text)` of every hit, in order.
pub fn hits<'a>(floor: &'a Floor, text: &'a str) -> Vec<(&'a str, &'a str)> {
    floor
        .scan(text)
        .into_iter()
        .map(|h| (floor.category_name(h.category), h.text(text)))
        .collect()
}

/// Asserts that `needle` is matched exactly, as one hit of `category`, inside `text`.
#[track_caller]
pub fn assert_hit(floor: &Floor, text: &str, category: &str, needle: &str) {
    let got = hits(floor, text);
    assert!(
        got.iter().any(|&(c, t)| c == category && t == needle),
        "expected {category} hit {needle:?} in {text:?}, got {got:?}"
    );
}

/// Asserts that no hit of any category touches `needle` inside `text`.
#[track_caller]
pub fn assert_untouched(floor: &Floor, text: &str, needle: &str) {
    let at = text.find(needle).expect("needle in text");
    let (a, b) = (at as u32, (at + needle.len()) as u32);
    let over: Vec<_> = floor
        .scan(text)
        .into_iter()
        .filter(|h| h.start < b && h.end > a)
        .map(|h| (floor.category_name(h.category), h.text(text)))
        .collect();
    assert!(
        over.is_empty(),
        "{needle:?} in {text:?} should not match, got {over:?}"
    );
}

/// Asserts that no hit of `category` occurs in `text`.
#[track_caller]
pub fn assert_no_category(floor: &Floor, text: &str, category: &str) {
    let got = hits(floor, text);
    assert!(
        !got.iter().any(|(c, _)| *c == category),
        "no {category} expected in {text:?}, got {got:?}"
    );
}
