//! `[pruner]`: parsing, validation that names the field, and what each kind builds, with and
//! without the `learned` feature.

use kompress_core::CoreError;
use kompress_pruners::{PrunerKind, PrunerSpec};
use kompress_stat::StatConfig;

fn parse(toml_text: &str) -> PrunerSpec {
    #[derive(serde::Deserialize)]
    struct File {
        pruner: PrunerSpec,
    }
    toml::from_str::<File>(toml_text).expect("parses").pruner
}

fn field_of(e: CoreError) -> String {
    match e {
        CoreError::InvalidConfig { field, .. } => field,
        other => panic!("expected a config error, got {other}"),
    }
}

#[test]
fn pruner_section_parses_kind_and_learned_kinds() {
    let s =
        parse("[pruner]\nkind = \"stat\"\nlearned_kinds = [\"log\"]\nlearned_min_tokens = 64\n");
    assert_eq!(s.kind, PrunerKind::Stat);
    assert_eq!(s.learned_kinds, vec![kompress_core::TextKind::Log]);
    assert_eq!(s.learned_min_tokens, 64);
    s.validate().expect("valid");
}

#[test]
fn invalid_fields_are_named_in_the_error() {
    let bad = |f: fn(&mut PrunerSpec)| {
        let mut s = PrunerSpec::default();
        f(&mut s);
        field_of(s.validate().expect_err("invalid"))
    };
    assert_eq!(bad(|s| s.threads = -1), "pruner.threads");
    assert_eq!(bad(|s| s.batch_tokens = 8), "pruner.batch_tokens");
    assert_eq!(bad(|s| s.blend_weight = 1.0), "pruner.blend_weight");
    assert_eq!(bad(|s| s.blend_bias = f32::NAN), "pruner.blend_bias");
    assert_eq!(
        bad(|s| s.model = Some("/nonexistent/kompress-model".into())),
        "pruner.model"
    );
}

#[test]
fn stat_and_auto_build_without_loading_a_model() {
    for kind in [PrunerKind::Stat, PrunerKind::Auto] {
        let s = PrunerSpec {
            kind,
            model: Some("/nonexistent/kompress-model".into()),
            ..PrunerSpec::default()
        };
        let mut p = s.build(&StatConfig::default()).expect("builds");
        let doc = kompress_tokenize::tokenize("error: build failed at src/main.rs:3\n");
        let scores = p.score_batch(&[&doc]).expect("scores");
        assert_eq!(scores.len(), 1);
    }
}

#[cfg(not(feature = "learned"))]
#[test]
fn learned_and_blend_name_the_missing_feature_in_a_lean_build() {
    const { assert!(!kompress_pruners::LEARNED) };
    for kind in [PrunerKind::Learned, PrunerKind::Blend] {
        let s = PrunerSpec {
            kind,
            ..PrunerSpec::default()
        };
        match s.build(&StatConfig::default()) {
            Err(CoreError::Pruner { reason, .. }) => {
                assert!(reason.contains("`learned` cargo feature"), "{reason}")
            }
            Err(other) => panic!("expected a pruner error, got {other}"),
            Ok(_) => panic!("{kind:?} built without the learned feature"),
        }
    }
}

#[cfg(feature = "learned")]
#[test]
fn learned_with_a_missing_model_is_a_pruner_error_naming_the_directory() {
    let s = PrunerSpec {
        kind: PrunerKind::Learned,
        model: Some(std::env::temp_dir().join("kompress-no-model-here")),
        ..PrunerSpec::default()
    };
    match s.build(&StatConfig::default()) {
        Err(CoreError::Pruner { reason, .. }) => {
            assert!(reason.contains("kompress-no-model-here"), "{reason}")
        }
        Err(other) => panic!("expected a pruner error, got {other}"),
        Ok(_) => panic!("a missing model loaded"),
    }
}
