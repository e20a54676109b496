//! `kompress run`, `kompress recall` and `kompress hook`: with default features and with
//! `--no-default-features` (no model needed). Every test uses its own store and config.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::stack_trace;

/// `kompress ARGS` in `dir` with the store at `store`, no user config, whatever its status.
fn kompress_in(dir: &Path, store: &Path, args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_kompress"))
        .args(args)
        .current_dir(dir)
        .env("KOMPRESS_STORE", store)
        .env("XDG_CONFIG_HOME", dir.join("no-config"))
        .env_remove("KOMPRESS_RUN_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kompress runs");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

struct Env {
    dir: tempfile::TempDir,
    store: PathBuf,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("memory.sqlite");
        Env { dir, store }
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
    fn kompress(&self, args: &[&str]) -> Output {
        kompress_in(self.path(), &self.store, args, b"")
    }
    /// `kompress recall REF`, which must succeed.
    fn recall(&self, reference: &str) -> Vec<u8> {
        let o = self.kompress(&["recall", reference]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        o.stdout
    }
}

/// The refs (`run-…`) named in the hint line on stderr.
fn run_refs(stderr: &[u8]) -> Vec<String> {
    let s = String::from_utf8_lossy(stderr);
    let hint = s.lines().last().unwrap_or_default();
    let tail: String = s
        .chars()
        .rev()
        .take(300)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    assert!(
        hint.starts_with("[kompress: "),
        "no hint line at the end of {tail:?}"
    );
    hint.split_whitespace()
        .filter(|w| w.starts_with("run-"))
        .map(|w| w.trim_end_matches([';', ']']).to_string())
        .collect()
}

fn git(dir: &Path, args: &[&str]) {
    let st = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_DATE", "2026-12-01T10:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-12-01T10:00:00Z")
        .stdout(Stdio::null())
        .status()
        .expect("git runs");
    assert!(st.success(), "git {args:?}");
}

#[test]
fn git_log_stat_shows_every_commit_and_recalls_byte_exact() {
    let env = Env::new();
    let repo = env.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    git(&repo, &["config", "user.email", "dev@example.com"]);
    git(&repo, &["config", "user.name", "Dev"]);
    for i in 0..55 {
        std::fs::write(repo.join(format!("file{}.txt", i % 7)), format!("v{i}\n")).unwrap();
        git(&repo, &["add", "."]);
        git(
            &repo,
            &[
                "commit",
                "-q",
                "-m",
                &format!("change number {i} in file{}", i % 7),
            ],
        );
    }
    let direct = Command::new("git")
        .args(["log", "--stat", "-n", "50"])
        .current_dir(&repo)
        .output()
        .unwrap();
    let o = kompress_in(
        &repo,
        &env.store,
        &["run", "--", "git", "log", "--stat", "-n", "50"],
        b"",
    );
    assert_eq!(o.status.code(), Some(0));
    let shown = String::from_utf8(o.stdout).unwrap();
    let log = String::from_utf8(direct.stdout.clone()).unwrap();
    let shas: Vec<&str> = log
        .lines()
        .filter_map(|l| l.strip_prefix("commit "))
        .collect();
    assert_eq!(shas.len(), 50);
    for sha in shas {
        assert!(shown.contains(sha), "commit {sha} missing");
    }
    for subject in log.lines().filter(|l| l.starts_with("    change number")) {
        assert!(shown.contains(subject), "subject {subject:?} missing");
    }
    let refs = run_refs(&o.stderr);
    assert_eq!(
        env.recall(&refs[0]),
        direct.stdout,
        "recall is not byte-exact"
    );
}

#[test]
fn evicted_stack_frames_recall_by_marker_and_whole_output_byte_exact() {
    let env = Env::new();
    let mut text = Vec::new();
    for _ in 0..3 {
        text.extend(stack_trace());
    }
    std::fs::write(env.path().join("trace.txt"), &text).unwrap();
    let o = env.kompress(&["run", "--", "cat", "trace.txt"]);
    assert_eq!(o.status.code(), Some(0));
    let shown = String::from_utf8(o.stdout).unwrap();
    assert!(shown.len() < text.len(), "nothing evicted: {shown}");
    assert!(shown.contains("java.lang.IllegalArgumentException: Requires start <= end."));
    let refs = run_refs(&o.stderr);
    assert_eq!(env.recall(&refs[0]), text);
    let handle = shown
        .split("ref=")
        .nth(1)
        .and_then(|s| s.split(']').next())
        .expect("a marker in the output");
    let span = String::from_utf8(env.recall(handle)).unwrap();
    assert!(span.contains("\tat "), "{span:?}");
    assert!(String::from_utf8_lossy(&text).contains(&span));
}

#[test]
fn exit_codes_are_kept_and_signals_give_128_plus_n() {
    let env = Env::new();
    let o = env.kompress(&["run", "--", "sh", "-c", "exit 7"]);
    assert_eq!(o.status.code(), Some(7));
    let o = env.kompress(&["run", "--", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(o.status.code(), Some(128 + 15));
    let o = env.kompress(&["run", "--", "no-such-program-kompress"]);
    assert_eq!(o.status.code(), Some(127));
}

#[test]
fn stderr_is_compressed_on_its_own_ref_or_passed_through() {
    let env = Env::new();
    let trace = stack_trace();
    std::fs::write(env.path().join("trace.txt"), &trace).unwrap();
    let script = "echo to-stdout; cat trace.txt >&2; exit 2";
    let o = env.kompress(&["run", "--", "sh", "-c", script]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(o.stdout, b"to-stdout\n");
    let refs = run_refs(&o.stderr);
    let err_ref = refs
        .iter()
        .find(|r| r.ends_with(".stderr"))
        .expect("stderr ref");
    assert_eq!(env.recall(err_ref), trace);

    let o = env.kompress(&["run", "--stderr", "pass", "--", "sh", "-c", script]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(o.stderr, trace, "pass must leave stderr untouched");
}

#[test]
fn large_output_on_both_pipes_does_not_deadlock() {
    let env = Env::new();
    // 4 MB on each pipe, written alternately: a reader of one pipe at a time would block
    let script = "i=0; while [ $i -lt 40 ]; do head -c 100000 /dev/zero | tr '\\0' 'a'; \
                  head -c 100000 /dev/zero | tr '\\0' 'b' >&2; i=$((i+1)); done";
    let o = env.kompress(&["run", "--", "sh", "-c", script]);
    assert_eq!(o.status.code(), Some(0));
    let refs = run_refs(&o.stderr);
    assert_eq!(env.recall(&refs[0]).len(), 4_000_000);
    assert_eq!(env.recall(&refs[1]).len(), 4_000_000);
}

#[test]
fn listing_rule_passes_ls_la_of_300_entries_through_whole() {
    let env = Env::new();
    let d = env.path().join("many");
    std::fs::create_dir(&d).unwrap();
    for i in 0..300 {
        std::fs::write(d.join(format!("entry-{i:03}.log")), "x").unwrap();
    }
    let direct = Command::new("ls")
        .args(["-la", "many"])
        .current_dir(env.path())
        .output();
    let o = env.kompress(&["run", "--", "ls", "-la", "many"]);
    assert_eq!(o.stdout, direct.unwrap().stdout);
    let shown = String::from_utf8(o.stdout).unwrap();
    for i in 0..300 {
        assert!(shown.contains(&format!("entry-{i:03}.log")));
    }
    assert!(
        o.stderr.is_empty(),
        "a pass-through stores nothing and hints nothing"
    );
}

#[test]
fn short_output_passes_through_without_hint() {
    let env = Env::new();
    let o = env.kompress(&["run", "--", "echo", "hello"]);
    assert_eq!(o.stdout, b"hello\n");
    assert!(o.stderr.is_empty());
    assert!(!env.store.exists(), "nothing to store, no store opened");
}

#[test]
fn run_config_rejects_unknown_fields_and_bad_regex_by_name() {
    let env = Env::new();
    let cfg = env.path().join("run.toml");
    std::fs::write(&cfg, "min_bytez = 3\n").unwrap();
    let c = cfg.to_str().unwrap();
    let o = env.kompress(&["run", "--config", c, "--", "true"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&o.stderr).contains("min_bytez"));
    std::fs::write(&cfg, "[[rule]]\nregex = \"(\"\naction = \"pass\"\n").unwrap();
    let o = env.kompress(&["run", "--config", c, "--", "true"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&o.stderr).contains("rule[0].regex"));
    std::fs::write(&cfg, "[[rule]]\nprograms = [\"ls\"]\naction = \"shred\"\n").unwrap();
    let o = env.kompress(&["run", "--config", c, "--", "true"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&o.stderr).contains("shred"));
}

#[test]
fn pass_rule_from_config_keeps_a_trace_whole() {
    let env = Env::new();
    std::fs::write(env.path().join("trace.txt"), stack_trace()).unwrap();
    let cfg = env.path().join("run.toml");
    std::fs::write(
        &cfg,
        "[[rule]]\nregex = \"^cat trace\"\naction = \"pass\"\n",
    )
    .unwrap();
    let c = cfg.to_str().unwrap();
    let o = env.kompress(&["run", "--config", c, "--", "sh", "-c", "cat trace.txt"]);
    assert_eq!(o.stdout, stack_trace());
}
