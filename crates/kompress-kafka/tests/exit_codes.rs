//! The `kompress-kafka` binary exits by the one table of `kompress_core::exit`, as `kompress`
//! does: a config file that does not validate is CONFIG (4), for every command. No broker needed:
//! the config is checked before any client is made.

use std::process::Command;

fn exit_of(args: &[&str]) -> (Option<i32>, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_kompress-kafka"))
        .args(args)
        .env_remove("KOMPRESS__KAFKA__BOOTSTRAP_SERVERS")
        .output()
        .expect("kompress-kafka runs");
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn a_config_that_does_not_validate_exits_with_the_shared_config_code() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("stream.toml");
    std::fs::write(&cfg, "[processing]\nno_such_field = 1\n").unwrap();
    for cmd in ["stream", "memory-sink"] {
        let (code, err) = exit_of(&[cmd, "--config", cfg.to_str().unwrap()]);
        assert_eq!(code, Some(kompress_core::exit::CONFIG), "{cmd}: {err}");
        assert!(err.contains("no_such_field"), "{cmd}: {err}");
    }
}
