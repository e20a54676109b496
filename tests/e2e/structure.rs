//! Structure survives: no two input lines are ever joined, order is kept, every marker carries a
//! handle that resolves to its eviction, and JSON transcripts keep their roles and tool pairing.

use std::collections::HashMap;

use kompress_core::{split_lines, CompressionConfig, Format, Mode};
use kompress_e2e::{compress, dev_set};

/// Every output line is a whole input line, or a marker line, in input order.
fn assert_lines_whole_and_ordered(input: &str, output: &str, id: &str) {
    let ins: Vec<&str> = split_lines(input)
        .iter()
        .map(|l| l.content(input))
        .collect();
    let strip = |s: &str| {
        let d = kompress_core::split_lines(s);
        let _ = d;
        let mut out = String::new();
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                if chars.peek() == Some(&'[') {
                    chars.next();
                    for c2 in chars.by_ref() {
                        if ('@'..='~').contains(&c2) {
                            break;
                        }
                    }
                } else {
                    chars.next();
                }
                continue;
            }
            out.push(c);
        }
        out
    };
    let mut cursor = 0;
    // fold rows are read as a reader would: `[Tn] template` lines define templates, a
    // `Tn| a | b` row stands for the template with its slots filled, in place
    let mut templates: HashMap<String, String> = HashMap::new();
    for ol in split_lines(output).iter().map(|l| l.content(output)) {
        if ol.starts_with("[…") || ol.starts_with("[+") || ol.contains("[…ref=") {
            continue;
        }
        if ol == kompress_rewrite::table::LEGEND {
            continue;
        }
        if let Some((id, tpl)) = ol.strip_prefix("[T").and_then(|r| r.split_once("] ")) {
            if id.bytes().all(|b| b.is_ascii_digit()) {
                templates.insert(id.to_string(), tpl.to_string());
                continue;
            }
        }
        let expanded = ol
            .strip_prefix('T')
            .and_then(|r| r.split_once("| "))
            .and_then(|(id, cells)| {
                let cells: Vec<&str> = cells.split(kompress_rewrite::table::CELL_SEP).collect();
                kompress_rewrite::table::expand_row(templates.get(id)?, &cells)
            });
        let ol = expanded.as_deref().unwrap_or(ol);
        let found = ins[cursor..]
            .iter()
            .position(|il| strip(il) == ol || *il == ol);
        assert!(
            found.is_some(),
            "{id}: output line not a whole input line in order: {ol:?}"
        );
        cursor += found.unwrap() + 1;
    }
}

#[test]
fn dev_outputs_never_fuse_or_reorder_lines() {
    let Some(cases) = dev_set() else { return };
    for c in cases.iter().step_by(3) {
        let r = compress(&c.text, Format::Text, CompressionConfig::default()).unwrap();
        assert_lines_whole_and_ordered(&c.text, &r.output, &c.id);
    }
}

#[test]
fn every_marker_handle_resolves_to_one_eviction() {
    let Some(cases) = dev_set() else { return };
    for c in cases.iter().filter(|c| c.source == "cidiff").take(10) {
        let r = compress(
            &c.text,
            Format::Text,
            CompressionConfig {
                mode: Mode::Ultra,
                ..Default::default()
            },
        )
        .unwrap();
        let by_handle: HashMap<&str, &kompress_core::Eviction> = r
            .evictions
            .iter()
            .filter(|e| !e.handle.is_empty())
            .map(|e| (e.handle.as_str(), e))
            .collect();
        for (i, _) in r.output.match_indices("ref=") {
            let h = &r.output[i + 4..i + 12];
            let e = by_handle
                .get(h)
                .unwrap_or_else(|| panic!("{}: marker ref={h} has no eviction", c.id));
            assert!(
                c.text.contains(e.text()),
                "{}: eviction text is not from the input",
                c.id
            );
        }
    }
}

#[test]
fn transcripts_keep_roles_tool_pairing_and_untouched_messages() {
    let log: String = (0..200)
        .map(|i| format!("[INFO] Downloading from central: https://repo/x/{i}/a-{i}.pom\n"))
        .collect::<String>()
        + "[ERROR] Failed to execute goal: compilation failure\n";
    let doc = serde_json::json!({
        "model": "gpt",
        "messages": [
            {"role": "system", "content": "You are terse.\n".repeat(30)},
            {"role": "user", "content": "why did the build fail?"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "ci_log", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": log},
        ]
    });
    let src = serde_json::to_string(&doc).unwrap();
    let r = compress(&src, Format::Auto, CompressionConfig::default()).unwrap();
    let out: serde_json::Value = serde_json::from_str(&r.output).unwrap();
    assert_eq!(
        out["messages"][0], doc["messages"][0],
        "system prompt untouched"
    );
    assert_eq!(out["messages"][1], doc["messages"][1]);
    assert_eq!(
        out["messages"][2], doc["messages"][2],
        "tool call untouched"
    );
    assert_eq!(out["messages"][3]["tool_call_id"], "call_1");
    let tool = out["messages"][3]["content"].as_str().unwrap();
    assert!(
        tool.len() < log.len() * 3 / 4,
        "tool output compressed: {} of {}",
        tool.len(),
        log.len()
    );
    assert!(tool.contains("[ERROR] Failed to execute goal: compilation failure"));
    assert!(r.evictions.iter().all(|e| e.message_index == 3));
}
