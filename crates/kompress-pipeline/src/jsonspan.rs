//! A small JSON parser that remembers where every value sits in the raw bytes, so compressed
//! strings can be spliced back into the document without touching any other byte.

use std::ops::Range;

use kompress_core::CoreError;

const MAX_DEPTH: usize = 256;

#[derive(Debug, Clone, PartialEq)]
pub enum JVal {
    Null,
    Bool(bool),
    Num,
    /// `raw` is the literal without its quotes; `value` the decoded text.
    Str {
        raw: Range<usize>,
        value: String,
    },
    Arr(Vec<JNode>),
    Obj(Vec<(String, JNode)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct JNode {
    pub span: Range<usize>,
    pub val: JVal,
}

impl JNode {
    pub fn get(&self, key: &str) -> Option<&JNode> {
        match &self.val {
            JVal::Obj(kv) => kv.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match &self.val {
            JVal::Str { value, .. } => Some(value),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&[JNode]> {
        match &self.val {
            JVal::Arr(a) => Some(a),
            _ => None,
        }
    }
}

pub fn parse(src: &str) -> Result<JNode, CoreError> {
    let mut p = Parser {
        s: src.as_bytes(),
        i: 0,
        src,
    };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(p.err("trailing characters after the JSON value"));
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    src: &'a str,
}

impl Parser<'_> {
    fn err(&self, reason: &str) -> CoreError {
        let upto = &self.src.as_bytes()[..self.i.min(self.s.len())];
        let line = 1 + upto.iter().filter(|b| **b == b'\n').count();
        let col_start = upto.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1);
        let column = 1 + String::from_utf8_lossy(&upto[col_start..]).chars().count();
        CoreError::MalformedJson {
            line,
            column,
            reason: reason.to_string(),
        }
    }

    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<JNode, CoreError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting deeper than 256 levels"));
        }
        let start = self.i;
        let val = match self.s.get(self.i) {
            None => return Err(self.err("unexpected end of input")),
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => {
                let (raw, value) = self.string()?;
                JVal::Str { raw, value }
            }
            Some(b't') => self.lit(b"true", JVal::Bool(true))?,
            Some(b'f') => self.lit(b"false", JVal::Bool(false))?,
            Some(b'n') => self.lit(b"null", JVal::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(_) => return Err(self.err("expected a JSON value")),
        };
        Ok(JNode {
            span: start..self.i,
            val,
        })
    }

    fn lit(&mut self, word: &[u8], v: JVal) -> Result<JVal, CoreError> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.err("invalid literal"))
        }
    }

    fn number(&mut self) -> Result<JVal, CoreError> {
        let start = self.i;
        if self.s[self.i] == b'-' {
            self.i += 1;
        }
        let digits = |p: &mut Self| {
            let st = p.i;
            while p.i < p.s.len() && p.s[p.i].is_ascii_digit() {
                p.i += 1;
            }
            p.i > st
        };
        if !digits(self) {
            return Err(self.err("invalid number"));
        }
        if self.s.get(self.i) == Some(&b'.') {
            self.i += 1;
            if !digits(self) {
                return Err(self.err("invalid number: digits expected after '.'"));
            }
        }
        if matches!(self.s.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.s.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !digits(self) {
                return Err(self.err("invalid number: exponent digits expected"));
            }
        }
        debug_assert!(self.i > start);
        Ok(JVal::Num)
    }

    fn string(&mut self) -> Result<(Range<usize>, String), CoreError> {
        self.i += 1; // opening quote
        let start = self.i;
        let mut out = String::new();
        let mut run = self.i;
        loop {
            let Some(&b) = self.s.get(self.i) else {
                return Err(self.err("unterminated string"));
            };
            match b {
                b'"' => {
                    out.push_str(&self.src[run..self.i]);
                    let raw = start..self.i;
                    self.i += 1;
                    return Ok((raw, out));
                }
                b'\\' => {
                    out.push_str(&self.src[run..self.i]);
                    self.i += 1;
                    let c = self
                        .s
                        .get(self.i)
                        .copied()
                        .ok_or_else(|| self.err("unterminated escape"))?;
                    self.i += 1;
                    match c {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let ch = self.unicode_escape()?;
                            out.push(ch);
                        }
                        _ => return Err(self.err("invalid escape")),
                    }
                    run = self.i;
                }
                0..=0x1f => return Err(self.err("control character in string")),
                _ => self.i += 1,
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, CoreError> {
        let h = self
            .s
            .get(self.i..self.i + 4)
            .ok_or_else(|| self.err("truncated \\u escape"))?;
        let v = std::str::from_utf8(h)
            .ok()
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or_else(|| self.err("invalid \\u escape"))?;
        self.i += 4;
        Ok(v)
    }

    fn unicode_escape(&mut self) -> Result<char, CoreError> {
        let hi = self.hex4()?;
        if (0xD800..0xDC00).contains(&hi) {
            if self.s.get(self.i..self.i + 2) != Some(b"\\u") {
                return Err(self.err("lone high surrogate in \\u escape"));
            }
            self.i += 2;
            let lo = self.hex4()?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(self.err("invalid low surrogate in \\u escape"));
            }
            let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
            return char::from_u32(c).ok_or_else(|| self.err("invalid code point"));
        }
        char::from_u32(hi).ok_or_else(|| self.err("lone low surrogate in \\u escape"))
    }

    fn array(&mut self, depth: usize) -> Result<JVal, CoreError> {
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.s.get(self.i) == Some(&b']') {
            self.i += 1;
            return Ok(JVal::Arr(items));
        }
        loop {
            self.ws();
            items.push(self.value(depth + 1)?);
            self.ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(JVal::Arr(items));
                }
                _ => return Err(self.err("expected ',' or ']' in array")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<JVal, CoreError> {
        self.i += 1;
        let mut kv = Vec::new();
        self.ws();
        if self.s.get(self.i) == Some(&b'}') {
            self.i += 1;
            return Ok(JVal::Obj(kv));
        }
        loop {
            self.ws();
            if self.s.get(self.i) != Some(&b'"') {
                return Err(self.err("expected a string key in object"));
            }
            let (_, key) = self.string()?;
            self.ws();
            if self.s.get(self.i) != Some(&b':') {
                return Err(self.err("expected ':' after object key"));
            }
            self.i += 1;
            self.ws();
            let v = self.value(depth + 1)?;
            kv.push((key, v));
            self.ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(JVal::Obj(kv));
                }
                _ => return Err(self.err("expected ',' or '}' in object")),
            }
        }
    }
}

/// Encodes text as the inside of a JSON string literal.
pub fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
}

/// Maps byte offsets of a decoded string back to offsets in its raw literal.
pub fn decoded_to_raw(raw: &str, decoded_len: usize) -> Vec<u32> {
    let mut map = Vec::with_capacity(decoded_len + 1);
    let b = raw.as_bytes();
    let mut i = 0usize;
    while i < b.len() {
        if b[i] == b'\\' {
            let (adv, dec_len) = match b[i + 1] {
                b'u' => {
                    let hi = u32::from_str_radix(&raw[i + 2..i + 6], 16).unwrap_or(0);
                    if (0xD800..0xDC00).contains(&hi) {
                        (12, 4)
                    } else {
                        (6, char::from_u32(hi).map_or(3, |c| c.len_utf8()))
                    }
                }
                _ => (2, 1),
            };
            for _ in 0..dec_len {
                map.push(i as u32);
            }
            i += adv;
        } else {
            map.push(i as u32);
            i += 1;
        }
    }
    map.push(b.len() as u32);
    debug_assert_eq!(map.len(), decoded_len + 1);
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_spans_point_at_raw_literals() {
        let src = r#"{"a": [1, "x\ny", {"b": "\u00e9t\u00e9"}]}"#;
        let v = parse(src).unwrap();
        let arr = v.get("a").unwrap().as_array().unwrap();
        match &arr[1].val {
            JVal::Str { raw, value } => {
                assert_eq!(&src[raw.clone()], r"x\ny");
                assert_eq!(value, "x\ny");
                let m = decoded_to_raw(&src[raw.clone()], value.len());
                assert_eq!(m, [0, 1, 3, 4]);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(arr[2].get("b").unwrap().as_str(), Some("été"));
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = parse("{\n  \"a\": tru\n}").unwrap_err().to_string();
        assert!(e.contains("line 2, column 8"), "{e}");
        assert!(parse("[1,]").is_err());
        assert!(parse(&"[".repeat(1000))
            .unwrap_err()
            .to_string()
            .contains("nesting"));
    }

    #[test]
    fn escape_round_trips_through_the_parser() {
        let s = "tab\there \"q\" back\\slash \u{1} é";
        let mut lit = String::from("\"");
        escape(s, &mut lit);
        lit.push('"');
        assert_eq!(parse(&lit).unwrap().as_str(), Some(s));
    }
}
