//! One layering for every command's config: defaults, the file, `KOMPRESS__*` variables, then
//! the flags. A variable changes what `compress` does as the file would, a flag beats it, and a
//! variable that names no config's key is a config error (exit 4) naming it.

mod common;

use std::process::Output;

use common::{run_with_env, stack_trace};

fn compress_with_env(env: &[(&str, &str)], flags: &[&str]) -> Output {
    let mut args = vec!["compress"];
    args.extend_from_slice(flags);
    args.push("-");
    run_with_env(&args, &stack_trace(), env)
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn a_variable_sets_a_field_as_the_file_would_and_a_flag_beats_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kompress.toml");
    std::fs::write(&file, "[compression]\nmin_bytes = 100000\n").unwrap();
    // a min_bytes above the trace's size passes it through whole
    let safe = ok(compress_with_env(&[], &[]));
    let by_file = ok(compress_with_env(
        &[],
        &["--config", file.to_str().unwrap()],
    ));
    let by_env = ok(compress_with_env(
        &[("KOMPRESS__COMPRESSION__MIN_BYTES", "100000")],
        &[],
    ));
    assert_eq!(
        by_file.as_bytes(),
        stack_trace(),
        "the file's min_bytes passes it through"
    );
    assert_ne!(safe, by_file);
    assert_eq!(by_env, by_file);
    let flag_wins = ok(compress_with_env(
        &[("KOMPRESS__COMPRESSION__MIN_BYTES", "100000")],
        &["--min-bytes", "256"],
    ));
    assert_eq!(flag_wins, safe);
    let other_commands = ok(compress_with_env(
        &[
            ("KOMPRESS__KAFKA__GROUP_ID", "g"),
            ("KOMPRESS__LISTEN", "0.0.0.0:1"),
        ],
        &[],
    ));
    assert_eq!(
        other_commands, safe,
        "serve's and stream's variables are not compress's"
    );
}

#[test]
fn a_variable_of_no_config_is_a_config_error_naming_it() {
    let o = compress_with_env(&[("KOMPRESS__COMPRESION__MODE", "ultra")], &[]);
    assert_eq!(o.status.code(), Some(kompress_core::exit::CONFIG));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("KOMPRESS__COMPRESION__MODE"), "{err}");
}
