//! What each kind of tool output keeps with the default statistical pruner: every entry of a
//! listing, every parameter of a log (folded into rows a reader can expand), every line of
//! source code; and restore stays byte-exact.

use kompress_core::{restore, CompressionConfig, Eviction, Pruner, PrunerScores, TokenizedText};
use kompress_floor::Floor;
use kompress_pipeline::stages::compress_text_direct;
use kompress_rewrite::table::{expand_row, CELL_SEP, LEGEND};
use kompress_stat::StatPruner;

fn compress_with(text: &str, pruner: &mut dyn Pruner) -> String {
    let cfg = CompressionConfig::default();
    let (_, r) = compress_text_direct(text, pruner, &Floor::embedded_default(), &cfg).unwrap();
    let ev: Vec<Eviction> = r
        .edits
        .iter()
        .map(|e| Eviction {
            transcript_id: "t".into(),
            message_index: 0,
            start: e.start as u64,
            end: e.end as u64,
            original: text[e.start..e.end].to_string(),
            replacement: e.replacement.clone(),
            decoded: None,
            handle: e.handle.clone(),
            hash: String::new(),
            kind: e.kind,
        })
        .collect();
    assert_eq!(
        restore(&r.text, &ev).unwrap(),
        text,
        "restore is byte-exact"
    );
    r.text
}

fn compress(text: &str) -> String {
    compress_with(text, &mut StatPruner::default())
}

/// What a reader of the output does: expands every `Tn| …` row through its `[Tn]` template and
/// drops the legend and template lines. Lines that were not folded pass through.
fn expand(out: &str) -> String {
    let mut templates = std::collections::HashMap::new();
    let mut lines = Vec::new();
    for line in out.split_inclusive('\n') {
        let (body, eol) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        if body == LEGEND {
            continue;
        }
        if let Some(rest) = body.strip_prefix("[T") {
            if let Some((id, tpl)) = rest.split_once("] ") {
                if id.chars().all(|c| c.is_ascii_digit()) {
                    templates.insert(id.to_string(), tpl.to_string());
                    continue;
                }
            }
        }
        if let Some(rest) = body.strip_prefix('T') {
            if let Some((id, cells)) = rest.split_once("| ") {
                if let Some(t) = templates.get(id) {
                    let cells: Vec<&str> = cells.split(CELL_SEP).collect();
                    let l = expand_row(t, &cells).expect("row fits its template");
                    lines.push(format!("{l}{eol}"));
                    continue;
                }
            }
        }
        lines.push(line.to_string());
    }
    lines.concat()
}

fn ls_la_of_300_entries() -> String {
    let dir = std::env::temp_dir().join(format!("kompress-ls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..300 {
        let name = match i % 4 {
            0 => format!("libfoo-{i}.so.{}", i % 7),
            1 => format!("module_{i}.py"),
            2 => format!("README-{i}.md"),
            _ => format!("data {i}.json"),
        };
        std::fs::write(dir.join(name), "x".repeat(i * 13 % 997)).unwrap();
    }
    let out = std::process::Command::new("ls")
        .arg("-la")
        .arg(&dir)
        .env("LC_ALL", "C")
        .output()
        .expect("ls runs");
    std::fs::remove_dir_all(&dir).ok();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn ls_la_of_300_entries_keeps_every_entry_name() {
    let text = ls_la_of_300_entries();
    let out = compress(&text);
    for line in text.lines().skip(1) {
        let name = line
            .split_whitespace()
            .skip(8)
            .collect::<Vec<_>>()
            .join(" ");
        assert!(out.contains(&name), "entry {name:?} is missing");
    }
    assert_eq!(expand(&out), text, "the rows expand back to the listing");
    assert!(out.len() < text.len(), "the columns fold");
}

/// 200 lines of a server log from six templates, interleaved, with parameters made up here:
/// block ids, addresses, ports, durations, request ids, user names.
fn server_log() -> (String, Vec<String>) {
    let mut s = 0x2545_f491_4f6c_dd1du64;
    let mut next = |m: u64| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s % m
    };
    let mut text = String::new();
    let mut params = Vec::new();
    for i in 0..200 {
        let ts = format!(
            "2026-12-02 10:{:02}:{:02},{:03}",
            i / 60,
            i % 60,
            next(1000)
        );
        let p: Vec<String> = match next(6) {
            0 => vec![
                format!("blk_{}", next(1 << 40)),
                format!("10.1.{}.{}:{}", next(255), next(255), 50000 + next(999)),
            ],
            1 => vec![
                format!("{}", next(5000)),
                format!("req-{:08x}", next(1 << 32)),
            ],
            2 => vec![
                format!("user{}", next(90)),
                format!("/api/v1/items/{}", next(10_000)),
            ],
            3 => vec![format!("{}ms", next(900))],
            4 => vec![
                format!("partition-{}", next(64)),
                format!("{}", next(1 << 20)),
            ],
            _ => vec![format!("worker-{}", next(16))],
        };
        let line = match p.len() {
            2 if p[0].starts_with("blk_") => format!(
                "{ts} INFO dfs.DataNode: Receiving block {} src: /{} dest: /10.0.0.1:50010",
                p[0], p[1]
            ),
            2 if p[1].starts_with("req-") => format!(
                "{ts} INFO http.Server: served 200 in {} us for {}",
                p[0], p[1]
            ),
            2 if p[0].starts_with("user") => format!(
                "{ts} INFO auth.Session: session opened for {} on {}",
                p[0], p[1]
            ),
            2 => format!(
                "{ts} INFO log.Manager: flushed {} up to offset {}",
                p[0], p[1]
            ),
            _ if p[0].ends_with("ms") => format!(
                "{ts} WARN gc.Monitor: pause of {} exceeded the target",
                p[0]
            ),
            _ => format!(
                "{ts} INFO pool.Executor: {} picked up a task from the queue",
                p[0]
            ),
        };
        params.push(ts.split(' ').nth(1).unwrap().to_string());
        params.extend(p);
        text.push_str(&line);
        text.push('\n');
    }
    (text, params)
}

#[test]
fn a_200_line_server_log_keeps_every_parameter_value_in_rows() {
    let (text, params) = server_log();
    let out = compress(&text);
    for p in &params {
        let want = params.iter().filter(|q| *q == p).count();
        assert!(
            out.matches(p.as_str()).count() >= want,
            "parameter {p:?} lost"
        );
    }
    assert!(
        out.contains(LEGEND) && out.contains("[T1] "),
        "the log folded"
    );
    assert_eq!(expand(&out), text, "every row maps back to its line");
    let saved = 1.0 - out.len() as f64 / text.len() as f64;
    assert!(saved > 0.3, "folding saves bytes: {saved:.2}");
}

/// A pruner that evicts everything it is given.
struct EvictAll;

impl Pruner for EvictAll {
    fn name(&self) -> &str {
        "evict-all"
    }
    fn score_batch(&mut self, texts: &[&TokenizedText]) -> Result<Vec<PrunerScores>, CoreError> {
        Ok(texts
            .iter()
            .map(|t| {
                let mut s = PrunerScores::with_len(t.tokens.len());
                s.token_logits.iter_mut().for_each(|x| *x = 8.0);
                s.span_logits.iter_mut().for_each(|x| *x = -8.0);
                s
            })
            .collect())
    }
}

use kompress_core::CoreError;

#[test]
fn a_pruner_that_evicts_a_source_file_is_held_to_the_protected_share() {
    let mut src = String::from("use std::collections::HashMap;\n\n");
    for i in 0..40 {
        src.push_str(&format!(
            "pub fn handler_{i}(m: &mut HashMap<String, u32>) -> u32 {{\n    m.len() as u32 + {i}\n}}\n\n"
        ));
    }
    let out = compress_with(&src, &mut EvictAll);
    assert_eq!(
        out, src,
        "past the share, every line of a source file stays"
    );
}

#[test]
fn log_rows_under_an_evicting_pruner_still_carry_every_parameter() {
    let (text, params) = server_log();
    let out = compress_with(&text, &mut EvictAll);
    for p in &params {
        assert!(out.contains(p.as_str()), "parameter {p:?} lost");
    }
}

/// A failing pytest run whose error is raised inside the standard library: pytest lists the
/// library function's source above its failing line.
fn pytest_through_the_stdlib() -> String {
    let mut s = String::from(
        "============================= test session starts ==============================\n\
         collected 2 items\n\n\
         test_dates.py F.                                                         [100%]\n\n\
         =================================== FAILURES ===================================\n\
         ____________________________ test_parse_bad_format _____________________________\n\n\
         \x20   def test_parse_bad_format():\n\
         >       assert parse_day(\"31/02/2024\") == 31\n\n\
         test_dates.py:10: \n\
         _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ \n\n\
         data_string = '31/02/2024', format = '%d/%m/%Y'\n\n\
         \x20   def _strptime(data_string, format=\"%a %b %d %H:%M:%S %Y\"):\n",
    );
    // a varied body, as a real library function's is
    let body = [
        "        \"\"\"Return the parsed struct for data_string read with format.\"\"\"",
        "        for index, arg in enumerate([data_string, format]):",
        "            if not isinstance(arg, str):",
        "                msg = \"argument {} must be str, not {}\"",
        "                raise TypeError(msg.format(index, type(arg)))",
        "        global _cache_of_patterns, _cache_of_regexes",
        "        with _cache_lock:",
        "            locale_time = _cache_of_patterns.locale_time",
        "            if _getlang() != locale_time.lang:",
        "                _cache_of_patterns = PatternTable()",
        "                _cache_of_regexes.clear()",
        "            if len(_cache_of_regexes) > _CACHE_MAX_SIZE:",
        "                _cache_of_regexes.clear()",
        "            format_regex = _cache_of_regexes.get(format)",
        "            if not format_regex:",
        "                format_regex = _cache_of_patterns.compile(format)",
        "                _cache_of_regexes[format] = format_regex",
    ];
    for line in body {
        s.push_str(line);
        s.push('\n');
    }
    s.push_str(
        "        found = format_regex.match(data_string)\n\
         >           raise ValueError(\"time data %r does not match format %r\" %\n\
         \x20                            (data_string, format))\n\
         E           ValueError: time data '31/02/2024' does not match format '%d/%m/%Y'\n\n\
         /usr/lib/python3.11/_strptime.py:349: ValueError\n\
         =========================== short test summary info ============================\n\
         FAILED test_dates.py::test_parse_bad_format - ValueError: time data '31/02/2024' does not match format '%d/%m/%Y'\n\
         ========================= 1 failed, 1 passed in 0.05s ==========================\n",
    );
    s
}

#[test]
fn a_stdlib_frames_source_listing_goes_behind_a_marker_and_the_failure_stays() {
    let text = pytest_through_the_stdlib();
    let out = compress(&text);
    assert!(
        out.len() * 4 < text.len() * 3,
        "the listing is evicted:\n{out}"
    );
    assert!(
        !out.contains("_cache_of_patterns = PatternTable()"),
        "{out}"
    );
    assert!(out.contains("[…"), "behind a marker:\n{out}");
    for kept in [
        "    def test_parse_bad_format():",
        ">       assert parse_day(\"31/02/2024\") == 31",
        "test_dates.py:10: ",
        "data_string = '31/02/2024', format = '%d/%m/%Y'",
        ">           raise ValueError(\"time data %r does not match format %r\" %",
        "E           ValueError: time data '31/02/2024' does not match format '%d/%m/%Y'",
        "/usr/lib/python3.11/_strptime.py:349: ValueError",
        "FAILED test_dates.py::test_parse_bad_format",
    ] {
        assert!(out.contains(kept), "{kept:?} is kept:\n{out}");
    }
    // the same frame in the project's own code stays whole
    let own = text.replace("/usr/lib/python3.11/_strptime.py", "src/dates/_strptime.py");
    assert!(compress(&own).contains("_cache_of_patterns = PatternTable()"));
}
