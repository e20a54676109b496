//! Loading configs: the embedded default, user files that add, replace and disable
//! categories, and errors that name the offending field or pattern.

mod common;

use kompress_floor::{Floor, FloorError, Keep, EMBEDDED_TOML};

#[test]
fn embedded_default_builds_and_lists_its_categories() {
    let f = Floor::embedded_default();
    let names: Vec<_> = f.categories().collect();
    for want in [
        "url",
        "path",
        "file_line",
        "git_sha",
        "identifier",
        "exception",
        "error_code",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    assert_eq!(
        f.category_keep(f.category_id("exception").unwrap()),
        Keep::Line
    );
    assert_eq!(f.category_keep(f.category_id("path").unwrap()), Keep::Span);
    // The embedded file is also a valid stand-alone user file.
    let again = Floor::from_toml(EMBEDDED_TOML).unwrap();
    assert_eq!(again.categories().count(), names.len());
}

#[test]
fn url_comes_before_path_before_identifier() {
    let f = Floor::embedded_default();
    let pos = |n: &str| f.category_id(n).unwrap();
    assert!(pos("url") < pos("path"));
    assert!(pos("path") < pos("identifier"));
}

#[test]
fn user_file_adds_a_category_first_by_default() {
    let f = Floor::from_toml(
        r#"
        [[category]]
        name = "ticket"
        keep = "span"
        patterns = ['${B}[A-Z]{2,6}-[0-9]+${B}']
        "#,
    )
    .unwrap();
    assert_eq!(f.categories().next(), Some("ticket"));
    common::assert_hit(&f, "fixes PROJ-1234 today", "ticket", "PROJ-1234");
    // The defaults are still there.
    common::assert_hit(&f, "see /usr/lib/x.so", "path", "/usr/lib/x.so");
}

#[test]
fn user_file_can_append_with_last_priority() {
    let f = Floor::from_toml(
        r#"
        [[category]]
        name = "greeting"
        keep = "span"
        priority = "last"
        patterns = ['${B}Hello${B}']
        "#,
    )
    .unwrap();
    assert_eq!(f.categories().last(), Some("greeting"));
    common::assert_hit(&f, "Hello there", "greeting", "Hello");
}

#[test]
fn user_file_disables_and_replaces_categories() {
    let f = Floor::from_toml(
        r#"
        disable = ["quoted", "number"]
        [[category]]
        name = "hex"
        keep = "line"
        patterns = ['${B}0x[0-9a-f]{4}${B}']
        "#,
    )
    .unwrap();
    assert!(f.category_id("quoted").is_none());
    assert!(f.category_id("number").is_none());
    common::assert_untouched(&f, "say 'hi' 42 times", "'hi' 42");
    let hex = f.category_id("hex").unwrap();
    assert_eq!(f.category_keep(hex), Keep::Line);
    let defaults = Floor::embedded_default();
    assert_eq!(
        defaults.category_id("hex"),
        Some(hex),
        "replaced in place (both removed ones come after it)"
    );
}

#[test]
fn base_none_starts_from_nothing() {
    let f = Floor::from_toml(
        r#"
        base = "none"
        [[category]]
        name = "only"
        keep = "span"
        patterns = ['abc']
        "#,
    )
    .unwrap();
    assert_eq!(f.categories().collect::<Vec<_>>(), ["only"]);
    assert_eq!(common::hits(&f, "/usr/lib abc"), [("only", "abc")]);
}

#[test]
fn invalid_regex_error_names_category_and_index() {
    let err = Floor::from_toml(
        r#"
        [[category]]
        name = "broken"
        keep = "span"
        patterns = ['ok', '(unclosed']
        "#,
    )
    .unwrap_err();
    match &err {
        FloorError::Pattern {
            category,
            index,
            pattern,
            ..
        } => {
            assert_eq!(
                (category.as_str(), *index, pattern.as_str()),
                ("broken", 1, "(unclosed")
            );
        }
        other => panic!("wrong error {other:?}"),
    }
    assert!(err.to_string().contains("broken") && err.to_string().contains("pattern 1"));
}

#[test]
fn empty_matching_pattern_is_rejected() {
    let err = Floor::from_toml("[[category]]\nname = \"e\"\nkeep = \"span\"\npatterns = ['x*']\n")
        .unwrap_err();
    assert!(err.to_string().contains("empty string"), "{err}");
}

#[test]
fn unknown_variable_is_named() {
    let err =
        Floor::from_toml("[[category]]\nname = \"v\"\nkeep = \"span\"\npatterns = ['${NOPE}x']\n")
            .unwrap_err();
    assert!(
        err.to_string().contains("NOPE") && err.to_string().contains("`v`"),
        "{err}"
    );
}

#[test]
fn invalid_toml_and_fields_are_named() {
    let err = Floor::from_toml("[[category]]\nname = \"k\"\nkeep = \"word\"\npatterns = ['x']\n")
        .unwrap_err();
    assert!(
        matches!(err, FloorError::Toml { .. }) && err.to_string().contains("keep"),
        "{err}"
    );
    let err = Floor::from_toml(
        "[[category]]\nname = \"k\"\nkeep = \"span\"\npatterns = ['x']\ncolour = 1\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("colour"), "{err}");
    let err = Floor::from_toml("this is = = not toml").unwrap_err();
    assert!(matches!(err, FloorError::Toml { .. }), "{err}");
    let err = Floor::from_toml("disable = [\"path\", \"nonesuch\"]").unwrap_err();
    assert!(
        err.to_string().contains("disable[1]") && err.to_string().contains("nonesuch"),
        "{err}"
    );
    let err =
        Floor::from_toml("[[category]]\nname = \"Bad Name\"\nkeep = \"span\"\npatterns = ['x']\n")
            .unwrap_err();
    assert!(err.to_string().contains("category[0].name"), "{err}");
    let err = Floor::from_toml("[[category]]\nname = \"k\"\nkeep = \"span\"\npatterns = []\n")
        .unwrap_err();
    assert!(err.to_string().contains("category[0].patterns"), "{err}");
}

#[test]
fn from_file_reads_and_reports_missing_files() {
    let dir = std::env::temp_dir().join(format!("kompress-floor-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("floor.toml");
    std::fs::write(&path, "disable = [\"quoted\"]\n").unwrap();
    let f = Floor::from_file(&path).unwrap();
    assert!(f.category_id("quoted").is_none());
    let err = Floor::from_file(&dir.join("missing.toml")).unwrap_err();
    assert!(matches!(err, FloorError::Io { .. }) && err.to_string().contains("missing.toml"));
    std::fs::remove_dir_all(&dir).unwrap();
}
