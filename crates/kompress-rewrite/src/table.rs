//! Table folds (safe mode): runs of lines that share a template, consecutive or interleaved
//! within a window, are written as the template once plus one row per line, in place:
//!
//! ```text
//! [fold legend: a line "Tn| x | y" is the line of template [Tn] with its <*> filled by x, y in order]
//! [T1] [<*>] INFO [Broker id=1] Created log for partition <*> in <*>
//! T1| 2026-12-02 16:30:01,123 | orders-0 | /tmp/k/orders-0
//! an unrelated line, verbatim
//! T1| 2026-12-02 16:30:01,456 | orders-1 | /tmp/k/orders-1
//! ```
//!
//! A line is split into whitespace-separated fields and the whitespace between them. A slot is
//! a maximal run of pieces (fields or separators) that differ somewhere in the group; a cell is
//! that run's bytes in one line, exactly. Putting the cells of a row into the template's slots,
//! left to right, gives the line back byte for byte, so every parameter stays visible and each
//! row is one input line: rows never merge two lines. A line whose cell would hold `|` or
//! `<*>` stays verbatim (the row would be ambiguous), and folding is off for a text in which
//! some line already looks like a row or a template.

use kompress_core::TokenizedText;

/// Legend written once, before the first template of a text.
pub const LEGEND: &str = "[fold legend: a line \"Tn| x | y\" is the line of template [Tn] with its <*> filled by x, y in order]";
/// Cell separator in a row.
pub const CELL_SEP: &str = " | ";
/// Slot mark in a template.
pub const SLOT: &str = "<*>";

/// Fewest lines a template must cover.
const MIN_ROWS: usize = 3;
/// A group stays open this many lines after its last member.
const WINDOW: usize = 256;
/// Open groups tracked at once.
const MAX_OPEN: usize = 48;
/// Most slots in a template.
const MAX_SLOTS: usize = 8;
/// Share of a line's bytes the constant part must have.
const MIN_CONST_SHARE: f32 = 0.25;
/// Leading fields that pick a line's bucket (a field holding a digit counts as a wildcard).
const KEY_FIELDS: usize = 3;

/// One template and the lines written as its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableGroup {
    /// `n` of `Tn`, from 1, in order of first row.
    pub id: usize,
    pub template: String,
    /// Lines (indices) written as rows, ascending.
    pub lines: Vec<usize>,
    /// Per row, the cells, byte ranges into the text.
    pub cells: Vec<Vec<(usize, usize)>>,
}

impl TableGroup {
    /// The row text of member `k` (without the line terminator).
    pub fn row(&self, text: &str, k: usize) -> String {
        let cells: Vec<&str> = self.cells[k].iter().map(|&(a, b)| &text[a..b]).collect();
        format!("T{}| {}", self.id, cells.join(CELL_SEP))
    }

    /// The template line: `[Tn] template`.
    pub fn header(&self) -> String {
        format!("[T{}] {}", self.id, self.template)
    }
}

/// The table folds of one text: the groups and, per line, which group and row it is.
#[derive(Debug, Clone, Default)]
pub struct TableFolds {
    pub groups: Vec<TableGroup>,
    /// Per line: `(group index, row index)`.
    pub row_of: Vec<Option<(usize, usize)>>,
}

impl TableFolds {
    pub fn is_row(&self, line: usize) -> bool {
        self.row_of.get(line).is_some_and(|r| r.is_some())
    }
}

/// Pieces of a line: `[sep0, field1, sep1, field2, …, fieldN, sepN]` as byte ranges.
fn pieces(line: &str, base: usize) -> Vec<(usize, usize)> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        let s = i;
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        out.push((base + s, base + i));
        if i == b.len() {
            return out;
        }
        let f = i;
        while i < b.len() && b[i] != b' ' && b[i] != b'\t' {
            i += 1;
        }
        out.push((base + f, base + i));
    }
}

struct Open {
    key: u64,
    rep: usize,
    rep_pieces: Vec<(usize, usize)>,
    varying: Vec<bool>,
    members: Vec<(usize, Vec<(usize, usize)>)>,
    last: usize,
}

/// The slots a group starts with. In a log, fields that hold a digit, `@`, `/` or `=` are
/// values (times, ids, counts, addresses, paths, `user@db`, `key=v`): they are slots from the
/// start, so each row carries its own copy of every parameter even when the value repeats, and
/// the template holds only the plain vocabulary of the line. In a listing the entry name (the
/// last field) is what a row must carry; the metadata columns (mode, links, owner, size, date)
/// become slots only where the rows differ, so a column that is the same on every row (`root
/// root`, `Dec  3 12:42`) is written once, in the template.
fn value_fields(text: &str, p: &[(usize, usize)], listing: bool) -> Vec<bool> {
    let last_field = p.len().saturating_sub(2);
    p.iter()
        .enumerate()
        .map(|(j, r)| {
            j % 2 == 1
                && if listing {
                    j == last_field
                } else {
                    text[r.0..r.1]
                        .bytes()
                        .any(|b| b.is_ascii_digit() || matches!(b, b'@' | b'/' | b'='))
                }
        })
        .collect()
}

/// Drain-style bucket: piece count, the outer whitespace, and the first fields with any field
/// holding a digit masked (timestamps, counters and ids never split a bucket).
fn bucket_key(text: &str, p: &[(usize, usize)]) -> u64 {
    let mut h = fnv_seed(p.len() as u64);
    let mut mix = |bytes: &[u8]| {
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01B3);
        }
        h = (h ^ 0xff).wrapping_mul(0x100_0000_01B3);
    };
    mix(&text.as_bytes()[p[0].0..p[0].1]);
    let last = p[p.len() - 1];
    mix(&text.as_bytes()[last.0..last.1]);
    for r in p.iter().skip(1).step_by(2).take(KEY_FIELDS) {
        let f = &text[r.0..r.1];
        if f.bytes().any(|b| b.is_ascii_digit()) {
            mix(b"\x00<d>");
        } else {
            mix(f.as_bytes());
        }
    }
    h
}

fn fnv_seed(seed: u64) -> u64 {
    0xCBF2_9CE4_8422_2325 ^ seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Slots: maximal runs of varying pieces. Two runs apart by only whitespace, or by one short
/// constant field (`Dec`, `*`, `-`, at most 3 bytes), are one slot: a cell separator costs
/// about what such a gap saves (`1790 Apr 27  2026` is one cell, not three).
fn slots_of(varying: &[bool], short: &[bool]) -> Vec<(usize, usize)> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < varying.len() {
        if varying[i] {
            let s = i;
            while i < varying.len() && varying[i] {
                i += 1;
            }
            // pieces alternate separator (even index) / field (odd index)
            let joins = |last: &(usize, usize)| {
                (last.1 + 1 == s && (s - 1) % 2 == 0)
                    || (last.1 + 3 == s && (s - 2) % 2 == 1 && short[s - 2])
            };
            match runs.last_mut() {
                Some(last) if joins(last) => last.1 = i,
                _ => runs.push((s, i)),
            }
        } else {
            i += 1;
        }
    }
    runs
}

fn short_fields(p: &[(usize, usize)]) -> Vec<bool> {
    p.iter()
        .enumerate()
        .map(|(j, r)| j % 2 == 1 && r.1 - r.0 <= 3)
        .collect()
}

fn const_bytes(p: &[(usize, usize)], varying: &[bool]) -> usize {
    p.iter()
        .zip(varying)
        .filter(|(_, v)| !**v)
        .map(|(r, _)| r.1 - r.0)
        .sum()
}

fn looks_like_fold_syntax(line: &str) -> bool {
    let digits_then = |s: &str, end: &str| {
        let d = s.bytes().take_while(u8::is_ascii_digit).count();
        d > 0 && s[d..].starts_with(end)
    };
    line.strip_prefix('T').is_some_and(|r| digits_then(r, "| "))
        || line
            .strip_prefix("[T")
            .is_some_and(|r| digits_then(r, "] "))
        || line.starts_with("[fold legend:")
}

/// Finds the table folds among `foldable` lines (colour codes stay in their cells). In a
/// `listing` the entry name (the last column) is never split: a varying last field takes the
/// digit-free constant fields before it into its cell (`data 103.json`, `My Documents`).
pub fn find_table_folds(doc: &TokenizedText, foldable: &[bool], listing: bool) -> TableFolds {
    let text: &str = &doc.text;
    let n = doc.lines.len();
    let none = TableFolds {
        groups: Vec::new(),
        row_of: vec![None; n],
    };
    if (0..n).any(|li| looks_like_fold_syntax(doc.lines[li].content(text))) {
        return none;
    }
    let mut open: Vec<Open> = Vec::new();
    let mut done: Vec<Open> = Vec::new();
    for li in 0..n {
        if !foldable.get(li).copied().unwrap_or(false) {
            continue;
        }
        let line = doc.lines[li];
        let content = line.content(text);
        if content.trim().is_empty() {
            continue;
        }
        let p = pieces(content, line.start as usize);
        // close groups that fell out of the window
        let mut k = 0;
        while k < open.len() {
            if li - open[k].last > WINDOW {
                done.push(open.swap_remove(k));
            } else {
                k += 1;
            }
        }
        let key = bucket_key(text, &p);
        // the open group of this bucket that the line changes least
        let mut best: Option<(usize, (usize, usize), Vec<bool>)> = None;
        for (gi, g) in open.iter().enumerate() {
            if g.key != key || g.rep_pieces.len() != p.len() {
                continue;
            }
            let mut varying = g.varying.clone();
            let mut added = 0usize;
            for (j, (a, b)) in g.rep_pieces.iter().zip(&p).enumerate() {
                if !varying[j] && text[a.0..a.1] != text[b.0..b.1] {
                    varying[j] = true;
                    added += 1;
                }
            }
            let rep_bytes = g.rep_pieces.last().map_or(0, |l| l.1) - g.rep_pieces[0].0;
            let cb = const_bytes(&g.rep_pieces, &varying);
            let fields_const = (1..varying.len()).step_by(2).any(|j| !varying[j]);
            if !fields_const
                || slots_of(&varying, &short_fields(&g.rep_pieces)).len() > MAX_SLOTS
                || (cb as f32) < MIN_CONST_SHARE * rep_bytes as f32
            {
                continue;
            }
            let rank = (added, usize::MAX - cb);
            if best.as_ref().is_none_or(|b| rank < b.1) {
                best = Some((gi, rank, varying));
            }
        }
        match best {
            Some((gi, _, varying)) => {
                let g = &mut open[gi];
                g.varying = varying;
                g.members.push((li, p));
                g.last = li;
            }
            None => {
                if open.len() >= MAX_OPEN {
                    let oldest = (0..open.len()).min_by_key(|&k| open[k].last).unwrap_or(0);
                    done.push(open.swap_remove(oldest));
                }
                let varying = value_fields(text, &p, listing);
                open.push(Open {
                    key,
                    rep: li,
                    varying,
                    rep_pieces: p.clone(),
                    members: vec![(li, p)],
                    last: li,
                });
            }
        }
    }
    done.extend(open);
    done.sort_by_key(|g| g.rep);
    let mut out = none;
    for mut g in done {
        if listing {
            whole_last_column(text, &mut g);
        }
        if let Some(tg) = finish(text, g, out.groups.len() + 1) {
            for (k, &li) in tg.lines.iter().enumerate() {
                out.row_of[li] = Some((out.groups.len(), k));
            }
            out.groups.push(tg);
        }
    }
    // ids in order of first row (groups are sorted by their first line already)
    out
}

/// Extends a varying last field backwards over the constant, digit-free fields before it.
fn whole_last_column(text: &str, g: &mut Open) {
    let n = g.varying.len();
    if n < 3 || !g.varying[n - 2] || g.varying[n - 1] {
        return;
    }
    let mut j = n - 2; // last field
    while j >= 3 && !g.varying[j - 1] && !g.varying[j - 2] {
        let f = g.rep_pieces[j - 2];
        if text[f.0..f.1]
            .bytes()
            .any(|b| b.is_ascii_digit() || b == b':')
        {
            break;
        }
        g.varying[j - 1] = true;
        g.varying[j - 2] = true;
        j -= 2;
    }
}

/// Turns an open group into a table group, when it is big enough and saves bytes.
fn finish(text: &str, g: Open, id: usize) -> Option<TableGroup> {
    if g.members.len() < MIN_ROWS || !g.varying.iter().any(|v| *v) {
        return None;
    }
    let slots = slots_of(&g.varying, &short_fields(&g.rep_pieces));
    let mut template = String::new();
    let mut j = 0;
    for &(s, e) in &slots {
        for r in &g.rep_pieces[j..s] {
            template.push_str(&text[r.0..r.1]);
        }
        template.push_str(SLOT);
        j = e;
    }
    for r in &g.rep_pieces[j..] {
        template.push_str(&text[r.0..r.1]);
    }
    if template.matches(SLOT).count() != slots.len() {
        return None; // the constant text holds a literal slot mark
    }
    let mut lines = Vec::new();
    let mut cells = Vec::new();
    let (mut bytes_in, mut bytes_out) = (0usize, template.len() + 6);
    for (li, p) in &g.members {
        let row: Vec<(usize, usize)> = slots.iter().map(|&(s, e)| (p[s].0, p[e - 1].1)).collect();
        if row
            .iter()
            .any(|&(a, b)| text[a..b].contains('|') || text[a..b].contains(SLOT))
        {
            continue;
        }
        bytes_in += p.last().map_or(0, |l| l.1) - p[0].0;
        bytes_out += 4 + row
            .iter()
            .map(|r| r.1 - r.0 + CELL_SEP.len())
            .sum::<usize>();
        lines.push(*li);
        cells.push(row);
    }
    if lines.len() < MIN_ROWS || bytes_out * 10 > bytes_in * 8 {
        return None;
    }
    Some(TableGroup {
        id,
        template,
        lines,
        cells,
    })
}

/// Rebuilds the line of a row from its template (what a reader of the output does).
pub fn expand_row(template: &str, row_cells: &[&str]) -> Option<String> {
    let parts: Vec<&str> = template.split(SLOT).collect();
    if parts.len() != row_cells.len() + 1 {
        return None;
    }
    let mut out = String::from(parts[0]);
    for (c, p) in row_cells.iter().zip(&parts[1..]) {
        out.push_str(c);
        out.push_str(p);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kompress_tokenize::tokenize;

    #[test]
    fn pieces_alternate_separators_and_fields() {
        let p = pieces("  a bb\tc", 0);
        assert_eq!(
            p,
            vec![(0, 2), (2, 3), (3, 4), (4, 6), (6, 7), (7, 8), (8, 8)]
        );
    }

    #[test]
    fn interleaved_templates_fold_separately_and_rows_expand_to_their_lines() {
        let mut t = String::new();
        for i in 0..6 {
            t.push_str(&format!(
                "2026-12-02 10:00:0{i} INFO Receiving block blk_{i}{i}7 src: /10.0.0.{i}:5001{i} from the upstream replica pipeline\n"
            ));
            t.push_str(&format!(
                "2026-12-02 10:00:0{i} WARN slow disk sd{i} took {i}3 ms while flushing the journal to stable storage\n"
            ));
        }
        let d = tokenize(t.as_str());
        let f = find_table_folds(&d, &vec![true; d.lines.len()], false);
        assert_eq!(f.groups.len(), 2, "{:?}", f.groups);
        for g in &f.groups {
            for (k, &li) in g.lines.iter().enumerate() {
                let cells: Vec<&str> = g.cells[k].iter().map(|&(a, b)| &t[a..b]).collect();
                let line = d.lines[li].content(&t);
                assert_eq!(expand_row(&g.template, &cells).as_deref(), Some(line));
            }
        }
        assert!(f.groups[0]
            .template
            .contains("INFO Receiving block <*> src: <*>"));
    }

    #[test]
    fn cells_with_a_bar_stay_verbatim_and_fold_syntax_in_the_input_turns_folding_off() {
        let mut t = String::new();
        for i in 0..5 {
            let v = if i == 2 {
                "a|b".to_string()
            } else {
                format!("v{i}")
            };
            t.push_str(&format!(
                "job runner started task {v} on the main worker pool\n"
            ));
        }
        let d = tokenize(t.as_str());
        let f = find_table_folds(&d, &vec![true; d.lines.len()], false);
        assert_eq!(f.groups.len(), 1);
        assert!(!f.is_row(2) && f.is_row(0) && f.is_row(4));
        let t2 = format!("{t}T1| looks like a row\n");
        let d2 = tokenize(t2.as_str());
        assert!(find_table_folds(&d2, &vec![true; d2.lines.len()], false)
            .groups
            .is_empty());
    }

    #[test]
    fn a_listings_constant_columns_go_into_the_template_and_names_stay_in_rows() {
        // the size column is padded to the widest size (the directory's own), so its separator
        // varies; owner and date are the same on every row and are written once
        let mut t = String::from("drwxr-xr-x 2 root root 12288 Dec  3 12:42 .\n");
        for (size, name) in [
            (130, "README-10.md"),
            (4, "a.py"),
            (953, "data-1.json"),
            (77, "b.rs"),
            (1024, "c.toml"),
            (12, "d.txt"),
        ] {
            t.push_str(&format!(
                "-rw-r--r-- 1 root root {size:>5} Dec  3 12:42 {name}\n"
            ));
        }
        let d = tokenize(t.as_str());
        let f = find_table_folds(&d, &vec![true; d.lines.len()], true);
        assert_eq!(f.groups.len(), 1, "{:?}", f.groups);
        let g = &f.groups[0];
        assert_eq!(g.template, "-rw-r--r-- 1 root root<*> Dec  3 12:42 <*>");
        assert_eq!(g.row(&t, 2), "T1|    953 | data-1.json");
    }

    #[test]
    fn unlike_lines_do_not_fold() {
        let t = "alpha beta gamma\none two three four\nfoo bar\nzip zap zop\n";
        let d = tokenize(t);
        assert!(find_table_folds(&d, &[true; 4], false).groups.is_empty());
    }
}
