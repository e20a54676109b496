"""Savings and critical keep of Headroom's own compressors next to the kompress plugin.

Runs three arms on the same texts, the eval split of the repo's corpus
(data/corpus/corpus.jsonl, ids with int(sha256(id), 16) % 3 == 0), each text sent as the
tool result of a short agent session:

  headroom        headroom.compress() as shipped (kompress_model="disabled": no model
                  downloads offline), its own routers and lossless folds;
  headroom+kompress
                  the same call, with the content router selecting `kompress_ultra`;
  kompress        kompress.compress(text) in-process, for reference.

Scored with kscore (../shared/data/kscore.py or $KSCORE): crit keep (count-aware) and
o200k savings, per kind. Usage: python headroom_report.py [--per-kind N] [--corpus PATH] [--full].
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]


def _kscore():
    path = Path(os.environ.get("KSCORE", REPO.parent / "shared" / "data" / "kscore.py"))
    spec = importlib.util.spec_from_file_location("kscore", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _eval_cases(corpus: Path, per_kind: int) -> list[dict]:
    taken: dict[str, int] = defaultdict(int)
    cases = []
    for line in corpus.open(encoding="utf-8"):
        c = json.loads(line)
        if int(hashlib.sha256(c["id"].encode()).hexdigest(), 16) % 3 != 0:
            continue
        if taken[c["source"]] >= per_kind:
            continue
        taken[c["source"]] += 1
        cases.append(c)
    return cases


def _session(text: str) -> list[dict]:
    call = {"id": "call_1", "type": "function", "function": {"name": "bash", "arguments": "{}"}}
    return [
        {"role": "user", "content": "Look at this output and fix the problem."},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": text},
        {"role": "assistant", "content": "I read it."},
        {"role": "user", "content": "Go on."},
    ]


def _tool_content(messages: list[dict]) -> str:
    return next(m["content"] for m in messages if m.get("role") == "tool")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-kind", type=int, default=4)
    ap.add_argument("--full", action="store_true", help="also print kscore's full tables")
    ap.add_argument("--corpus", default=str(REPO / "data" / "corpus" / "corpus.jsonl"))
    args = ap.parse_args(argv)

    import headroom
    import headroom.compress  # noqa: F401

    import kompress
    from test_headroom import _router_pipeline

    ks = _kscore()
    cases = _eval_cases(Path(args.corpus), args.per_kind)
    module = sys.modules["headroom.compress"]
    default_pipeline = module._get_pipeline()
    ours = _router_pipeline()

    def headroom_arm(pipeline):
        def run(text: str) -> str:
            module._pipeline = pipeline
            r = headroom.compress(_session(text), kompress_model="disabled")
            return _tool_content(r.messages)

        return run

    arms = {
        "headroom": headroom_arm(default_pipeline),
        "headroom+kompress": headroom_arm(ours),
        "kompress": lambda text: kompress.compress(text).text,
    }
    ks.count_tokens("warm up")  # loads the encoder, sets ENCODING
    print(f"{len(cases)} eval cases; tokens: {getattr(ks, 'ENCODING', '?')}")
    groups = {}
    for name, run in arms.items():
        rows = []
        for c in cases:
            t0 = time.perf_counter()
            try:
                out = run(c["text"])
            except Exception as e:  # a failed case scores as keeping nothing
                print(f"  {name} {c['id']}: {type(e).__name__}: {e}", file=sys.stderr)
                out = None
            rows.append(ks.score_case(c, out, time.perf_counter() - t0))
        groups[name] = ks.by_source(rows)
        if args.full:
            print()
            print(ks.format_table(name, groups[name]))
    print()
    print("crit keep (count-aware, micro) / o200k savings (micro), per kind")
    print()
    print("| kind | n | " + " | ".join(arms) + " |")
    print("|---|---|" + "---|" * len(arms))
    for kind in groups["kompress"]:
        cells = []
        for name in arms:
            g = groups[name][kind]
            crit = "-" if g["crit_micro"] is None else f"{g['crit_micro']:.3f}"
            cells.append(f"{crit} / {g['savings_micro']:.3f}")
        label = f"**{kind}**" if kind == "ALL" else kind
        print(f"| {label} | {groups['kompress'][kind]['n']} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
