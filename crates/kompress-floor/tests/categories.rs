//! One test per identifier-like category (URLs, paths, frames, hashes, numbers, names,
//! flags, quotes...), plus the Headroom misses and a prose check: what each must match
//! (whole, under that category) and what it must leave alone. Failure signals are in
//! categories_failures.rs.

mod common;

use common::{assert_hit, assert_no_category, assert_untouched};
use kompress_floor::Floor;

fn floor() -> Floor {
    Floor::embedded_default()
}

#[test]
fn url_matches_whole_urls_without_trailing_punctuation() {
    let f = floor();
    let t = "see https://github.com/a/b/issues/12?x=1#c. Then";
    assert_hit(&f, t, "url", "https://github.com/a/b/issues/12?x=1#c");
    assert_hit(
        &f,
        "(http://localhost:8080/api)",
        "url",
        "http://localhost:8080/api",
    );
    assert_hit(
        &f,
        "clone git@github.com:org/repo.git",
        "url",
        "git@github.com:org/repo.git",
    );
    assert_untouched(&f, "the protocol is simple", "protocol");
}

#[test]
fn email_matches_addresses() {
    let f = floor();
    assert_hit(
        &f,
        "mail bob.smith+ci@example.co.uk now",
        "email",
        "bob.smith+ci@example.co.uk",
    );
    assert_untouched(&f, "meet me @ noon", "@ noon");
}

#[test]
fn digest_matches_algorithm_prefixed_hex() {
    let f = floor();
    assert_hit(&f, "image sha256:abc123 pulled", "digest", "sha256:abc123");
    assert_hit(&f, "md5:0123456789abcdef", "digest", "md5:0123456789abcdef");
    let t = "sha256:xyz";
    assert!(!common::hits(&f, t).iter().any(|(c, _)| *c == "digest"));
}

#[test]
fn uuid_matches_canonical_form() {
    let f = floor();
    let u = "123e4567-e89b-12d3-a456-426614174000";
    assert_hit(&f, &format!("request {u} failed"), "uuid", u);
    let t = "123e4567-e89b-12d3-a456";
    assert!(!common::hits(&f, t).iter().any(|(c, _)| *c == "uuid"));
}

#[test]
fn stack_frame_matches_whole_frames() {
    let f = floor();
    let t = "\tat org.jfree.data.time.TimeSeries.createCopy(TimeSeries.java:883)";
    assert_hit(
        &f,
        t,
        "stack_frame",
        "at org.jfree.data.time.TimeSeries.createCopy(TimeSeries.java:883)",
    );
    let t = "    at sun.reflect.NativeMethodAccessorImpl.invoke0(Native Method)";
    assert_hit(
        &f,
        t,
        "stack_frame",
        "at sun.reflect.NativeMethodAccessorImpl.invoke0(Native Method)",
    );
    let t = "    \x1b[1mat\x1b[m java.io.File.createNewFile (\x1b[1mFile.java:1026\x1b[m)";
    assert_hit(
        &f,
        t,
        "stack_frame",
        "at\x1b[m java.io.File.createNewFile (\x1b[1mFile.java:1026\x1b[m)",
    );
    let t = "  File \"/app/x.py\", line 12, in main";
    assert_hit(&f, t, "stack_frame", "File \"/app/x.py\", line 12, in main");
    assert_untouched(&f, "look at the (big) picture", "at the (big)");
}

#[test]
fn file_line_matches_locations() {
    let f = floor();
    assert_hit(&f, "in Foo.java:829 we", "file_line", "Foo.java:829");
    assert_hit(&f, "at src/lib.rs:12:5 we", "file_line", "src/lib.rs:12:5");
    assert_hit(
        &f,
        "see File.java:[23,29] for",
        "file_line",
        "File.java:[23,29]",
    );
    assert_hit(&f, "in x.py, line 7", "file_line", "x.py, line 7");
    assert_no_category(&f, "ratio 3:1 at noon", "file_line");
    assert_no_category(&f, "connect to localhost:8080 now", "file_line");
}

#[test]
fn path_matches_absolute_relative_and_windows() {
    let f = floor();
    assert_hit(&f, "load /usr/lib/x.so now", "path", "/usr/lib/x.so");
    assert_hit(&f, "cd /Users/Bob/Project", "path", "/Users/Bob/Project");
    assert_hit(&f, "edit src/main.rs please", "path", "src/main.rs");
    assert_hit(&f, "run ./build.sh", "path", "./build.sh");
    assert_hit(&f, r"open C:\x\y now", "path", r"C:\x\y");
    assert_untouched(&f, "this and/or that", "and/or");
    assert_no_category(&f, "uses TCP/IP stack", "path");
    assert_no_category(&f, "on 10/12/2022 we", "path");
}

#[test]
fn timestamp_matches_dates_and_times_as_one_span() {
    let f = floor();
    let t = "2022-06-16T13:41:36.0278502Z > Task";
    assert_hit(&f, t, "timestamp", "2022-06-16T13:41:36.0278502Z");
    assert_hit(&f, "at 21:06:06 the", "timestamp", "21:06:06");
    assert_hit(&f, "on 2024-01-31 we", "timestamp", "2024-01-31");
    assert_hit(&f, "on 10/12/2022 we", "timestamp", "10/12/2022");
}

#[test]
fn scoped_name_matches_paths_and_calls() {
    let f = floor();
    assert_hit(
        &f,
        "call Instant::now() here",
        "scoped_name",
        "Instant::now()",
    );
    assert_hit(&f, "use a::b::c;", "scoped_name", "a::b::c");
    assert_hit(
        &f,
        "--- org.x.FooTests::testBar",
        "scoped_name",
        "org.x.FooTests::testBar",
    );
    assert_untouched(&f, "note:: this", "note::");
}

#[test]
fn ip_matches_v4_v6_and_mac() {
    let f = floor();
    assert_hit(&f, "connect 10.0.0.12:5432 now", "ip", "10.0.0.12:5432");
    assert_hit(&f, "route 192.168.1.0/24 via", "ip", "192.168.1.0/24");
    assert_hit(&f, "addr fe80::1 up", "ip", "fe80::1");
    assert_hit(
        &f,
        "addr 2001:db8:85a3:0:0:8a2e:370:7334 up",
        "ip",
        "2001:db8:85a3:0:0:8a2e:370:7334",
    );
    assert_hit(&f, "listen ::1 port", "ip", "::1");
    assert_hit(&f, "mac aa:bb:cc:dd:ee:ff up", "ip", "aa:bb:cc:dd:ee:ff");
    let t = "version 999.1.1.1 here";
    assert!(!common::hits(&f, t).iter().any(|(c, _)| *c == "ip"));
}

#[test]
fn hex_matches_0x_literals() {
    let f = floor();
    assert_hit(
        &f,
        "at address 0x7ffd5fbff8c8 crash",
        "hex",
        "0x7ffd5fbff8c8",
    );
    assert_hit(&f, "mask 0xFFFF_FFFF set", "hex", "0xFFFF_FFFF");
    let t = "0xZZ";
    assert!(!common::hits(&f, t).iter().any(|(c, _)| *c == "hex"));
}

#[test]
fn version_matches_semver_and_prefixed() {
    let f = floor();
    assert_hit(&f, "cmake 3.28.33 found", "version", "3.28.33");
    assert_hit(&f, "release v1.2.0-rc1 out", "version", "v1.2.0-rc1");
    assert_hit(&f, "java 1.8.0_292 runs", "version", "1.8.0_292");
    assert_hit(&f, "hibernate 5.4.2.Final jar", "version", "5.4.2.Final");
    assert_hit(&f, "upgraded to 3.28.33.", "version", "3.28.33");
}

#[test]
fn git_sha_needs_hex_with_digit_and_letter_or_eight_hex_letters() {
    let f = floor();
    for sha in [
        "9fbd47ba",
        "a3f9c2e",
        "deadbeef",
        "1234567abcdef0",
        "e83c5163316f89bfbde7d9ab23ca2e25604af290",
    ] {
        // (not at a line start after `commit `: that is a commit_header, tests/mask.rs)
        assert_hit(&f, &format!("merged {sha} into main"), "git_sha", sha);
    }
    for word in ["deadline", "defaced", "facade", "abc123", "1234567"] {
        let t = format!("the {word} here");
        let got = common::hits(&f, &t);
        assert!(!got.iter().any(|(c, _)| *c == "git_sha"), "{word}: {got:?}");
    }
}

#[test]
fn number_matches_units_and_drops_sentence_period() {
    let f = floor();
    assert_hit(&f, "took 128ms total", "number", "128ms");
    assert_hit(&f, "size 4.5 kB total", "number", "4.5 kB");
    assert_hit(&f, "The answer is 42.", "number", "42");
    assert_hit(&f, "cpu 99% busy", "number", "99%");
    assert_hit(&f, "after 3 main steps", "number", "3");
}

#[test]
fn prefixed_id_keeps_the_whole_id() {
    let f = floor();
    assert_hit(
        &f,
        "user usr_a1b2c3d4 logged in",
        "prefixed_id",
        "usr_a1b2c3d4",
    );
    assert_hit(
        &f,
        "order ord_8f3a2c91 placed",
        "prefixed_id",
        "ord_8f3a2c91",
    );
    assert_untouched(&f, "a well-known issue", "well-known");
}

#[test]
fn dotted_name_matches_qualified_names_not_abbreviations() {
    let f = floor();
    assert_hit(
        &f,
        "class org.jfree.data.TimeSeries is",
        "dotted_name",
        "org.jfree.data.TimeSeries",
    );
    assert_hit(
        &f,
        "call os.path.join() now",
        "dotted_name",
        "os.path.join()",
    );
    assert_hit(&f, "in org.Foo.<init> ok", "dotted_name", "org.Foo.<init>");
    assert_untouched(&f, "tools, e.g. hammers", "e.g.");
    assert_untouched(&f, "that is, i.e. this", "i.e.");
    assert_untouched(&f, "the U.S.A. team", "U.S.A.");
}

#[test]
fn cli_flag_matches_flags_not_hyphenated_words() {
    let f = floor();
    assert_hit(&f, "cc -O2 x.c", "cli_flag", "-O2");
    assert_hit(&f, "run --verbose now", "cli_flag", "--verbose");
    assert_hit(&f, "java -Xmx512m Main", "cli_flag", "-Xmx512m");
    assert_hit(
        &f,
        "mvn -Dskip.tests=true install",
        "cli_flag",
        "-Dskip.tests=true",
    );
    assert_hit(&f, "ls --color=auto x", "cli_flag", "--color=auto");
    assert_untouched(&f, "a well-known fact", "well-known");
    assert_untouched(&f, "x - y and a -> b", "- y");
}

#[test]
fn allcaps_matches_constants_and_errno() {
    let f = floor();
    assert_hit(&f, "open failed: ENOENT here", "allcaps", "ENOENT");
    assert_hit(&f, "raise MAX_SIZE now", "allcaps", "MAX_SIZE");
    assert_untouched(&f, "I said OK to A", "OK");
}

#[test]
fn identifier_matches_code_case_styles() {
    let f = floor();
    assert_hit(&f, "call getUser now", "identifier", "getUser");
    assert_hit(&f, "set foo_bar now", "identifier", "foo_bar");
    assert_hit(&f, "arch x86_64 only", "identifier", "x86_64");
    assert_hit(&f, "class TimeSeries here", "identifier", "TimeSeries");
    assert_hit(&f, "def __init__ here", "identifier", "__init__");
    assert_hit(&f, "an HTTPServer here", "identifier", "HTTPServer");
    assert_untouched(&f, "Hello there, friend", "Hello");
    assert_untouched(&f, "Several APIs and URLs", "APIs");
}

#[test]
fn quoted_matches_short_quotes_not_apostrophes() {
    let f = floor();
    assert_hit(
        &f,
        "Execution failed for task ':app:test'.",
        "quoted",
        "':app:test'",
    );
    assert_hit(
        &f,
        r#"key "no such key" missing"#,
        "quoted",
        r#""no such key""#,
    );
    assert_hit(&f, "could not compile `kompress`", "quoted", "`kompress`");
    assert_untouched(&f, "don't say it's fine, it isn't", "don't say it's");
}

#[test]
fn every_headroom_miss_is_caught() {
    let f = floor();
    let misses = [
        "9fbd47ba",
        "a3f9c2e",
        "deadbeef",
        "E0308",
        "error[E0308]",
        "/Users/Bob/Project",
        "3.28.33",
        "getUser",
        "foo_bar",
        "Instant::now()",
        "-O2",
        "x86_64",
        "sha256:abc123",
        "usr_a1b2c3d4",
    ];
    for m in misses {
        let t = format!("x {m} y");
        let got = common::hits(&f, &t);
        assert!(got.iter().any(|(_, h)| *h == m), "{m} missed: {got:?}");
    }
    let got = common::hits(&f, "The answer is 42.");
    assert_eq!(got, [("number", "42")]);
    let got = common::hits(&f, "error[E0308]: mismatched types");
    assert_eq!(got[0], ("error_code", "error[E0308]"));
}

#[test]
fn prose_paragraph_has_no_hits() {
    let f = floor();
    let prose = "Hello, and welcome. The team met on Monday to discuss the deadline; it is a \
        well-known fact that plans change, e.g. when a colleague falls ill. We agreed, i.e. all \
        of us, that the work would be done before the holidays. Nobody's opinion was ignored, \
        and everyone left the meeting feeling heard. Then the decade-old coffee machine broke.\n\
        Afterwards, Alice wrote a short summary and sent it to the whole group.";
    assert_eq!(common::hits(&f, prose), Vec::<(&str, &str)>::new());
}
