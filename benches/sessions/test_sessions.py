"""Tests of the session replay benchmark: conversion, billing, and a short real replay.

    .venv/bin/python -m pytest -q benches/sessions/test_sessions.py   (KOMPRESS_BIN: the binary)
"""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import arms as A  # noqa: E402
import billing  # noqa: E402
import replay as R  # noqa: E402
import sessions as S  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
DATA = os.path.join(ROOT, "data", "sessions")


def tiny():
    doc = {
        "info": {"submission": "diff --git a/pkg/core.py\n-    return compute_total(rows)\n+    return compute_total(rows, weight_factor)\n"},
        "messages": [
            {"role": "system", "content": "You run one bash command per turn."},
            {"role": "user", "content": "Fix the totals in pkg."},
            {"role": "assistant", "content": "THOUGHT: look.\n\n```bash\ngrep -rn compute_total pkg\n```"},
            {"role": "user", "content": "<returncode>0</returncode>\n<output>\npkg/core.py:41:    return compute_total(rows)\npkg/util.py:7:def compute_total(rows, weight_factor=1):\n</output>"},
            {"role": "assistant", "content": "THOUGHT: edit line 41.\n\n```bash\nsed -n '41p' pkg/core.py\n```"},
            {"role": "user", "content": "<returncode>0</returncode>\n<output>\n    return compute_total(rows)\n</output>"},
            {"role": "assistant", "content": "Done.\n\n```bash\necho COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT\n```"},
        ],
    }
    return S.convert("tiny", doc)


def test_a_trajectory_becomes_tool_calls_with_the_observation_as_result():
    s = tiny()
    assert s.requests == 3
    assert [st.command for st in s.steps][:2] == ["grep -rn compute_total pkg", "sed -n '41p' pkg/core.py"]
    body = S.openai_request(s, 2)
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "assistant", "tool"]
    assert body["messages"][2]["content"] == "THOUGHT: look."
    assert S.observation_in(body, "openai", 0).startswith("<returncode>0</returncode>")
    ab = S.anthropic_request(s, 2)
    assert ab["system"] == s.system and ab["messages"][1]["content"][1]["type"] == "tool_use"
    assert S.observation_in(ab, "anthropic", 1) == s.steps[1].obs


def test_reused_tokens_are_the_ones_learnt_from_an_observation_and_used_later():
    s = tiny()
    # `41` and `core` come from the grep result and are used by the next command; `weight_factor`
    # from the grep result reaches the patch; `compute_total` was in the agent's own command
    assert {"41", "core"} <= s.reused[0]
    assert "weight_factor" in s.reused[0]
    assert "compute_total" not in s.reused[0]


def test_a_growing_session_is_read_from_cache_and_a_changed_prefix_is_a_break():
    s = tiny()
    bodies = A.arm_none(s, "anthropic")
    b = billing.bill_session(bodies, "anthropic")
    assert b.prefix_breaks == 0 and b.requests == 3
    first = sum(len(billing.tokens(p)) for p in billing.parts(bodies[0]))
    assert b.cached_tokens >= first  # request 2 reads request 1 from the cache
    changed = [bodies[0], bodies[1], S.anthropic_request(s, 2, obs=lambda k, t: "x" if k == 0 else t)]
    assert billing.bill_session(changed, "anthropic").prefix_breaks == 1


def test_openai_caches_only_long_prompts_in_128_token_steps():
    s = tiny()
    b = billing.bill_session(A.arm_none(s, "openai"), "openai")
    assert b.cached_tokens == 0  # every prompt is under 1024 tokens
    assert b.cost == b.input_tokens


def test_masking_hides_all_but_the_last_ten_observations():
    s = tiny()
    s.steps = s.steps[:1] * 13 + s.steps[-1:]
    bodies = A.arm_mask(s, "openai")
    last = bodies[-1]
    assert A.MASKED.match(S.observation_in(last, "openai", 0))
    assert not A.MASKED.match(S.observation_in(last, "openai", 12))


def test_the_recorded_sessions_load():
    sess = S.load(DATA)
    assert len(sess) >= 40
    assert all(s.requests >= 5 for s in sess)


@pytest.mark.skipif(not os.environ.get("KOMPRESS_BIN"), reason="KOMPRESS_BIN not set: no proxy to replay through")
def test_two_real_sessions_replay_through_the_proxy_with_every_prefix_kept():
    sess = S.load(DATA)[:2]
    up = A.Upstream()
    px = A.Proxy(os.environ["KOMPRESS_BIN"], up, history=False)
    try:
        for s in sess:
            for fmt, provider in (("openai", "openai"), ("anthropic", "anthropic")):
                bodies, _ = A.arm_proxy(px, up, s, fmt)
                b = billing.bill_session(bodies, provider)
                none = billing.bill_session(A.arm_none(s, fmt), provider)
                assert b.prefix_breaks == 0, (s.name, fmt)
                assert b.input_tokens <= none.input_tokens
                kp = R.keep(s, fmt, bodies, px)
                assert kp.last == kp.total, (s.name, fmt, kp.last, kp.total)
    finally:
        px.close()
        up.close()
