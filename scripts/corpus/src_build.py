"""Failing builds and test runs: pytest, cargo, gcc, javac."""

from __future__ import annotations

import re
import shutil

from common import WORK, Case, crop, have, line_offsets, log, run

PYTEST_LIC = "test files written for this corpus (public domain) run against the Python standard library and PyPI packages of this machine"
OWN_LIC = "source written for this corpus (public domain); compiler output of this machine"


def _fresh(d):
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    return d


def _case(kind, cmd, cwd, labeler, lic, label, env=None, meta=None):
    out, rc = run(cmd, cwd=cwd, env=env, timeout=600)
    text, c = crop(out)
    case = Case(kind, cmd, text, labeler, lic, meta=dict(meta or {}))
    case.meta["exit_code"] = rc
    if c:
        case.meta["crop"] = c
    label(case)
    return case


# ---------------------------------------------------------------- pytest
_ASSERT = re.compile(r"^(?:AssertionError: )?assert (.+?) (==|!=|is not|is|not in|in|<=|>=|<|>) (.+)$")


def label_pytest(case: Case) -> None:
    for off, ln in line_offsets(case.text):
        m = re.match(r"^(FAILED|ERROR) (\S+)", ln)
        if m:
            case.span(off + m.start(2), m.group(2))
            continue
        m = re.match(r"^E\s+(\S.*)$", ln)
        if m:
            msg = m.group(1).rstrip()
            case.span(off + m.start(1), msg)
            a = _ASSERT.match(msg)
            if a:
                case.span(off + m.start(1) + a.start(1), a.group(1))
                case.span(off + m.start(1) + a.start(3), a.group(3))
            continue
        m = re.match(r"^(\S+\.py:\d+)(?::| in )", ln)
        if m:
            case.span(off, m.group(1))


def pytest_cases():
    from fixtures_py import SUITES
    root = _fresh(WORK / "pytest")
    cases = []
    for name, files, variants in SUITES:
        d = root / name
        d.mkdir()
        for fn, src in files.items():
            (d / fn).write_text(src.lstrip("\n"))
        for args in variants:
            cmd = " ".join(["python3 -m pytest -p no:cacheprovider"] + args)
            cases.append(_case("pytest", cmd, d, "pytest FAILED/ERROR ids, E-line messages, file:line, assert values",
                               PYTEST_LIC, label_pytest, meta={"suite": name}))
    return cases


# ---------------------------------------------------------------- cargo
def label_cargo(case: Case) -> None:
    lines = list(line_offsets(case.text))
    in_failures = False
    for i, (off, ln) in enumerate(lines):
        m = re.match(r"^(?:error|warning)(?:\[[A-Za-z]*\d+\])?: .+$", ln)
        if m:
            case.span(off, ln.rstrip())
            continue
        m = re.match(r"^\s*--> (\S+:\d+:\d+)", ln)
        if m:
            case.span(off + m.start(1), m.group(1))
            continue
        m = re.match(r"^test (.+) \.\.\. FAILED$", ln) or re.match(r"^---- (.+) stdout ----$", ln)
        if m:
            case.span(off + m.start(1), m.group(1))
            continue
        if ln == "failures:":
            in_failures = True
            continue
        if in_failures:
            m = re.match(r"^    (\S.*)$", ln)
            if m and not ln.startswith("     "):
                case.span(off + 4, m.group(1))
                continue
            if ln.startswith("test result:"):
                in_failures = False
        m = re.match(r"^thread '.*?' (?:\(\d+\) )?panicked at (\S+:\d+:\d+):$", ln)
        if m:
            case.span(off + m.start(1), m.group(1))
            if i + 1 < len(lines) and lines[i + 1][1].strip():
                o2, l2 = lines[i + 1]
                case.span(o2, l2.rstrip())
            continue
        m = re.match(r"^\s*(?:left|right): (.+)$", ln)
        if m:
            case.span(off + m.start(1), m.group(1).rstrip())


def cargo_cases():
    if not have("cargo"):
        log("cargo: cargo missing; skipped")
        return []
    from fixtures_rust import CRATES
    root = _fresh(WORK / "cargo")
    cases = []
    for name, files, sub, env in CRATES:
        d = root / name
        (d / "src").mkdir(parents=True)
        if "Cargo.toml" not in files:
            (d / "Cargo.toml").write_text(f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n')
        for fn, src in files.items():
            (d / fn).write_text(src.lstrip("\n"))
        cmd = f"nice -n 10 cargo {sub} --offline -j 1"
        cases.append(_case("cargo", cmd, d, "cargo/rustc error+warning lines, --> locations, failing tests, panics, left/right",
                           OWN_LIC, label_cargo, env=env, meta={"crate": name}))
        if sub == "test" and name == "failing_tests":
            cmd = "nice -n 10 cargo test --offline -j 1 -- --test-threads=1 median"
            cases.append(_case("cargo", cmd, d, "cargo/rustc error+warning lines, --> locations, failing tests, panics, left/right",
                               OWN_LIC, label_cargo, env={"RUST_BACKTRACE": "1"}, meta={"crate": name}))
    return cases


# ---------------------------------------------------------------- gcc
_GCC = re.compile(r"^(\S+?:\d+:\d+): (error|warning|note|fatal error): (.*)$")


def label_gcc(case: Case) -> None:
    for off, ln in line_offsets(case.text):
        m = _GCC.match(ln)
        if m:
            case.span(off, m.group(1))
            if m.group(2) != "note":
                case.span(off + m.start(3), m.group(3).rstrip())
            continue
        m = re.search(r"(undefined reference to .+|ld returned \d+ exit status)$", ln)
        if m:
            case.span(off + m.start(1), m.group(1))


def gcc_cases():
    if not have("gcc"):
        log("gcc: gcc missing; skipped")
        return []
    from fixtures_c import GCC
    d = _fresh(WORK / "gcc")
    cases = []
    for fn, src, tmpl in GCC:
        (d / fn).write_text(src)
        cmd = "nice -n 10 " + tmpl.format(f=fn)
        cases.append(_case("gcc", cmd, d, "gcc file:line:col + error/warning messages", OWN_LIC, label_gcc))
    return cases


# ---------------------------------------------------------------- javac
def label_javac(case: Case) -> None:
    for off, ln in line_offsets(case.text):
        m = re.match(r"^(\S+\.java:\d+): (?:error|warning): (.*)$", ln)
        if m:
            case.span(off, m.group(1))
            case.span(off + m.start(2), m.group(2).rstrip())
            continue
        m = re.match(r"^\s+(?:symbol|location|required|found|reason)\s*:\s+(\S.*)$", ln)
        if m:
            case.span(off + m.start(1), m.group(1).rstrip())
            continue
        m = re.match(r"^warning: (.+)$", ln)
        if m:
            case.span(off + m.start(1), m.group(1))


def javac_cases():
    if not have("javac"):
        log("javac: javac missing (apt-get install openjdk-17-jdk-headless); skipped")
        return []
    from fixtures_java import JAVA
    root = _fresh(WORK / "javac")
    cases = []
    for name, files, flags in JAVA:
        d = root / name
        d.mkdir()
        for fn, src in files.items():
            (d / fn).write_text(src)
        cmd = f"javac {flags} {' '.join(files)}".replace("  ", " ")
        cases.append(_case("javac", cmd, d, "javac File.java:N, messages, symbol/location/required/found details",
                           OWN_LIC, label_javac))
    return cases


SOURCES = {"pytest": pytest_cases, "cargo": cargo_cases, "gcc": gcc_cases, "javac": javac_cases}
