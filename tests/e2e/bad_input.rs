//! Bad input gets a typed error, never a panic: empty, oversized, malformed JSON, unknown roles,
//! schema violations, 10 MB lines.

use kompress_core::{restore, CompressionConfig, CoreError, Format};
use kompress_e2e::compress;
use kompress_pipeline::PipelineError;

fn core_err(r: Result<kompress_pipeline::CompressResponse, PipelineError>) -> CoreError {
    match r {
        Err(PipelineError::Core(e)) => e,
        Err(other) => panic!("expected a core error, got {other}"),
        Ok(_) => panic!("expected an error"),
    }
}

#[test]
fn empty_input_is_a_typed_error() {
    assert!(matches!(
        core_err(compress("", Format::Text, CompressionConfig::default())),
        CoreError::EmptyInput
    ));
}

#[test]
fn oversized_input_names_size_and_limit() {
    let cfg = CompressionConfig {
        max_bytes: 10,
        ..Default::default()
    };
    let e = core_err(compress("0123456789ABC", Format::Text, cfg));
    assert!(
        matches!(
            e,
            CoreError::Oversized {
                size: 13,
                limit: 10
            }
        ),
        "{e}"
    );
}

#[test]
fn malformed_json_names_line_and_column() {
    let e = core_err(compress(
        "{\"messages\": [\n  {\"role\": \"tool\", \"content\": \"x\"\n",
        Format::OpenAi,
        CompressionConfig::default(),
    ));
    match e {
        CoreError::MalformedJson { line, .. } => assert!(line >= 2),
        other => panic!("{other}"),
    }
}

#[test]
fn unknown_role_and_wrong_shape_are_schema_errors() {
    let e = core_err(compress(
        r#"[{"role":"oracle","content":"x"}]"#,
        Format::OpenAi,
        CompressionConfig::default(),
    ));
    assert!(matches!(e, CoreError::UnknownRole { .. }), "{e}");
    let e = core_err(compress(
        r#"{"messages": 3}"#,
        Format::Anthropic,
        CompressionConfig::default(),
    ));
    assert!(matches!(e, CoreError::Schema { .. }), "{e}");
    let e = core_err(compress(
        r#"[{"content":"no role"}]"#,
        Format::Auto,
        CompressionConfig::default(),
    ));
    assert!(matches!(e, CoreError::Schema { .. }), "{e}");
}

#[test]
fn invalid_config_names_the_field() {
    let cfg = CompressionConfig {
        target_ratio: Some(0.0),
        ..Default::default()
    };
    let e = core_err(compress("some text", Format::Text, cfg));
    assert!(e.to_string().contains("target_ratio"), "{e}");
}

#[test]
fn a_ten_megabyte_line_compresses_and_restores() {
    let mut text = "x".repeat(10 << 20);
    text.push_str("\nERROR: after the long line\n");
    let r = compress(&text, Format::Text, CompressionConfig::default()).unwrap();
    assert!(r.output.contains("ERROR: after the long line"));
    assert_eq!(restore(&r.output, &r.evictions).unwrap(), text);
}

#[test]
fn invalid_utf8_is_reported_with_offset() {
    let e = kompress_core::utf8(b"fine\n\xc3\x28 broken").unwrap_err();
    assert!(
        matches!(e, CoreError::InvalidUtf8 { offset: 5, line: 2 }),
        "{e}"
    );
}
