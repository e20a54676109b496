"""Shared inputs: real-shaped tool outputs made here, not fixtures copied from anywhere."""

from __future__ import annotations

import random

def server_log(lines: int = 400, seed: int = 7) -> str:
    """A server log whose lines share a few templates and differ in their parameters."""
    rng = random.Random(seed)
    out = []
    for i in range(lines):
        ts = f"2026-12-03 05:{i // 60 % 60:02d}:{i % 60:02d},{rng.randrange(1000):03d}"
        kind = rng.random()
        if kind < 0.6:
            blk = rng.randrange(10**9, 10**10)
            ip = f"10.250.{rng.randrange(256)}.{rng.randrange(256)}"
            out.append(
                f"{ts} INFO dfs.DataNode$PacketResponder: Received block blk_{blk} of size "
                f"{rng.randrange(10**6, 10**8)} from /{ip}"
            )
        elif kind < 0.95:
            out.append(
                f"{ts} INFO dfs.FSNamesystem: BLOCK* NameSystem.addStoredBlock: blockMap updated: "
                f"10.251.{rng.randrange(256)}.{rng.randrange(256)}:50010 is added to "
                f"blk_{rng.randrange(10**9, 10**10)} size {rng.randrange(10**6, 10**8)}"
            )
        else:
            out.append(
                f"{ts} WARN dfs.DataNode: java.io.IOException: Connection reset by peer "
                f"while serving blk_{rng.randrange(10**9, 10**10)} to /10.251.{rng.randrange(256)}.1"
            )
    return "\n".join(out) + "\n"


def failing_test_run(n_pass: int = 120) -> str:
    """A pytest run: many passing lines, one failure with its traceback and summary."""
    lines = ["============================= test session starts =============================="]
    lines.append("platform linux -- Python 3.11.7, pytest-8.3.3, pluggy-1.5.0")
    lines.append("rootdir: /work/project")
    lines.append(f"collected {n_pass + 1} items")
    lines.append("")
    for i in range(n_pass):
        lines.append(f"tests/test_module_{i // 10}.py::test_case_{i} PASSED{' ' * 20}[{i * 100 // (n_pass + 1):3d}%]")
    lines.append("tests/test_parser.py::test_parse_header FAILED                            [100%]")
    lines += [
        "",
        "=================================== FAILURES ===================================",
        "______________________________ test_parse_header _______________________________",
        "",
        "    def test_parse_header():",
        ">       assert parse_header(b'\\x89PNG') == 'png'",
        "E       AssertionError: assert 'unknown' == 'png'",
        "",
        "tests/test_parser.py:42: AssertionError",
        "=========================== short test summary info ============================",
        "FAILED tests/test_parser.py::test_parse_header - AssertionError: assert 'unknown' == 'png'",
        f"========================= 1 failed, {n_pass} passed in 3.21s =========================",
    ]
    return "\n".join(lines) + "\n"


