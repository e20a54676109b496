"""git_log, git_show, git_diff over /work/main and over repos built from real crate versions."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from common import CARGO_SRC, MAX_BYTES, REPO, WORK, Case, crate_licence, crop, have, line_offsets, log, q, run

REPOS = WORK / "repos"
# crate families with several versions in the cargo registry: each becomes a git repo with one
# tagged version after another, each version committed in several commits by directory
FAMILIES = ["base64", "rand", "getrandom", "thiserror", "fancy-regex", "hashbrown", "winnow",
            "bit-set", "sha1", "rand_core", "http", "digest", "foldhash", "block-buffer",
            "crypto-common", "toml_datetime", "cpufeatures", "bit-vec"]
MAIN_LIC = "kompress-ultra repository (this project)"


def _versions(fam):
    if CARGO_SRC is None:
        return []
    pat = re.compile(re.escape(fam) + r"-(\d+\.\d+\.\d+(?:\+[\w.-]+)?)$")
    vs = [(p, m.group(1)) for p in CARGO_SRC.iterdir() if (m := pat.match(p.name))]
    return sorted(vs, key=lambda x: tuple(int(n) for n in x[1].split("+")[0].split(".")))


def _git(repo, args, env=None):
    out, rc = run(f"git {args}", cwd=repo, env=env)
    if rc:
        raise RuntimeError(f"git {args}: {out}")
    return out


def build_repos():
    """(Re)creates the crate-version repos with fixed authors and dates: same SHAs every run."""
    if REPOS.exists():
        shutil.rmtree(REPOS)
    made = {}
    for fi, fam in enumerate(FAMILIES):
        vs = _versions(fam)
        if len(vs) < 2:
            continue
        repo = REPOS / fam
        repo.mkdir(parents=True)
        _git(repo, "init -q -b main")
        n = 0
        for src, ver in vs:
            for p in list(repo.iterdir()):
                if p.name != ".git":
                    shutil.rmtree(p) if p.is_dir() else p.unlink()
            shutil.copytree(src, repo, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".cargo-ok", ".cargo_vcs_info.json"))
            groups = [["Cargo.toml", "Cargo.toml.orig", "Cargo.lock"], ["src"], None]
            for gi, g in enumerate(groups):
                if g is None:
                    _git(repo, "add -A")
                    what = "docs, tests, benches and the rest"
                else:
                    present = [x for x in g if (repo / x).exists()]
                    if not present:
                        continue
                    _git(repo, "add -A -f -- " + " ".join(present))
                    what = {0: "manifest", 1: "sources under src/"}[gi]
                st, _ = run("git status --porcelain", cwd=repo)
                staged = [ln for ln in st.splitlines() if ln[:1] in "MADR"]
                if not staged:
                    continue
                n += 1
                date = f"2024-{(fi % 12) + 1:02d}-{min(n, 28):02d}T{10 + gi}:00:00+00:00"
                env = {"GIT_AUTHOR_NAME": "Corpus Builder", "GIT_AUTHOR_EMAIL": "corpus@example.invalid",
                       "GIT_COMMITTER_NAME": "Corpus Builder", "GIT_COMMITTER_EMAIL": "corpus@example.invalid",
                       "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
                _git(repo, f"commit -q -m {q(f'{fam} {ver}: {what}')} -m {q(f'Imported from the crates.io package {fam}-{ver} as unpacked in the cargo registry.')}", env=env)
            _git(repo, f"tag v{ver}")
        made[fam] = (repo, vs)
    return made


# ---------------------------------------------------------------- labels
_STAT = re.compile(r"^ (\S.*?)\s+\|\s+(?:\d+|Bin)")


def label_log(case: Case) -> None:
    for off, ln in line_offsets(case.text):
        if ln.startswith("commit ") and re.match(r"commit [0-9a-f]{40}\b", ln):
            case.span(off + 7, ln[7:47])
        else:
            m = _STAT.match(ln)
            if m:
                case.span(off + 1, m.group(1))


_HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")


def label_diff(case: Case) -> None:
    """critical_lines: every '+'/'-' line inside a hunk (hunk lengths from the @@ header);
    spans: the a/ and b/ paths of each `diff --git` header (b only when it differs)."""
    old = new = 0
    for off, ln in line_offsets(case.text):
        if old > 0 or new > 0:
            c = ln[:1]
            if c == "+":
                new -= 1
                if ln[1:].strip() and "\r" not in ln:  # blank changed lines are not labelled
                    case.lines.append(ln)
            elif c == "-":
                old -= 1
                if ln[1:].strip() and "\r" not in ln:
                    case.lines.append(ln)
            elif c == " " or ln == "":
                old -= 1
                new -= 1
            elif c == "\\":
                pass
            else:
                old = new = 0
            if old > 0 or new > 0:
                continue
        if ln.startswith("diff --git "):
            m = re.match(r"diff --git a/(.*) b/(.*)$", ln)
            if m:
                a, b = m.group(1), m.group(2)
                case.span(off + 13, a)
                if b != a:
                    case.span(off + 13 + len(a) + 3, b)
            continue
        m = _HUNK.match(ln)
        if m:
            old = int(m.group(1)) if m.group(1) is not None else 1
            new = int(m.group(2)) if m.group(2) is not None else 1


DIFF_MAX = 24 * 1024  # diffs store their changed lines twice (text + critical_lines): cropped shorter


def _case(kind, cmd, cwd, labeler, lic, label, meta=None):
    out, rc = run(cmd, cwd=cwd)
    text, c = crop(out, DIFF_MAX if kind != "git_log" else MAX_BYTES)
    case = Case(kind, cmd, text, labeler, lic, meta=dict(meta or {}))
    if c:
        case.meta["crop"] = c
    label(case)
    return case


def _main_shas():
    out, _ = run("git log --format=%H", cwd=REPO)
    return out.split()


def git_log():
    if not have("git"):
        log("git_log: git missing; skipped")
        return []
    made = build_repos()
    cases = []
    main_specs = ["-n 3", "-n 5 --skip 7", "-n 8 --skip 20", "-n 2 --skip 41", "-n 6 --skip 55",
                  "-n 4 --skip 77", "-n 12 --skip 95", "-n 5 -- deploy", "-n 6 -- scripts",
                  "-n 4 -- crates/kompress-kafka", "-n 3 --skip 3 -- README.md", "-n 10 --skip 105"]
    for s in main_specs:
        cases.append(_case("git_log", f"git log --stat {s}", REPO, "full commit SHAs + --stat paths",
                           MAIN_LIC, label_log, {"repo": "kompress-ultra"}))
    for fam, (repo, vs) in made.items():
        n = 3 * len(vs)
        spec = f"-n {n}" if len(cases) % 2 else f"-n {max(2, n - 2)}"
        cases.append(_case("git_log", f"git log --stat {spec}", repo, "full commit SHAs + --stat paths",
                           crate_licence(vs[-1][0]), label_log,
                           {"repo": f"built from crates.io {fam} versions {', '.join(v for _, v in vs)}"}))
    return cases


def git_show():
    if not have("git"):
        return []
    shas = _main_shas()
    cases = []
    for i in range(1, len(shas), 9):
        cases.append(_case("git_show", f"git show {shas[i]}", REPO, "changed lines + diff --git paths",
                           MAIN_LIC, label_diff, {"repo": "kompress-ultra"}))
    for fam in FAMILIES[:14]:
        repo = REPOS / fam
        if not repo.exists():
            continue
        out, _ = run("git log --format=%H", cwd=repo)
        hs = out.split()
        pick = hs[min(len(hs) - 1, (len(cases) % 3))]
        vs = _versions(fam)
        cases.append(_case("git_show", f"git show {pick[:12]}", repo, "changed lines + diff --git paths",
                           crate_licence(vs[-1][0]), label_diff, {"repo": f"built from crates.io {fam} versions"}))
    return cases


def git_diff():
    if not have("git"):
        return []
    shas = _main_shas()
    cases = []
    pairs = [(3, 1, ""), (10, 8, ""), (25, 24, ""), (40, 37, "-- scripts"), (60, 58, "-- crates/kompress-serve"),
             (70, 66, "-- README.md"), (90, 88, ""), (110, 100, "-- deploy"), (30, 20, "-- Cargo.toml"),
             (50, 45, "-- docs")]
    for a, b, path in pairs:
        if a >= len(shas):
            continue
        cmd = f"git diff {shas[a][:10]} {shas[b][:10]} {path}".strip()
        cases.append(_case("git_diff", cmd, REPO, "changed lines + diff --git paths", MAIN_LIC, label_diff,
                           {"repo": "kompress-ultra"}))
    for fi, fam in enumerate(FAMILIES):
        repo = REPOS / fam
        vs = _versions(fam)
        if not repo.exists() or len(vs) < 2:
            continue
        a, b = vs[-2][1], vs[-1][1]
        path = ["-- . ':!Cargo.lock'", "-- Cargo.toml", "-- src", "-- README.md", "-- src/lib.rs"][fi % 5]
        cmd = f"git diff v{a} v{b} {path}".strip()
        cases.append(_case("git_diff", cmd, repo, "changed lines + diff --git paths", crate_licence(vs[-1][0]),
                           label_diff, {"repo": f"built from crates.io {fam} versions"}))
    return cases


SOURCES = {"git_log": git_log, "git_show": git_show, "git_diff": git_diff}
