"""The Python API over the in-process pipeline: round trips, transcripts, the store, typed
errors and the GIL."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import pytest

import kompress
from samples import server_log


def test_text_round_trips_byte_exact_and_saves(log_text):
    r = kompress.compress(log_text)
    assert r.restore() == log_text
    assert kompress.restore(r.text, r.evictions) == log_text
    assert kompress.restore(r) == log_text
    assert len(r.text) < len(log_text)
    assert r.stats["bytes_in"] == len(log_text.encode())
    assert r.stats["bytes_out"] == len(r.text.encode())


def test_log_parameters_stay_visible(log_text):
    r = kompress.compress(log_text)
    for blk in re.findall(r"blk_\d+", log_text):
        assert blk in r.text


def test_bytes_input_is_accepted_when_utf8(log_text):
    r = kompress.compress(log_text.encode())
    assert r.restore() == log_text


def test_failing_test_id_and_assertion_survive(test_run):
    r = kompress.compress(test_run)
    assert "tests/test_parser.py:42" in r.text
    assert "FAILED tests/test_parser.py::test_parse_header" in r.text
    assert "assert 'unknown' == 'png'" in r.text
    assert r.restore() == test_run


def test_ultra_mode_and_target_ratio_are_honoured(test_run):
    safe = kompress.compress(test_run)
    ultra = kompress.compress(test_run, mode="ultra", target_ratio=0.3)
    assert len(ultra.text) <= len(safe.text)
    assert ultra.restore() == test_run


def test_openai_messages_compress_tool_results_and_restore_equal():
    log = server_log(300)
    messages = [
        {"role": "system", "content": "You are a coding agent."},
        {"role": "user", "content": "Why do the datanodes drop connections?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "bash", "arguments": '{"cmd": "cat datanode.log"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": log},
    ]
    r = kompress.compress(messages)
    assert isinstance(r.messages, list) and len(r.messages) == 4
    assert r.messages[0] == messages[0] and r.messages[1] == messages[1]
    assert len(r.messages[3]["content"]) < len(log)
    assert r.restore() == messages
    assert r.evictions and all(e["message_index"] == 3 for e in r.evictions)


def test_anthropic_dict_transcript_round_trips():
    transcript = {
        "system": "You are a coding agent.",
        "messages": [
            {"role": "user", "content": "Run the tests."},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "tu_1", "name": "bash", "input": {"cmd": "pytest"}}],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "tu_1", "content": server_log(200, seed=3)}
                ],
            },
        ],
    }
    r = kompress.compress(transcript, format="anthropic")
    assert isinstance(r.messages, dict)
    assert r.restore() == transcript


def test_store_recalls_markers_and_restores(tmp_path: Path, test_run):
    store = kompress.Store(tmp_path / "memory.db")
    r = kompress.compress(test_run, target_ratio=0.3)
    assert r.markers, "keeping 30% of a 120-line passing run leaves a marker"
    assert store.put(r, tenant="t1", session="s1") == len(r.evictions)
    assert store.put(r, tenant="t1", session="s1") == 0  # idempotent
    for e in r.evictions:
        if e["handle"]:
            marker = re.search(r"\[…[^\]]*ref=" + e["handle"] + r"\]", r.text).group(0)
            assert store.recall(marker, tenant="t1") == e.get("decoded", e["original"])
            assert store.recall(e["handle"], tenant="other") is None
    assert store.restore(r.text, r.transcript_id, tenant="t1") == test_run
    assert [e["start"] for e in store.evictions(r.transcript_id, "t1")] == sorted(
        e["start"] for e in r.evictions
    )
    assert store.stats()["records"] == len(r.evictions)
    assert "Store(" in repr(store)


def test_invalid_utf8_is_a_typed_input_error():
    with pytest.raises(kompress.InputError) as e:
        kompress.compress(b"ok line\n\xff\xfe broken\n")
    assert e.value.kind == "invalid_utf8"
    assert "offset 8" in str(e.value)
    assert isinstance(e.value, ValueError) and isinstance(e.value, kompress.KompressError)


def test_malformed_transcript_json_is_a_typed_input_error():
    with pytest.raises(kompress.InputError) as e:
        kompress.compress('{"messages": [', format="openai")
    assert e.value.kind == "malformed_json"


def test_unknown_schema_is_a_typed_input_error():
    with pytest.raises(kompress.InputError) as e:
        kompress.compress({"messages": [{"role": "wizard", "content": "x"}]})
    assert e.value.kind in ("unknown_role", "schema")


def test_oversized_input_is_a_typed_input_error(log_text):
    with pytest.raises(kompress.InputError) as e:
        kompress.compress(log_text, max_bytes=1000)
    assert e.value.kind == "oversized"


def test_empty_text_is_left_alone_or_refused_by_type():
    try:
        r = kompress.compress("")
    except kompress.InputError as e:
        assert e.kind == "empty_input"
    else:
        assert r.text == "" and r.evictions == []


@pytest.mark.parametrize(
    "options, named",
    [
        ({"no_such_knob": 1}, "no_such_knob"),
        ({"mode": "turbo"}, "turbo"),
        ({"target_ratio": 1.5}, "target_ratio"),
        ({"pruner": "magic"}, "pruner"),
    ],
)
def test_unknown_option_names_the_field(options, named):
    with pytest.raises(kompress.ConfigError) as e:
        kompress.compress("x\n", **options)
    assert named in str(e.value)


def test_restore_with_wrong_evictions_is_a_restore_error(log_text):
    r = kompress.compress(log_text)
    with pytest.raises(kompress.RestoreError) as e:
        kompress.restore("short text", r.evictions)
    assert e.value.kind == "restore"


def test_learned_pruner_is_a_typed_error_when_not_built():
    if kompress.LEARNED:
        pytest.skip("this wheel carries the learned pruner")
    with pytest.raises(kompress.PrunerError) as e:
        kompress.compress("a line\n" * 50, pruner="learned")
    assert e.value.kind == "pruner"
    assert "learned" in str(e.value)


def test_auto_is_the_statistical_pruner_without_the_model(log_text):
    r = kompress.compress(log_text, pruner="auto")
    s = kompress.compress(log_text, pruner="stat")
    if not kompress.LEARNED:
        assert r.text == s.text


def test_compression_releases_the_gil():
    big = server_log(40_000, seed=11)
    window: dict[str, float] = {}

    config = json.dumps({"mode": "safe"})

    def work() -> None:
        # the native call alone: the wrapper's own Python work (json) would let ticks in anyway
        window["start"] = time.monotonic()
        kompress._native.compress(big, "text", "stat", config, None)
        window["end"] = time.monotonic()

    ticks: list[float] = []
    t = threading.Thread(target=work)
    t.start()
    while t.is_alive():
        ticks.append(time.monotonic())
        time.sleep(0.001)
    t.join()
    inside = [x for x in ticks if window["start"] < x < window["end"]]
    took = window["end"] - window["start"]
    # with the GIL held for the whole call, this thread could not tick inside the window
    assert len(inside) >= 10, f"{len(inside)} ticks in a {took:.3f} s call"


def test_threads_compress_concurrently_and_agree(log_text):
    want = kompress.compress(log_text).text
    got: list[str] = []
    threads = [threading.Thread(target=lambda: got.append(kompress.compress(log_text).text)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [want] * 8


def test_defaults_are_exposed_and_typed_files_ship():
    cfg = kompress.default_config()
    assert cfg["mode"] == "safe" and "protect_share" in cfg
    pkg = Path(kompress.__file__).parent
    assert (pkg / "py.typed").is_file()
    assert (pkg / "_native.pyi").is_file()
    json.dumps(cfg)
