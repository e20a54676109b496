#!/usr/bin/env python3
"""Builds data/corpus/corpus.jsonl: real tool outputs produced by running real commands on this
machine, labelled by rules over each tool's own output format (see data/corpus/README.md).

    scripts/corpus/setup.sh                       # once: venv with drain3/pytest, apt tools
    scripts/corpus/.venv/bin/python scripts/corpus/make_corpus.py            # every kind
    scripts/corpus/.venv/bin/python scripts/corpus/make_corpus.py --only git_log,du

--only regenerates the named kinds and keeps the other kinds' cases from the existing file.
A source whose tool is missing is skipped with a message. Cases are ordered by kind (fixed
order below), then in generation order; ids are corpus/<kind>/<nnn>.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, WORK, finalize, log  # noqa: E402

OUT = REPO / "data/corpus/corpus.jsonl"
README = REPO / "data/corpus/README.md"
VENV_PY = Path(__file__).resolve().parent / ".venv/bin/python"


def registry():
    import src_build
    import src_code
    import src_fs
    import src_git
    import src_logs
    import src_sys
    import src_tools
    reg = {}
    for mod in (src_git, src_fs, src_code, src_build, src_tools, src_sys, src_logs):
        reg.update(mod.SOURCES)
    return reg


def split_of(cid: str) -> str:
    return "eval" if int(hashlib.sha256(cid.encode()).hexdigest(), 16) % 3 == 0 else "train"


def table(cases: list[dict]) -> str:
    kinds: dict = {}
    for c in cases:
        kinds.setdefault(c["source"], []).append(c)
    rows = ["| kind | cases | train | eval | median bytes | spans | lines |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    tot = [0, 0, 0, 0, 0]
    for k, cs in kinds.items():
        ev = sum(split_of(c["id"]) == "eval" for c in cs)
        sp = sum(len(c["critical_spans"]) for c in cs)
        li = sum(len(c.get("critical_lines", [])) for c in cs)
        med = int(statistics.median(c["meta"]["bytes"] for c in cs))
        rows.append(f"| {k} | {len(cs)} | {len(cs) - ev} | {ev} | {med} | {sp} | {li} |")
        for i, v in enumerate((len(cs), len(cs) - ev, ev, sp, li)):
            tot[i] += v
    med = int(statistics.median(c["meta"]["bytes"] for c in cases)) if cases else 0
    rows.append(f"| **all ({len(kinds)} kinds)** | {tot[0]} | {tot[1]} | {tot[2]} | {med} | {tot[3]} | {tot[4]} |")
    return "\n".join(rows)


def main() -> int:
    try:
        import drain3  # noqa: F401
    except ImportError:
        if VENV_PY.exists() and Path(sys.executable).resolve() != VENV_PY.resolve():
            os.execv(str(VENV_PY), [str(VENV_PY)] + sys.argv)
        log("drain3 is not installed (run scripts/corpus/setup.sh): the log kinds will be skipped")
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", help="comma-separated kinds to regenerate (others are kept)")
    ap.add_argument("--list", action="store_true", help="list the kinds and exit")
    args = ap.parse_args()
    reg = registry()
    if args.list:
        print("\n".join(reg))
        return 0
    only = set(args.only.split(",")) if args.only else None
    if only and not only <= set(reg):
        ap.error(f"unknown kinds: {sorted(only - set(reg))}")
    old: dict = {}
    if only and OUT.exists():
        for ln in OUT.read_text().splitlines():
            c = json.loads(ln)
            old.setdefault(c["source"], []).append(c)
    WORK.mkdir(parents=True, exist_ok=True)
    result: list[dict] = []
    for kind, fn in reg.items():
        if only and kind not in only:
            result.extend(old.get(kind, []))
            continue
        t0 = time.time()
        try:
            raw = fn()
        except Exception:
            log(f"{kind}: source failed, skipped:\n{traceback.format_exc()}")
            result.extend(old.get(kind, []))
            continue
        cases = []
        for case in raw:
            obj = finalize(case)
            if obj is None:
                continue
            obj["id"] = f"corpus/{kind}/{len(cases):03d}"
            cases.append(obj)
        log(f"{kind}: {len(cases)} cases in {time.time() - t0:.0f}s")
        if len(cases) < 12:
            log(f"{kind}: WARNING only {len(cases)} cases")
        result.extend(cases)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        for c in result:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")
    tab = table(result)
    if README.exists():
        txt = README.read_text()
        a, b = "<!-- table:start -->", "<!-- table:end -->"
        if a in txt and b in txt:
            README.write_text(txt[: txt.index(a) + len(a)] + "\n" + tab + "\n" + txt[txt.index(b):])
    print(tab)
    print(f"\n{len(result)} cases, {OUT.stat().st_size} bytes -> {OUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
