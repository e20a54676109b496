"""The exceptions kompress raises. Each carries ``kind``: a short stable name of what went
wrong (``malformed_json``, ``oversized``, ``invalid_config``, ``restore``, ...), the same names
the CLI, the HTTP service and the Kafka dead-letter records use."""

from __future__ import annotations


class KompressError(Exception):
    """Base class of every kompress error."""

    def __init__(self, message: str, kind: str = "internal") -> None:
        super().__init__(message)
        self.kind = kind


class InputError(KompressError, ValueError):
    """The input cannot be compressed as given: invalid UTF-8, malformed JSON, a transcript
    that does not match its schema, empty or oversized text. Retrying cannot help."""


class ConfigError(KompressError, ValueError):
    """A setting is invalid; the message names the field."""


class RestoreError(KompressError):
    """The evictions do not fit the compressed text (wrong text, missing or overlapping
    records), so the original cannot be rebuilt."""


class PrunerError(KompressError, RuntimeError):
    """The pruner failed, or is not in this build (``learned`` needs the learned feature)."""


class BusyError(KompressError, RuntimeError):
    """The pipeline is saturated; retry later."""


class StoreError(KompressError, OSError):
    """The memory store failed (SQLite)."""


__all__ = [
    "KompressError",
    "InputError",
    "ConfigError",
    "RestoreError",
    "PrunerError",
    "BusyError",
    "StoreError",
]
