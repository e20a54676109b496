"""The arms of the replay: what reaches the provider, request by request, under each policy.

- `none`: the client's requests as they are.
- `mask10`: observation masking (Lindenbauer et al. 2025, "The Complexity Trap"): every
  observation but the last 10 is replaced by a one-line placeholder, on the client.
- `headroom`: headroom-ai's `compress(messages)` on every request (its library entry point,
  offline: its ML model cannot be fetched here, so `kompress_model="disabled"`), with its
  defaults; `headroom-unprotected` the same with `protect_analysis_context=False` (by
  default it leaves tool outputs alone while the agent is analysing them).
- `proxy`, `proxy+history`: the real `kompress serve` between the client and a fake upstream
  that records every body it receives; `proxy` with `[proxy.history] enabled = false`,
  `proxy-no-repeats` also without repeat elision (`[proxy.repeats] enabled = false`).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sessions import Session, anthropic_request, openai_request

MASK_WINDOW = 10
MASKED = re.compile(r"^Old environment output: \(\d+ lines omitted\)$")


def build(s: Session, fmt: str, t: int, obs=None) -> dict:
    return (openai_request if fmt == "openai" else anthropic_request)(s, t, obs)


def arm_none(s: Session, fmt: str) -> list[dict]:
    return [build(s, fmt, t) for t in range(s.requests)]


def arm_mask(s: Session, fmt: str) -> list[dict]:
    out = []
    for t in range(s.requests):

        def obs(k, text, t=t):
            if k >= t - MASK_WINDOW:
                return text
            return f"Old environment output: ({text.count(chr(10)) + 1} lines omitted)"

        out.append(build(s, fmt, t, obs))
    return out


def arm_headroom(s: Session, fmt: str, **options) -> list[dict]:
    """headroom's defaults, or with `options` (CompressConfig fields) on top."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HEADROOM_TELEMETRY", "off")
    import headroom

    out = []
    for t in range(s.requests):
        body = build(s, fmt, t)
        model = "gpt-4o" if fmt == "openai" else "claude-sonnet-4-5-20250929"
        res = headroom.compress(body["messages"], model=model, kompress_model="disabled", **options)
        body["messages"] = res.messages
        out.append(body)
    return out


def free_port() -> int:
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


class Upstream:
    """A fake provider on loopback: records each body, answers a minimal valid response."""

    def __init__(self):
        self.received: list[tuple[str, bytes]] = []
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):
                if self.headers.get("transfer-encoding", "").lower() == "chunked":
                    body = b""
                    while True:
                        n = int(self.rfile.readline().strip(), 16)
                        if n == 0:
                            self.rfile.readline()
                            break
                        body += self.rfile.read(n)
                        self.rfile.readline()
                else:
                    body = self.rfile.read(int(self.headers.get("content-length", 0)))
                outer.received.append((self.path, body))
                if self.path.endswith("/messages"):
                    resp = {"id": "msg_0", "type": "message", "role": "assistant", "model": "m",
                            "content": [{"type": "text", "text": "ok"}], "stop_reason": "end_turn",
                            "usage": {"input_tokens": 1, "output_tokens": 1}}
                else:
                    resp = {"id": "c0", "object": "chat.completion", "created": 0, "model": "m",
                            "choices": [{"index": 0, "finish_reason": "stop",
                                         "message": {"role": "assistant", "content": "ok"}}],
                            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
                data = json.dumps(resp).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


class Proxy:
    """`kompress serve` with a memory store, forwarding to `up`."""

    def __init__(self, binary: str, up: Upstream, history: bool, extra: str = "", repeats: bool = True):
        self.dir = tempfile.TemporaryDirectory()
        self.port = free_port()
        cfg = os.path.join(self.dir.name, "serve.toml")
        with open(cfg, "w") as f:
            f.write(
                f'listen = "127.0.0.1:{self.port}"\nrequest_timeout_ms = 120000\n'
                f'[proxy]\nupstreams = {{ fake = "http://127.0.0.1:{up.port}" }}\n'
                f'openai = "fake"\nanthropic = "fake"\n'
                f"[proxy.history]\nenabled = {'true' if history else 'false'}\n{extra}\n"
                f"[proxy.repeats]\nenabled = {'true' if repeats else 'false'}\n"
                f'[memory.backend]\nkind = "sqlite"\npath = "{self.dir.name}/memory.db"\n'
            )
        self.log = open(os.path.join(self.dir.name, "serve.log"), "w")
        self.proc = subprocess.Popen([binary, "serve", "--config", cfg], stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(1200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=1).read()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        self.close()
        raise RuntimeError("kompress serve did not become ready; see its log")

    def post(self, path: str, body: dict, session: str) -> None:
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=json.dumps(body).encode(),
            headers={"content-type": "application/json", "authorization": "Bearer x", "x-api-key": "x",
                     "anthropic-version": "2023-06-01", "x-kompress-tenant": "bench",
                     "x-kompress-session": session},
        )
        urllib.request.urlopen(req, timeout=300).read()

    def retrieve(self, handle: str, session: str) -> str:
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/v1/retrieve",
            data=json.dumps({"tenant": "bench", "session": session, "handle": handle}).encode(),
            headers={"content-type": "application/json"},
        )
        try:
            return json.loads(urllib.request.urlopen(req, timeout=30).read())["text"]
        except OSError:
            return ""

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        self.dir.cleanup()


def arm_proxy(proxy: Proxy, up: Upstream, s: Session, fmt: str) -> tuple[list[dict], list[float]]:
    """Replay `s` turn by turn through `proxy`; the bodies the upstream got, and ms each."""
    path = "/v1/chat/completions" if fmt == "openai" else "/v1/messages"
    bodies, ms = [], []
    for t in range(s.requests):
        n = len(up.received)
        t0 = time.perf_counter()
        proxy.post(path, build(s, fmt, t), f"{s.name}-{fmt}")
        ms.append((time.perf_counter() - t0) * 1e3)
        if len(up.received) != n + 1:
            raise RuntimeError(f"{s.name} request {t}: upstream got {len(up.received) - n} requests")
        bodies.append(json.loads(up.received[-1][1]))
    return bodies, ms
