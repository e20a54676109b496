//! Nothing is lost: restore(compress(x)) == x for random texts, random JSON transcripts and
//! every dev-set case, in safe and ultra mode, with and without markers.

use kompress_core::{restore, CompressionConfig, Format, Mode};
use kompress_e2e::{compress, dev_set};
use proptest::prelude::*;

fn cfg(mode: Mode, markers: bool) -> CompressionConfig {
    CompressionConfig {
        mode,
        markers,
        min_bytes: 0,
        ..Default::default()
    }
}

#[test]
fn every_dev_case_restores_byte_exact_in_both_modes() {
    let Some(cases) = dev_set() else { return };
    for c in &cases {
        for (mode, markers) in [(Mode::Safe, true), (Mode::Ultra, true), (Mode::Safe, false)] {
            let r = compress(&c.text, Format::Text, cfg(mode, markers)).unwrap();
            assert_eq!(
                restore(&r.output, &r.evictions).unwrap(),
                c.text,
                "{} {mode:?} markers={markers}",
                c.id
            );
        }
    }
}

fn transcript(contents: &[String]) -> String {
    let msgs: Vec<serde_json::Value> = contents
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i % 2 == 0 {
                serde_json::json!({"role": "tool", "tool_call_id": format!("c{i}"), "content": c})
            } else {
                serde_json::json!({"role": "assistant", "content": c})
            }
        })
        .collect();
    // pretty-printed with \u escapes for non-ASCII, so raw literals differ from decoded text
    let s =
        serde_json::to_string_pretty(&serde_json::json!({"model": "m", "messages": msgs})).unwrap();
    s.chars()
        .map(|ch| {
            if ch.is_ascii() {
                ch.to_string()
            } else {
                ch.encode_utf16(&mut [0; 2])
                    .iter()
                    .map(|u| format!("\\u{u:04x}"))
                    .collect()
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_text_restores(text in "(\\PC|\\n|\\r\\n|\\t|\x1b\\[1;31m|[ a-z0-9./:]{0,40}\\n){0,300}", ultra in any::<bool>(), markers in any::<bool>()) {
        let mode = if ultra { Mode::Ultra } else { Mode::Safe };
        match compress(&text, Format::Text, cfg(mode, markers)) {
            Ok(r) => prop_assert_eq!(restore(&r.output, &r.evictions).unwrap(), text),
            Err(e) => prop_assert!(text.is_empty(), "unexpected error {e}"),
        }
    }

    #[test]
    fn random_json_transcripts_restore_and_stay_valid(contents in prop::collection::vec("(\\PC|\\n|\"|\\\\|[\\[\\]{}]){0,120}(\\n\\[INFO\\] Downloading [a-z]{3,9}/[0-9]{1,3}){0,40}", 1..6)) {
        let doc = transcript(&contents);
        let r = compress(&doc, Format::Auto, cfg(Mode::Safe, true)).unwrap();
        prop_assert_eq!(restore(&r.output, &r.evictions).unwrap(), doc.clone());
        let v: serde_json::Value = serde_json::from_str(&r.output).expect("output stays valid JSON");
        prop_assert_eq!(v["messages"].as_array().unwrap().len(), contents.len());
    }
}
