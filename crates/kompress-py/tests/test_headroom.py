"""The Headroom plugin against the real headroom-ai (0.42 from PyPI), offline.

Skipped when headroom is not installed, unless KOMPRESS_REQUIRE_HEADROOM=1 (as in
scripts/python/test.sh), where a missing headroom is a failure.
"""

from __future__ import annotations

import os
import sys

import pytest

if os.environ.get("KOMPRESS_REQUIRE_HEADROOM") == "1":
    import headroom  # noqa: F401  (fail loudly)
else:
    pytest.importorskip("headroom")

from headroom.transforms.compressor_registry import (  # noqa: E402
    CompressInput,
    CompressOutput,
    CompressorRegistry,
)

import kompress  # noqa: E402
from kompress.headroom import NAME, KompressCompressor  # noqa: E402

from samples import failing_test_run, server_log  # noqa: E402


def _router_pipeline():
    """Headroom's default pipeline, with its content router selecting our compressor."""
    from headroom.transforms import TransformPipeline
    from headroom.transforms.content_router import ContentRouter, ContentRouterConfig

    pipeline = TransformPipeline()
    swapped = 0
    for i, t in enumerate(pipeline.transforms):
        if isinstance(t, ContentRouter):
            pipeline.transforms[i] = ContentRouter(
                ContentRouterConfig(active_external_compressors=[NAME])
            )
            swapped += 1
    assert swapped == 1, "headroom's default pipeline has no ContentRouter to select with"
    return pipeline


@pytest.fixture
def headroom_with_kompress(monkeypatch):
    import headroom.compress  # noqa: F401

    module = sys.modules["headroom.compress"]
    monkeypatch.setattr(module, "_pipeline", _router_pipeline())
    return module


def _session(tool_output: str) -> list[dict]:
    return [
        {"role": "user", "content": "The service is failing; look at its log."},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "bash", "arguments": '{"cmd": "cat server.log"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": tool_output},
        {"role": "assistant", "content": "I read the log."},
        {"role": "user", "content": "Which blocks failed?"},
    ]


def _resolve(handle: str) -> str:
    from headroom.cache.compression_store import get_compression_store

    entry = get_compression_store().retrieve(handle)
    assert entry is not None, f"headroom's store cannot resolve {handle}"
    return entry.original_content


def test_entry_point_is_discovered_with_an_honest_descriptor():
    reg = CompressorRegistry()
    reg.discover()
    assert NAME in reg.names()
    d = KompressCompressor().descriptor
    assert d.name == NAME
    assert d.lossless is True and d.recoverable is True
    assert "text/x-log" in d.content_types and "text/plain" in d.content_types
    assert d.cost_tier == ("ml" if kompress.LEARNED else "fast")
    assert KompressCompressor(pruner="stat").descriptor.cost_tier == "fast"


@pytest.mark.parametrize("text", [server_log(), server_log(lines=600, seed=3)], ids=["log", "long_log"])
def test_contract_output_carries_every_eviction_in_recoverable(text):
    out = KompressCompressor().compress(
        CompressInput(content=text, content_type="text/x-log", budget={"target_ratio": 0.3})
    )
    assert isinstance(out, CompressOutput)
    assert out.compressed and out.lossless
    assert out.tokens_after < out.tokens_before
    direct = kompress.compress(text, target_ratio=0.3)
    assert out.content == direct.text
    for e in direct.evictions:
        if e["handle"]:
            assert out.recoverable[e["handle"]] == e.get("decoded", e["original"])
            assert f"ref={e['handle']}" in out.markers
    whole = [m.split(":", 1)[1] for m in out.markers if m.startswith("kompress:")]
    assert len(whole) == 1 and out.recoverable[whole[0]] == text
    assert direct.restore() == text


def test_output_that_saves_no_tokens_passes_through():
    text = failing_test_run(n_pass=5)
    r = kompress.compress(text, target_ratio=0.3)
    out = KompressCompressor().compress(
        CompressInput(content=text, content_type="text/x-log", budget={"target_ratio": 0.3})
    )
    if r.stats["tokens_out"] >= r.stats["tokens_in"]:
        assert out.compressed is False and out.content == text
    else:
        assert out.compressed and out.tokens_after < out.tokens_before


def test_empty_input_passes_through_untouched():
    out = KompressCompressor().compress(CompressInput(content="", content_type="text/plain"))
    assert out.compressed is False and out.content == ""


def test_headroom_compress_sends_our_output_to_the_model_and_markers_resolve(
    headroom_with_kompress,
):
    import headroom

    text = server_log(lines=400, seed=7)
    result = headroom.compress(_session(text), model="claude-sonnet-4-5-20250929")
    tool = [m for m in result.messages if m.get("role") == "tool"]
    assert len(tool) == 1
    sent = tool[0]["content"]
    ours = kompress.compress(text)
    assert len(sent) < len(text), "headroom did not compress the tool output"
    # our rows (the folded log) reached the model side: every line of our output is there
    assert ours.text in sent or sent == ours.text, sent[:400]
    # every parameter value of the log is visible to the model, not only retrievable
    for line in text.splitlines()[:50]:
        assert line.split()[-1] in sent
    # the whole block and every eviction handle resolve byte-exact through headroom's store
    assert _resolve(kompress._native.content_hash(text)) == text
    for e in ours.evictions:
        if e["handle"]:
            assert _resolve(e["handle"]) == e.get("decoded", e["original"])
    assert ours.restore() == text
