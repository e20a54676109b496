//! One test per failure-signal category (error codes, exceptions, crashes, assertions,
//! diagnostics, failure phrases, exit codes, error locations and markers): what it must match
//! (whole, under that category) and what it must leave alone.

mod common;

use common::{assert_hit, assert_no_category, assert_untouched};
use kompress_floor::Floor;

fn floor() -> Floor {
    Floor::embedded_default()
}

#[test]
fn error_code_matches_compiler_codes_not_digest_names() {
    let f = floor();
    assert_hit(
        &f,
        "error[E0308]: mismatched types",
        "error_code",
        "error[E0308]",
    );
    assert_hit(&f, "see E0308 for details", "error_code", "E0308");
    assert_hit(&f, "x.ts(3,1): TS2322 Type", "error_code", "TS2322");
    assert_hit(
        &f,
        "warning[W0611] unused import",
        "error_code",
        "warning[W0611]",
    );
    assert_hit(
        &f,
        "patched CVE-2021-44228 today",
        "error_code",
        "CVE-2021-44228",
    );
    for word in ["SHA256", "ISO8601", "RFC3339", "E12"] {
        let t = format!("uses {word} here");
        let got = common::hits(&f, &t);
        assert!(
            !got.iter().any(|(c, _)| *c == "error_code"),
            "{word}: {got:?}"
        );
    }
}

#[test]
fn exception_matches_error_classes_whole() {
    let f = floor();
    let t = "java.lang.IllegalArgumentException: Requires start <= end.";
    assert_hit(&f, t, "exception", "java.lang.IllegalArgumentException");
    assert_hit(&f, "ValueError: bad value", "exception", "ValueError");
    assert_hit(
        &f,
        "a NullPointerException here",
        "exception",
        "NullPointerException",
    );
    assert_hit(
        &f,
        "junit.framework.AssertionFailedError",
        "exception",
        "junit.framework.AssertionFailedError",
    );
    assert_hit(
        &f,
        "org.junit.ComparisonFailure: x",
        "exception",
        "org.junit.ComparisonFailure",
    );
    assert_untouched(&f, "An Error occurred, a Failure of sorts", "Error");
    assert_untouched(&f, "An Error occurred, a Failure of sorts", "Failure");
    let t = "Running FooExceptionTest now";
    let got = common::hits(&f, t);
    assert!(!got.iter().any(|(c, _)| *c == "exception"), "{got:?}");
}

#[test]
fn crash_matches_panics_signals_and_causes() {
    let f = floor();
    let t = "thread 'main' panicked at src/main.rs:4:5:";
    assert_hit(&f, t, "crash", "panicked at");
    assert_hit(
        &f,
        "Traceback (most recent call last):",
        "crash",
        "Traceback (most recent call last)",
    );
    assert_hit(
        &f,
        "Caused by: java.io.IOException: x",
        "crash",
        "Caused by:",
    );
    assert_hit(&f, "terminated by SIGSEGV", "crash", "SIGSEGV");
    assert_hit(
        &f,
        "Segmentation fault (core dumped)",
        "crash",
        "Segmentation fault",
    );
    assert_untouched(&f, "do not panic, it is fine", "panic");
}

#[test]
fn assertion_matches_expected_but_was() {
    let f = floor();
    assert_hit(
        &f,
        "junit: expected:<1> but was:<0>",
        "assertion",
        "expected:<1> but was:<0>",
    );
    assert_hit(
        &f,
        "expected [a, b] but found [a]",
        "assertion",
        "expected [a, b] but found [a]",
    );
    assert_hit(
        &f,
        "Assertion failed: x > 0",
        "assertion",
        "Assertion failed",
    );
    assert_untouched(
        &f,
        "we expected more but got less",
        "expected more but got less",
    );
}

#[test]
fn diagnostic_detail_matches_javac_and_hamcrest_continuations() {
    let f = floor();
    assert_hit(
        &f,
        "  symbol:   class ImportScanner",
        "diagnostic_detail",
        "  symbol: ",
    );
    assert_hit(
        &f,
        "x\r  location: package spoon",
        "diagnostic_detail",
        "  location: ",
    );
    assert_hit(
        &f,
        "Expected: a value greater than <0>",
        "diagnostic_detail",
        "Expected: a",
    );
    assert_hit(
        &f,
        "     but: <0> was equal to <0>",
        "diagnostic_detail",
        "  but: ",
    );
    assert_hit(
        &f,
        "x\r\nCaused: hudson.remoting.X",
        "diagnostic_detail",
        "Caused: ",
    );
    assert_no_category(&f, "the symbol: a lion", "diagnostic_detail");
    assert_no_category(&f, "We Also: think", "diagnostic_detail");
}

#[test]
fn failure_phrase_matches_os_and_toolchain_failures() {
    let f = floor();
    assert_hit(
        &f,
        "write failed (No space left on device)",
        "failure_phrase",
        "No space left on device",
    );
    assert_hit(
        &f,
        "Permission denied (publickey).",
        "failure_phrase",
        "Permission denied",
    );
    assert_hit(
        &f,
        "X.java:3: cannot find symbol",
        "failure_phrase",
        "cannot find symbol",
    );
    assert_no_category(&f, "there was no space left for dessert", "failure_phrase");
}

#[test]
fn exit_code_matches_statuses() {
    let f = floor();
    assert_hit(
        &f,
        "Process completed with exit code 137.",
        "exit_code",
        "exit code 137",
    );
    assert_hit(&f, "the child exited with 1", "exit_code", "exited with 1");
    assert_hit(
        &f,
        "exited with code 2 after",
        "exit_code",
        "exited with code 2",
    );
    assert_hit(
        &f,
        "returned non-zero exit status 2.",
        "exit_code",
        "returned non-zero exit status 2",
    );
    assert_hit(&f, "exit status: 1", "exit_code", "exit status: 1");
    assert_untouched(&f, "take the exit on the left", "exit");
}

#[test]
fn error_location_matches_file_line_in_diagnostic_lines() {
    let f = floor();
    let t = "src/lib.rs:3:9: warning: unused variable";
    assert_hit(&f, t, "error_location", "src/lib.rs:3:9: warning");
    let t = "[WARNING] /p/File.java:[10,5] deprecated";
    assert_hit(&f, t, "error_location", "WARNING] /p/File.java:[10,5]");
    // Without an error or warning on the line, a location is an ordinary file_line span.
    assert_hit(
        &f,
        "see src/lib.rs:3:9 for more",
        "file_line",
        "src/lib.rs:3:9",
    );
}

#[test]
fn error_marker_matches_log_levels_and_build_failures() {
    let f = floor();
    assert_hit(&f, "[ERROR] cannot find symbol", "error_marker", "[ERROR]");
    let ansi = "[\x1b[1;31mERROR\x1b[m] No space left on device";
    assert_hit(&f, ansi, "error_marker", "[\x1b[1;31mERROR\x1b[m]");
    assert_hit(&f, "error: could not compile `x`", "error_marker", "error:");
    assert_hit(&f, "fatal: not a git repository", "error_marker", "fatal:");
    assert_hit(
        &f,
        "> Task :app:compileJava FAILED",
        "error_marker",
        "FAILED",
    );
    assert_hit(
        &f,
        "Execution failed for task",
        "error_marker",
        "Execution failed",
    );
    assert_hit(
        &f,
        "Tests run: 5, Failures: 1, Errors: 0",
        "error_marker",
        "Failures: 1",
    );
    let t = "Tests run: 5, Failures: 0, Errors: 0";
    assert!(!common::hits(&f, t)
        .iter()
        .any(|(c, _)| *c == "error_marker"));
    assert_untouched(&f, "an error in judgement", "error");
}
