#!/usr/bin/env python3
"""Runs real commands on this machine and writes their outputs as training records (JSONL).

Everything is produced locally and deterministically (sorted listings, fixed inputs): compiler
errors from rustc / cargo / gcc on small broken sources, pytest failures, grep -rn, ls -la and
git diff over the cargo registry and site-packages, `cargo metadata` and `pip inspect` JSON.
The dev set's training split is appended; its evaluation split never is.

Usage: collect_outputs.py OUT.jsonl [--dev DEV.jsonl] [--scale N]
"""

import argparse
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys

CAP = 12_000  # bytes per record; longer outputs are cut at a line boundary

RUST_SNIPPETS = [
    "fn main() { let x: u32 = \"five\"; }",
    "fn f(v: Vec<String>) -> usize { let r = &v; drop(v); r.len() }",
    "struct S; fn main() { let s = S; s.missing_method(); }",
    "use std::collections::HashMap;\nfn main() { let m: HashMap<i32, i32> = HashMap::new(); m.insert(1, 2); }",
    "fn g() -> Result<u8, String> { let n: u8 = \"3\".parse()?; Ok(n) }\nfn main() { let _ = g(); }",
    "trait T { fn a(&self); }\nstruct X;\nimpl T for X {}\nfn main() {}",
    "fn main() { let v = vec![1, 2, 3]; for i in 0..v.len() { println!(\"{}\", v[i] + undefined_var); } }",
    "mod a { fn private() {} }\nfn main() { a::private(); }",
    "fn longest(x: &str, y: &str) -> &str { if x.len() > y.len() { x } else { y } }\nfn main() {}",
    "#[derive(Debug)] struct P { x: i32 }\nfn main() { let p = P { x: 1, y: 2 }; println!(\"{:?}\", p); }",
]

C_SNIPPETS = [
    "int main(void) { int x = \"str\"; return y; }",
    "#include <stdio.h>\nint f(int a) { return a }\nint main(void) { printf(\"%d\\n\", f(1, 2)); }",
    "struct s { int a; };\nint main(void) { struct s v; v.b = 3; undefined_fn(v); return 0; }",
    "#include <stdlib.h>\nint main(void) { char *p = malloc(4); int unused; return p; }",
]

PYTEST_FILE = '''
import json
import pytest

def parse_config(text):
    data = json.loads(text)
    return data["settings"]["timeout"]

def helper_divide(a, b):
    return a / b

class TestParser:
    def test_timeout_default(self):
        assert parse_config('{"settings": {"timeout": 30}}') == 30

    def test_missing_section(self):
        assert parse_config('{"other": {}}') == 10

    def test_bad_json(self):
        parse_config("{not json")

@pytest.mark.parametrize("a,b,expected", [(4, 2, 2), (1, 0, 0), (9, 3, 4)])
def test_divide(a, b, expected):
    assert helper_divide(a, b) == expected

def test_lists_equal():
    assert [1, 2, 3, 4, 5] == [1, 2, 4, 4, 5]

def test_ok_{i}():
    assert sum(range({i})) == {i} * ({i} - 1) // 2
'''


def run(cmd, cwd=None, env=None):
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, errors="replace", timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        print(f"  skipped {cmd[:3]}: {e}", file=sys.stderr)
        return ""
    return (p.stdout or "") + (p.stderr or "")


def cap(text):
    if len(text) <= CAP:
        return text
    cut = text.rfind("\n", 0, CAP)
    return text[: cut + 1 if cut > 0 else CAP]


class Sink:
    def __init__(self):
        self.records = []

    def add(self, kind, cmd, text):
        text = cap(text)
        if len(text.strip()) < 40:
            return
        rid = f"tool/{kind}/{hashlib.sha256(text.encode()).hexdigest()[:12]}"
        self.records.append({"id": rid, "source": kind, "text": text, "meta": {"command": cmd}})


def compilers(sink, tmp):
    for i, src in enumerate(RUST_SNIPPETS):
        f = os.path.join(tmp, f"snippet_{i}.rs")
        open(f, "w").write(src + "\n")
        cmd = ["rustc", "--edition", "2021", "--crate-type", "bin", "-o", os.path.join(tmp, "a.out"), f]
        sink.add("rustc", " ".join(cmd), run(cmd, cwd=tmp))
    crate = os.path.join(tmp, "broken_crate")
    os.makedirs(os.path.join(crate, "src"), exist_ok=True)
    open(os.path.join(crate, "Cargo.toml"), "w").write('[package]\nname = "broken_crate"\nversion = "0.1.0"\nedition = "2021"\n\n[workspace]\n')
    open(os.path.join(crate, "src", "lib.rs"), "w").write("\n".join(RUST_SNIPPETS[1:6]).replace("fn main() {}", "") + "\n")
    env = dict(os.environ, CARGO_TARGET_DIR=os.path.join(tmp, "target"), CARGO_TERM_COLOR="never")
    for args in (["build"], ["check", "--message-format", "short"]):
        sink.add("cargo", "cargo " + " ".join(args), run(["cargo", *args, "--offline"], cwd=crate, env=env))
    for i, src in enumerate(C_SNIPPETS):
        f = os.path.join(tmp, f"snippet_{i}.c")
        open(f, "w").write(src + "\n")
        cmd = ["gcc", "-Wall", "-Wextra", "-c", "-o", os.path.join(tmp, "a.o"), f]
        sink.add("gcc", " ".join(cmd), run(cmd, cwd=tmp))


def pytest_runs(sink, tmp, scale):
    d = os.path.join(tmp, "pyproj")
    os.makedirs(d, exist_ok=True)
    for i in range(2 * scale):
        open(os.path.join(d, f"test_mod_{i}.py"), "w").write(PYTEST_FILE.replace("{i}", str(i + 3)))
    for args in (["-q"], ["-q", "--tb=long"], ["--tb=short", "-rA"]):
        sink.add("pytest", "python3 -m pytest " + " ".join(args), run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args, d], cwd=d))


def registry_dirs():
    return sorted(glob.glob(os.path.expanduser("~/.cargo/registry/src/*/*")))


def site_packages():
    here = os.path.dirname(os.path.abspath(__file__))
    sp = os.path.join(here, "..", "..", ".venv", "lib", "python3.11", "site-packages")
    return sorted(glob.glob(os.path.join(sp, "*"))) if os.path.isdir(sp) else []


def listings_and_greps(sink, scale):
    crates = registry_dirs()
    pkgs = [p for p in site_packages() if os.path.isdir(p) and not p.endswith(".dist-info")]
    step = max(1, len(crates) // (12 * scale))
    for c in crates[::step]:
        sink.add("ls", f"ls -la {os.path.basename(c)}", run(["ls", "-la", "--time-style=long-iso", c]))
        src = os.path.join(c, "src")
        if os.path.isdir(src):
            sink.add("ls", f"ls -laR {os.path.basename(c)}/src", run(["ls", "-laR", "--time-style=long-iso", src]))
    patterns = ["fn new", "unsafe", "TODO", "panic!", "impl Drop", "#[cfg(test)]", "Error", "pub fn parse"]
    for i, pat in enumerate(patterns[: 4 * scale]):
        targets = crates[i::max(1, len(crates) // 6)][:6]
        if targets:
            sink.add("grep", f"grep -rn {pat!r}", run(["grep", "-rn", "--include=*.rs", pat, *targets]))
    for p in pkgs[:: max(1, len(pkgs) // (6 * scale))]:
        sink.add("ls", f"ls -la {os.path.basename(p)}", run(["ls", "-la", "--time-style=long-iso", p]))
        sink.add("grep", f"grep -rn 'def ' {os.path.basename(p)}", run(["grep", "-rn", "--include=*.py", "^def ", p]))


def diffs(sink, scale):
    by_name = {}
    for c in registry_dirs():
        base = os.path.basename(c)
        name = base.rsplit("-", 1)[0]
        by_name.setdefault(name, []).append(c)
    pairs = [(v[0], v[1]) for v in by_name.values() if len(v) >= 2][: 6 * scale]
    for a, b in pairs:
        for rel in ("Cargo.toml", "src/lib.rs"):
            fa, fb = os.path.join(a, rel), os.path.join(b, rel)
            if os.path.isfile(fa) and os.path.isfile(fb):
                cmd = ["git", "diff", "--no-index", "--no-color", "--stat", "-p", fa, fb]
                sink.add("git-diff", " ".join(cmd[:4]) + f" {rel}", run(cmd))
    repo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    sink.add("git-log", "git log --stat -n 15", run(["git", "-C", repo, "log", "--stat", "--no-color", "-n", "15"]))


def json_dumps(sink):
    repo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    out = run(["cargo", "metadata", "--format-version", "1", "--offline", "--no-deps"], cwd=repo)
    try:
        sink.add("cargo-metadata", "cargo metadata --no-deps", json.dumps(json.loads(out), indent=2))
    except ValueError:
        sink.add("cargo-metadata", "cargo metadata --no-deps", out)
    pip = os.path.join(repo, ".venv", "bin", "pip")
    if os.path.exists(pip):
        out = run([pip, "inspect"])
        try:
            inst = json.loads(out).get("installed", [])
            for i in range(0, min(len(inst), 40), 8):
                sink.add("pip-inspect", "pip inspect", json.dumps({"installed": inst[i : i + 8]}, indent=2))
        except ValueError:
            sink.add("pip-inspect", "pip inspect", out)


def dev_training_split(path):
    out = []
    for line in open(path):
        if not line.strip():
            continue
        r = json.loads(line)
        if int(hashlib.sha256(r["id"].encode()).hexdigest(), 16) % 3 == 0:
            continue  # evaluation split: never trained on
        out.append(r)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--dev")
    ap.add_argument("--scale", type=int, default=1)
    a = ap.parse_args()
    sink = Sink()
    # a fixed scratch path, so paths inside compiler messages are the same on every run
    tmp = "/tmp/kompress-train-scratch"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    try:
        compilers(sink, tmp)
        pytest_runs(sink, tmp, a.scale)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    listings_and_greps(sink, a.scale)
    diffs(sink, a.scale)
    json_dumps(sink)
    seen, records = set(), []
    for r in sink.records:
        if r["id"] not in seen:
            seen.add(r["id"])
            records.append(r)
    n_tool = len(records)
    if a.dev:
        records.extend(dev_training_split(a.dev))
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    print(f"wrote {len(records)} records ({n_tool} tool outputs, {len(records) - n_tool} dev training cases) to {a.out}")


if __name__ == "__main__":
    main()
