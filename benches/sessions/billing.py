"""What a provider bills for a sequence of requests, with prompt caching.

A request is rendered as a list of parts in prompt order (tools, system, one part per message,
tool calls and results included) and each part is counted in o200k tokens. The provider's
cache holds the previous request of the session (the client marks its end, as Claude Code
does; OpenAI caches automatically). The cached tokens of a request are the longest common
token prefix with the previous one:

- Anthropic: cached tokens are read at 0.1x, every other input token is written at 1.25x.
- OpenAI: cached input at 0.5x, the rest at 1.0x; only prompts of 1024+ tokens are cached,
  in 128-token increments.

A prefix break is a request that does not start with the whole previous request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

PRICES = {
    "anthropic": {"read": 0.1, "write": 1.25, "min": 0, "grain": 1},
    "openai": {"read": 0.5, "write": 1.0, "min": 1024, "grain": 128},
}

_enc = None
_memo: dict[str, list[int]] = {}


def encoding():
    global _enc
    if _enc is None:
        import bpe_openai

        _enc = bpe_openai.get_encoding("o200k_base")
    return _enc


def tokens(text: str) -> list[int]:
    got = _memo.get(text)
    if got is None:
        got = list(encoding().encode(text))
        if len(_memo) > 200_000:
            _memo.clear()
        _memo[text] = got
    return got


def _content(c) -> str:
    if c is None:
        return ""
    if isinstance(c, str):
        return c
    if isinstance(c, list):
        out = []
        for b in c:
            if not isinstance(b, dict):
                continue
            t = b.get("type")
            if t == "text":
                out.append(b.get("text", ""))
            elif t == "tool_use":
                out.append(f"<tool_use {b.get('name')}>" + json.dumps(b.get("input"), sort_keys=True))
            elif t == "tool_result":
                out.append("<tool_result>" + _content(b.get("content")))
            else:
                out.append(json.dumps(b, sort_keys=True))
        return "\n".join(out)
    return json.dumps(c, sort_keys=True)


def parts(body: dict) -> list[str]:
    """The prompt of a request body (OpenAI Chat Completions or Anthropic Messages)."""
    out = []
    if body.get("tools"):
        out.append("<tools>" + json.dumps(body["tools"], sort_keys=True))
    if body.get("system") is not None:
        out.append("<system>" + _content(body["system"]))
    for m in body.get("messages", []):
        s = f"<{m.get('role')}>" + _content(m.get("content"))
        for call in m.get("tool_calls") or []:
            f = call.get("function", {})
            s += f"\n<call {f.get('name')}>{f.get('arguments')}"
        out.append(s)
    return out


@dataclass
class Bill:
    requests: int = 0
    input_tokens: int = 0
    cached_tokens: int = 0
    cost: float = 0.0  # in base input-token units
    prefix_breaks: int = 0

    def add(self, other: "Bill") -> None:
        self.requests += other.requests
        self.input_tokens += other.input_tokens
        self.cached_tokens += other.cached_tokens
        self.cost += other.cost
        self.prefix_breaks += other.prefix_breaks


def _common(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def bill_session(bodies: list[dict], provider: str) -> Bill:
    """Bill one session's requests, in order."""
    p = PRICES[provider]
    bill = Bill()
    prev: list[str] | None = None
    for body in bodies:
        cur = parts(body)
        toks = [tokens(x) for x in cur]
        total = sum(len(t) for t in toks)
        common = 0
        if prev is not None:
            whole = True
            for i, x in enumerate(prev):
                if i < len(cur) and cur[i] == x:
                    common += len(toks[i])
                    continue
                whole = False
                if i < len(cur):
                    common += _common(tokens(x), toks[i])
                break
            if not whole:
                bill.prefix_breaks += 1
        cached = common if common >= p["min"] else 0
        cached -= cached % p["grain"]
        bill.requests += 1
        bill.input_tokens += total
        bill.cached_tokens += cached
        bill.cost += p["read"] * cached + p["write"] * (total - cached)
        prev = cur
    return bill
