//! `kompress hook claude-code`: the PreToolUse answer per Claude Code's contract (stdin
//! `tool_input.command` in; `hookSpecificOutput` with `permissionDecision` and the whole
//! `updatedInput` out) and `--install` merging into a settings file.

mod common;

use std::process::Command;

use serde_json::{json, Value};

fn handle(args: &[&str], input: &Value) -> Option<Value> {
    let dir = tempfile::tempdir().unwrap();
    let mut all = vec!["hook", "claude-code", "--handle"];
    all.extend_from_slice(args);
    let o = common::run_env(&all, input.to_string().as_bytes(), dir.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8(o.stdout).unwrap();
    (!out.trim().is_empty()).then(|| serde_json::from_str(&out).expect("JSON answer"))
}

fn bash(command: &str) -> Value {
    json!({
        "session_id": "abc",
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": command, "description": "list", "timeout": 120000},
        "tool_use_id": "toolu_01"
    })
}

#[test]
fn bash_command_is_rewritten_through_kompress_run_with_quoting() {
    let original = "cargo test 2>&1 | grep -v 'it''s' && echo \"$HOME\"";
    let out = handle(&[], &bash(original)).expect("an answer");
    let h = &out["hookSpecificOutput"];
    assert_eq!(h["hookEventName"], "PreToolUse");
    assert_eq!(h["permissionDecision"], "ask");
    let upd = &h["updatedInput"];
    assert_eq!(upd["description"], "list", "other fields are kept");
    assert_eq!(upd["timeout"], 120000);
    let cmd = upd["command"].as_str().unwrap();
    assert!(cmd.contains(" run -- bash -c '"), "{cmd}");
    // the shell gives back the original as one word
    let echoed = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "printf %s {}",
            cmd.split_once(" -- bash -c ").unwrap().1
        ))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(echoed.stdout).unwrap(), original);
    let allow = handle(&["--permission", "allow"], &bash("make")).unwrap();
    assert_eq!(allow["hookSpecificOutput"]["permissionDecision"], "allow");
}

#[test]
fn wrapped_excluded_background_and_other_tools_are_left_alone() {
    assert!(handle(&[], &bash("kompress run -- ls")).is_none());
    assert!(handle(&[], &bash("/usr/bin/kompress run -- make")).is_none());
    assert!(
        handle(&[], &bash("cd src")).is_none(),
        "default rule excludes cd"
    );
    assert!(handle(&[], &bash("vim x")).is_none());
    let mut bg = bash("npm run dev");
    bg["tool_input"]["run_in_background"] = json!(true);
    assert!(handle(&[], &bg).is_none());
    let write = json!({"tool_name": "Write", "tool_input": {"file_path": "/x", "content": "y"}});
    assert!(handle(&[], &write).is_none());
    let dir = tempfile::tempdir().unwrap();
    let o = common::run_env(
        &["hook", "claude-code", "--handle"],
        b"not json",
        dir.path(),
    );
    assert!(o.status.success() && o.stdout.is_empty(), "fails open");
}

#[test]
fn exclude_rule_from_config_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("run.toml");
    std::fs::write(
        &cfg,
        "[[rule]]\nprograms = [\"make\"]\naction = \"exclude\"\n",
    )
    .unwrap();
    let c = cfg.to_str().unwrap();
    assert!(handle(&["--config", c], &bash("make all")).is_none());
    let out = handle(&["--config", c], &bash("cargo build")).unwrap();
    let cmd = out["hookSpecificOutput"]["updatedInput"]["command"]
        .as_str()
        .unwrap();
    assert!(cmd.contains(&format!(" run --config {c} -- ")), "{cmd}");
}

#[test]
fn install_merges_into_settings_without_clobbering() {
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join(".claude/settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    let before = json!({
        "permissions": {"allow": ["Bash(ls:*)"]},
        "hooks": {
            "PreToolUse": [{"matcher": "Write", "hooks": [{"type": "command", "command": "fmt.sh"}]}],
            "PostToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "log.sh"}]}]
        },
        "model": "opus"
    });
    std::fs::write(&settings, before.to_string()).unwrap();
    for _ in 0..2 {
        let o = common::run_env(&["hook", "claude-code", "--install"], b"", dir.path());
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let after: Value = serde_json::from_slice(&std::fs::read(&settings).unwrap()).unwrap();
    assert_eq!(after["permissions"], before["permissions"]);
    assert_eq!(after["model"], "opus");
    assert_eq!(
        after["hooks"]["PostToolUse"],
        before["hooks"]["PostToolUse"]
    );
    let pre = after["hooks"]["PreToolUse"].as_array().unwrap();
    assert_eq!(pre.len(), 2, "installed once, the Write hook kept: {pre:?}");
    assert_eq!(pre[0], before["hooks"]["PreToolUse"][0]);
    assert_eq!(pre[1]["matcher"], "Bash");
    let cmd = pre[1]["hooks"][0]["command"].as_str().unwrap();
    assert!(cmd.ends_with(" hook claude-code --handle"), "{cmd}");
    assert_eq!(pre[1]["hooks"][0]["type"], "command");

    std::fs::write(&settings, "{ not json").unwrap();
    let o = common::run_env(&["hook", "claude-code", "--install"], b"", dir.path());
    assert_eq!(
        o.status.code(),
        Some(3),
        "a broken file is reported, not replaced"
    );
    assert_eq!(std::fs::read(&settings).unwrap(), b"{ not json");
}

#[test]
fn printed_config_is_the_same_entry() {
    let dir = tempfile::tempdir().unwrap();
    let o = common::run_env(&["hook", "claude-code"], b"", dir.path());
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["hooks"]["PreToolUse"][0]["matcher"], "Bash");
    let o = common::run_env(&["hook", "codex"], b"", dir.path());
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let cmd = v["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
        .as_str()
        .unwrap();
    assert!(cmd.contains(" hook codex --handle"));
}
