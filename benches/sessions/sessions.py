"""Recorded agent sessions: loading, conversion to tool-call requests, reused tokens.

A session is a public mini-swe-agent trajectory (`*.traj.json.gz` under data/sessions/):
a system prompt, the task, then steps of (assistant message, observation). Each assistant
message holds one ```bash block, so a step becomes a tool call `bash` with that command,
and its observation the tool's result. Request `t` is what the client sends to get step
`t`'s answer: the system prompt, the task and steps `0..t-1`, whole, as clients do.
"""

from __future__ import annotations

import glob
import gzip
import json
import os
import re
from dataclasses import dataclass, field

BASH = re.compile(r"```bash[ \t]*\n(.*?)\n```", re.S)

BASH_TOOL_OPENAI = {
    "type": "function",
    "function": {
        "name": "bash",
        "description": "Run one bash command in the repository and return its output.",
        "parameters": {
            "type": "object",
            "properties": {"command": {"type": "string"}},
            "required": ["command"],
        },
    },
}
BASH_TOOL_ANTHROPIC = {
    "name": "bash",
    "description": "Run one bash command in the repository and return its output.",
    "input_schema": {
        "type": "object",
        "properties": {"command": {"type": "string"}},
        "required": ["command"],
    },
}


@dataclass
class Step:
    raw: str  # the assistant message as recorded
    thought: str  # its text before the bash block
    command: str | None  # the one bash command, if the message had exactly one
    obs: str | None  # the next user message (the observation), if any

    @property
    def is_call(self) -> bool:
        return self.command is not None and self.obs is not None


@dataclass
class Session:
    name: str
    system: str
    task: str
    steps: list[Step]
    submission: str = ""
    reused: dict[int, set[str]] = field(default_factory=dict)  # step -> its reused tokens
    first_use: dict[tuple[int, str], int] = field(default_factory=dict)  # (k, tok) -> step

    @property
    def requests(self) -> int:
        return len(self.steps)


def load(directory: str) -> list[Session]:
    out = []
    for path in sorted(glob.glob(os.path.join(directory, "*.traj.json.gz"))):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            doc = json.load(f)
        name = os.path.basename(path)[: -len(".traj.json.gz")]
        out.append(convert(name, doc))
    return out


def _text(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b.get("text", "") for b in content if isinstance(b, dict))
    return ""


def convert(name: str, doc: dict) -> Session:
    msgs = doc["messages"]
    if len(msgs) < 3 or msgs[0]["role"] != "system" or msgs[1]["role"] != "user":
        raise ValueError(f"{name}: not a mini-swe-agent trajectory (system, task, steps)")
    steps: list[Step] = []
    i = 2
    while i < len(msgs):
        m = msgs[i]
        if m["role"] != "assistant":  # two user messages in a row: fold into the last obs
            if steps and steps[-1].obs is not None:
                steps[-1].obs += "\n" + _text(m["content"])
            i += 1
            continue
        raw = _text(m["content"])
        blocks = list(BASH.finditer(raw))
        cmd = blocks[0].group(1) if len(blocks) == 1 else None
        thought = raw[: blocks[0].start()].strip() if cmd is not None else raw
        obs = None
        if i + 1 < len(msgs) and msgs[i + 1]["role"] == "user":
            obs = _text(msgs[i + 1]["content"])
            i += 1
        steps.append(Step(raw, thought, cmd, obs))
        i += 1
    s = Session(name, _text(msgs[0]["content"]), _text(msgs[1]["content"]), steps)
    s.submission = doc.get("info", {}).get("submission") or ""
    _reused(s)
    return s


# Word tokens an agent copies: identifiers of 4+ characters (or with a digit or underscore)
# and numbers of 2+ digits (line numbers, sizes, ids).
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+")


# Words an agent writes from general knowledge, not from what it read: Python and shell
# keywords and the most common builtins.
COMMON = set(
    "False None True and assert async await break class continue def elif else except finally "
    "for from global import lambda nonlocal not pass raise return self while with yield print "
    "open list dict tuple bool float str int len range type object super isinstance getattr "
    "setattr hasattr Exception ValueError TypeError KeyError AttributeError echo then done "
    "grep head tail python python3 test tests true false null main name args kwargs".split()
)


def words(text: str) -> set[str]:
    out = set()
    for w in WORD.findall(text):
        if w in COMMON:
            continue
        if w[0].isdigit():
            if len(w) >= 2:
                out.add(w)
        elif len(w) >= 4 or any(c.isdigit() or c == "_" for c in w):
            out.add(w)
    return out


def _reused(s: Session) -> None:
    """The tokens of each observation that the agent reused later: found in a later command
    or in the final patch, and not already known from the system prompt, the task or the
    agent's own messages up to that step (so the observation is where it learnt them)."""
    known = words(s.system) | words(s.task)
    later_cmds = [words(st.command or "") for st in s.steps]
    patch = words(s.submission)
    for k, st in enumerate(s.steps):
        known |= words(st.raw)
        if not st.is_call or k + 1 >= s.requests:  # the last step's result is never sent
            continue
        toks = words(st.obs) - known
        reused = set()
        for tok in toks:
            for j in range(k + 1, len(s.steps)):
                if tok in later_cmds[j]:
                    s.first_use[(k, tok)] = j
                    reused.add(tok)
                    break
            else:
                if tok in patch:
                    s.first_use[(k, tok)] = len(s.steps) - 1
                    reused.add(tok)
        s.reused[k] = reused
        known |= words(st.obs)


def openai_request(s: Session, t: int, obs=None) -> dict:
    """Request `t` in Chat Completions form; `obs(k, text)` may replace an observation."""
    m: list[dict] = [{"role": "system", "content": s.system}, {"role": "user", "content": s.task}]
    for k in range(t):
        st = s.steps[k]
        o = st.obs if obs is None or st.obs is None else obs(k, st.obs)
        if st.is_call:
            call = {
                "id": f"call_{k}",
                "type": "function",
                "function": {"name": "bash", "arguments": json.dumps({"command": st.command})},
            }
            m.append({"role": "assistant", "content": st.thought or None, "tool_calls": [call]})
            m.append({"role": "tool", "tool_call_id": f"call_{k}", "content": o})
        else:
            m.append({"role": "assistant", "content": st.raw})
            if o is not None:
                m.append({"role": "user", "content": o})
    return {"model": "gpt-4o", "tools": [BASH_TOOL_OPENAI], "messages": m}


def anthropic_request(s: Session, t: int, obs=None) -> dict:
    """Request `t` in Messages form (system apart, tool_use / tool_result blocks)."""
    m: list[dict] = [{"role": "user", "content": s.task}]
    for k in range(t):
        st = s.steps[k]
        o = st.obs if obs is None or st.obs is None else obs(k, st.obs)
        if st.is_call:
            blocks = [{"type": "text", "text": st.thought}] if st.thought else []
            blocks.append(
                {"type": "tool_use", "id": f"toolu_{k}", "name": "bash", "input": {"command": st.command}}
            )
            m.append({"role": "assistant", "content": blocks})
            m.append(
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": f"toolu_{k}", "content": o}]}
            )
        else:
            m.append({"role": "assistant", "content": [{"type": "text", "text": st.raw}]})
            if o is not None:
                m.append({"role": "user", "content": [{"type": "text", "text": o}]})
    return {
        "model": "claude-sonnet-4-5",
        "max_tokens": 4096,
        "system": s.system,
        "tools": [BASH_TOOL_ANTHROPIC],
        "messages": m,
    }


def observation_in(body: dict, fmt: str, k: int) -> str | None:
    """Observation `k` as a request carries it (after any compression), or None if absent."""
    for m in body.get("messages", []):
        if fmt == "openai":
            if m.get("role") == "tool" and m.get("tool_call_id") == f"call_{k}":
                return _text(m.get("content"))
        elif isinstance(m.get("content"), list):
            for b in m["content"]:
                if isinstance(b, dict) and b.get("type") == "tool_result" and b.get("tool_use_id") == f"toolu_{k}":
                    return _text(b.get("content"))
    return None


if __name__ == "__main__":  # python3 benches/sessions/sessions.py --check [DIR]
    import sys

    d = next((a for a in sys.argv[1:] if not a.startswith("-")), "data/sessions")
    sess = load(d)
    for s in sess:
        calls = sum(st.is_call for st in s.steps)
        print(f"{s.name}: {s.requests} requests, {calls} tool calls, "
              f"{sum(len(v) for v in s.reused.values())} reused tokens")
    print(f"{len(sess)} sessions OK")


def tool_results(body: dict, fmt: str) -> list[str]:
    """Every tool result of a request, in order (the proxy's "tool result N" counts these)."""
    out = []
    for m in body.get("messages", []):
        if fmt == "openai":
            if m.get("role") == "tool":
                out.append(_text(m.get("content")))
        elif isinstance(m.get("content"), list):
            for b in m["content"]:
                if isinstance(b, dict) and b.get("type") == "tool_result":
                    out.append(_text(b.get("content")))
    return out
