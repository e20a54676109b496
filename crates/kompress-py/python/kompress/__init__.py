"""kompress: lossless-by-construction context compression for LLM agents, in-process.

    import kompress
    r = kompress.compress(tool_output)            # str in, CompressResult out
    r.text                                        # what the model reads
    r.restore() == tool_output                    # byte-exact, from r.evictions
    kompress.compress(messages)                   # OpenAI / Anthropic messages (list or dict)
    store = kompress.Store("memory.db"); store.put(r)
    store.recall("ref=ab12cd34")                  # the lines behind a marker

The same pipeline as the ``kompress`` CLI runs inside this process (no server): a pipeline
per pruner kind starts on first use and stays loaded. Compression releases the GIL. Create
pipelines after ``os.fork()``, not before (their threads do not survive a fork).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Literal, TypedDict, Union

from . import _native, errors
from .errors import (
    BusyError,
    ConfigError,
    InputError,
    KompressError,
    PrunerError,
    RestoreError,
    StoreError,
)

__version__: str = _native.__version__
#: True when this build carries the learned pruner (libtorch); else ``learned`` and ``blend``
#: raise PrunerError and ``auto`` is the statistical pruner.
LEARNED: bool = _native.LEARNED

Mode = Literal["safe", "ultra"]
PrunerName = Literal["auto", "stat", "learned", "blend"]
Format = Literal["text", "openai", "anthropic", "auto"]
Messages = Union[list, dict]


class Eviction(TypedDict, total=False):
    """One removed or rewritten byte range of the input (the CLI's ``--evictions`` JSONL)."""

    transcript_id: str
    message_index: int
    start: int
    end: int
    original: str
    replacement: str
    decoded: str
    handle: str
    hash: str
    kind: str


@dataclass(frozen=True)
class CompressResult:
    """What :func:`compress` returns."""

    #: The compressed text; for a transcript, the compressed transcript's JSON.
    text: str
    #: For a transcript input, the compressed messages in the input's shape; else None.
    messages: Messages | None
    #: Every byte range that was removed or rewritten, with its original bytes.
    evictions: list[Eviction]
    #: bytes_in/out, tokens_in/out (word tokens), segments, lines_evicted, floor_hits, micros_total.
    stats: dict[str, Any]
    transcript_id: str
    #: The pruner that ran (``stat``, ``routed(stat…)``, …).
    pruner: str

    @property
    def markers(self) -> list[str]:
        """The retrieval handles shown in the output (``ref=…``), in order."""
        return [e["handle"] for e in self.evictions if e.get("handle")]

    def restore(self) -> str | Messages:
        """The original input, byte-exact (for messages: the messages, equal to the input)."""
        original = restore(self.text, self.evictions)
        return json.loads(original) if self.messages is not None else original


def _config_json(mode: str, target_ratio: float | None, options: dict[str, Any]) -> str:
    cfg: dict[str, Any] = {"mode": mode}
    if target_ratio is not None:
        cfg["target_ratio"] = target_ratio
    cfg.update(options)
    try:
        return json.dumps(cfg)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"invalid configuration: {e}", "invalid_config") from e


def compress(
    data: str | bytes | Messages,
    *,
    mode: Mode = "safe",
    pruner: PrunerName = "auto",
    format: Format | None = None,
    target_ratio: float | None = None,
    transcript_id: str | None = None,
    **options: Any,
) -> CompressResult:
    """Compresses one tool output (``str``/``bytes``) or a transcript (OpenAI or Anthropic
    messages, as a list or dict, or their JSON with ``format=``).

    ``mode``: ``safe`` (whole lines only) or ``ultra`` (also cuts inside kept lines).
    ``pruner``: ``auto`` (the default of this build), ``stat``, ``learned``, ``blend``.
    ``target_ratio``: share of tokens to keep, in (0, 1]; default: the gate's threshold.
    ``options``: other ``[compression]`` settings by name (``fold``, ``markers``,
    ``protect_share``, ``min_bytes``, ``max_bytes``, ``roles``, ``strip_ansi``, ...); an unknown
    name raises ConfigError naming it.

    Raises InputError (bad bytes or JSON, empty or oversized input), ConfigError, PrunerError.
    """
    config = _config_json(mode, target_ratio, options)
    messages_in = isinstance(data, (list, dict))
    if messages_in:
        payload: str | bytes = json.dumps(data, ensure_ascii=False)
        fmt = format or "auto"
        if fmt == "text":
            raise ConfigError(
                "invalid configuration: field `format`: messages need a JSON format "
                "(auto, openai or anthropic), not text",
                "invalid_config",
            )
    elif isinstance(data, (str, bytes)):
        payload, fmt = data, format or "text"
    else:
        raise InputError(
            f"expected str, bytes or messages (list or dict), got {type(data).__name__}",
            "schema",
        )
    out, ev, stats, tid, name = _native.compress(payload, fmt, pruner, config, transcript_id)
    return CompressResult(
        text=out,
        messages=json.loads(out) if messages_in else None,
        evictions=json.loads(ev),
        stats=json.loads(stats),
        transcript_id=tid,
        pruner=name,
    )


def restore(compressed: str | CompressResult, evictions: list[Eviction] | None = None) -> str:
    """The original text from a compressed text and its evictions, byte-exact."""
    if isinstance(compressed, CompressResult):
        compressed, evictions = compressed.text, compressed.evictions
    if evictions is None:
        raise RestoreError("restore needs the evictions (or a CompressResult)", "restore")
    return _native.restore(compressed, json.dumps(evictions, ensure_ascii=False))


def default_config() -> dict[str, Any]:
    """The ``[compression]`` defaults (the settings ``compress(**options)`` overrides)."""
    return json.loads(_native.default_config_json())


class Store:
    """The embedded SQLite memory store (the file ``kompress compress --store`` and
    ``kompress recall`` use): evictions stored here stay retrievable by their handle."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._inner = _native.Store(os.fspath(path))

    @property
    def path(self) -> str:
        return self._inner.path

    def put(
        self,
        evictions: CompressResult | list[Eviction],
        tenant: str = "default",
        session: str = "python",
    ) -> int:
        """Stores the evictions; returns how many were new (storing again is a no-op)."""
        if isinstance(evictions, CompressResult):
            evictions = evictions.evictions
        inserted, _present, _scrubbed = self._inner.put(
            json.dumps(evictions, ensure_ascii=False), tenant, session
        )
        return inserted

    def recall(
        self, reference: str, tenant: str = "default", session: str | None = None
    ) -> str | None:
        """The text behind a marker (``ab12cd34``, ``ref=ab12cd34`` or the whole marker)."""
        return self._inner.recall(reference, tenant, session)

    def evictions(self, transcript_id: str, tenant: str = "default") -> list[Eviction]:
        return json.loads(self._inner.evictions(transcript_id, tenant))

    def restore(self, compressed: str, transcript_id: str, tenant: str = "default") -> str:
        """The original of ``compressed``, from the evictions stored for its transcript."""
        return self._inner.restore(compressed, transcript_id, tenant)

    def search(
        self, query: str, tenant: str = "default", limit: int = 10, session: str | None = None
    ) -> list[dict[str, Any]]:
        return json.loads(self._inner.search(query, tenant, limit, session))

    def stats(self) -> dict[str, int]:
        return json.loads(self._inner.stats())

    def __repr__(self) -> str:
        return f"kompress.Store({self.path!r})"


__all__ = [
    "compress",
    "restore",
    "default_config",
    "Store",
    "CompressResult",
    "Eviction",
    "LEARNED",
    *errors.__all__,
]
