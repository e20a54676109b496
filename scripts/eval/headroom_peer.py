#!/usr/bin/env python3
"""Run the peer `headroom-ai` (PyPI) offline as a plain compressor for `kompress eval`.

    headroom_peer.py < text > compressed          # one text on stdin, compressed on stdout
    headroom_peer.py --jsonl < cases.jsonl         # {"id","text"} per line ->
                                                   #   {"id","out","ms","error"} per line
    headroom_peer.py --version                     # headroom-ai version and what runs offline

Each text goes through headroom's own public entry point, `headroom.compress(messages, ...)`,
as the result of a tool call in an OpenAI-format conversation (the place an agent's tool output
sits). Its ML text compressor (Kompress, a ModernBERT checkpoint fetched from the Hugging Face
hub on first use) cannot run here: the machine has no model hub, so it is switched off
(`kompress_model="disabled"`) and the hub is forced offline. What runs is its non-ML path:
content routing, the log / search / diff / code / JSON compressors and its must-keep rules.
"""

import json
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HEADROOM_TELEMETRY", "off")
os.environ.setdefault("HEADROOM_DISABLE_TELEMETRY", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")

OFFLINE_NOTE = (
    "ML path (Kompress ModernBERT, downloaded from the Hugging Face hub) cannot run offline "
    "and is disabled; the non-ML compressors run"
)


def _messages(text):
    return [
        {"role": "user", "content": "Look at the output of the last command and find the problem."},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "run", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": text},
        {"role": "user", "content": "What failed?"},
    ]


def compress_text(text):
    import headroom

    res = headroom.compress(_messages(text), model="gpt-4o", kompress_model="disabled")
    out = res.messages[2]["content"]
    if isinstance(out, list):  # content blocks
        out = "".join(b.get("text", "") for b in out if isinstance(b, dict))
    return out


def _version():
    try:
        from importlib.metadata import version

        return version("headroom-ai")
    except Exception as e:  # pragma: no cover
        return "unknown (%r)" % (e,)


def main():
    args = sys.argv[1:]
    if "--version" in args:
        print(json.dumps({"headroom_ai": _version(), "offline": OFFLINE_NOTE}))
        return 0
    if "--jsonl" in args:
        for line in sys.stdin:
            if not line.strip():
                continue
            case = json.loads(line)
            t0 = time.perf_counter()
            try:
                out, err = compress_text(case["text"]), None
            except Exception as e:  # the case fails, the run goes on
                out, err = None, "%s: %s" % (type(e).__name__, e)
            ms = (time.perf_counter() - t0) * 1e3
            sys.stdout.write(json.dumps({"id": case["id"], "out": out, "ms": ms, "error": err}) + "\n")
            sys.stdout.flush()
        return 0
    text = sys.stdin.read()
    sys.stdout.write(compress_text(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
