"""kompress as a Headroom compressor (the ``headroom.compressor`` entry point
``kompress_ultra``; headroom-ai >= 0.42).

Select it by name: ``headroom proxy --compressor kompress_ultra`` (or
``HEADROOM_COMPRESSORS=kompress_ultra``), or in a router of your own,
``ContentRouterConfig(active_external_compressors=["kompress_ultra"])``. Headroom then gives
it each block whose detected type it declares, after Headroom's own lossless folds.

The output is lossless: ``recoverable`` maps each marker's handle (the ``ref=`` value, eight
hex digits) to the lines it stands for, and the content hash of the whole block (listed in
``markers`` as ``kompress:<hash>``) to the block itself, so Headroom's retrieval
(``/v1/retrieve/<hash>``, its CCR store) resolves every marker byte-exact.

Settings, from the environment: ``KOMPRESS_HEADROOM_PRUNER`` (auto, stat, learned, blend;
default auto), ``KOMPRESS_HEADROOM_MODE`` (safe or ultra; default safe), and
``KOMPRESS_HEADROOM_STORE`` (a kompress memory store to also keep the evictions in, so
``kompress recall REF`` resolves them too).
"""

from __future__ import annotations

import os

from headroom.transforms.compressor_registry import (
    CompressInput,
    CompressorDescriptor,
    CompressOutput,
)

import kompress

from . import _native

NAME = "kompress_ultra"
#: Headroom's MIME strings for the kinds kompress compresses by line structure (not HTML,
#: CSV, or JSON arrays, which Headroom's own extractors and crusher handle better).
CONTENT_TYPES = [
    "text/plain",
    "text/x-log",
    "text/x-search-results",
    "text/x-diff",
    "text/x-code",
    "text/x-config",
]


def _tier(pruner: str) -> str:
    learned_runs = kompress.LEARNED and pruner in ("auto", "learned", "blend")
    return "ml" if learned_runs else "fast"


class KompressCompressor:
    """The Headroom compressor contract (pure data in, pure data out) over kompress."""

    def __init__(self, pruner: str | None = None, mode: str | None = None) -> None:
        self.pruner = pruner or os.environ.get("KOMPRESS_HEADROOM_PRUNER", "auto")
        self.mode = mode or os.environ.get("KOMPRESS_HEADROOM_MODE", "safe")
        store = os.environ.get("KOMPRESS_HEADROOM_STORE")
        self.store = kompress.Store(store) if store else None
        self._descriptor = CompressorDescriptor(
            name=NAME,
            content_types=list(CONTENT_TYPES),
            lossless=True,
            cost_tier=_tier(self.pruner),
            recoverable=True,
        )

    @property
    def descriptor(self) -> CompressorDescriptor:
        return self._descriptor

    def compress(self, inp: CompressInput) -> CompressOutput:
        content = inp.content
        ratio = inp.budget.get("target_ratio") if isinstance(inp.budget, dict) else None
        options = dict(inp.config) if isinstance(inp.config, dict) else {}
        try:
            r = kompress.compress(
                content, mode=self.mode, pruner=self.pruner, target_ratio=ratio, **options
            )
        except kompress.InputError as e:
            # empty, oversized or otherwise unacceptable: Headroom keeps the block as it is
            return self._passthrough(content, [f"kompress: {e.kind}: {e}"])
        if not r.evictions or r.text == content:
            return self._passthrough(content, [])
        if r.stats["tokens_out"] >= r.stats["tokens_in"]:
            # the markers cost more than the lines they replace: not worth sending
            return self._passthrough(content, ["kompress: no token saving"])
        recoverable = {e["handle"]: e.get("decoded", e["original"]) for e in r.evictions if e["handle"]}
        whole = _native.content_hash(content)
        recoverable[whole] = content
        markers = [f"ref={h}" for h in r.markers] + [f"kompress:{whole}"]
        if self.store is not None:
            self.store.put(r, tenant="headroom", session="headroom")
        return CompressOutput(
            content=r.text,
            tokens_before=r.stats["tokens_in"],
            tokens_after=r.stats["tokens_out"],
            lossless=True,
            markers=markers,
            recoverable=recoverable,
            warnings=[],
            compressed=True,
        )

    @staticmethod
    def _passthrough(content: str, warnings: list[str]) -> CompressOutput:
        n = len(content.split())
        return CompressOutput(
            content=content,
            tokens_before=n,
            tokens_after=n,
            lossless=True,
            warnings=warnings,
            compressed=False,
        )
