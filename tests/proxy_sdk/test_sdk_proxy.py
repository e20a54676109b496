"""The real `openai` and `anthropic` SDKs pointed at `kompress serve` (proxy mode) with a fake
upstream: tool results arrive compressed, everything else and the auth headers unchanged,
streaming works. Needs KOMPRESS_URL and FAKE_LOG (scripts/serve/sdk_e2e.sh sets both)."""
import json
import os

import anthropic
import openai
import pytest

URL = os.environ.get("KOMPRESS_URL")
LOG = os.environ.get("FAKE_LOG")
pytestmark = pytest.mark.skipif(not URL, reason="KOMPRESS_URL not set: run scripts/serve/sdk_e2e.sh")


def tool_log(seed):
    """A failing integration-test run: an error block above a 200-frame test-harness tail that
    the default evicts behind a marker (a service log keeps every line now: logs fold)."""
    lines = [
        f"Running integration suite of db-pool-{seed} against 10.0.3.7:5432",
        f"ERROR db-pool-{seed}: connection refused (os error 111) at 10.0.3.7:5432",
        "java.net.ConnectException: Connection refused",
        "\tat com.acme.pool.Pool.acquire(Pool.java:88)",
        f"\tat com.acme.pool.PoolIT.test{seed}(PoolIT.java:41)",
    ]
    harness = [
        "sun.reflect.NativeMethodAccessorImpl.invoke",
        "java.lang.reflect.Method.invoke",
        "org.junit.runners.ParentRunner.runLeaf",
        "org.apache.maven.surefire.junit4.JUnit4Provider.execute",
    ]
    for i in range(200):
        m = harness[i % len(harness)]
        lines.append(f"\tat {m}({m.rsplit('.', 2)[1]}.java:{40 + i}) run={seed}")
    lines.append(f"Tests run: 12, Failures: 1, Errors: 0 (run {seed})")
    return "\n".join(lines) + "\n"


def last_request():
    with open(LOG) as f:
        got = json.loads(f.readlines()[-1])
    got["headers"] = {k.lower(): v for k, v in got["headers"].items()}  # HTTP names are case-insensitive
    return got


def openai_messages():
    return [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "why did the job fail?"},
        {"role": "assistant", "content": None,
         "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "logs", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": tool_log(1)},
    ]


def test_openai_sdk_request_has_compressed_tool_result_and_unchanged_auth():
    client = openai.OpenAI(base_url=URL + "/v1", api_key="sk-sdk-test")
    msgs = openai_messages()
    r = client.chat.completions.create(model="gpt-x", messages=msgs)
    assert r.choices[0].message.content == "fixed"
    got = last_request()
    assert got["headers"].get("authorization") == "Bearer sk-sdk-test"
    body = json.loads(got["body"])
    assert body["messages"][:3] == msgs[:3]
    tool = body["messages"][3]["content"]
    assert len(tool) < len(msgs[3]["content"])
    assert "ERROR db-pool-1: connection refused" in tool


def test_openai_sdk_streaming_passes_through():
    client = openai.OpenAI(base_url=URL + "/v1", api_key="sk-sdk-test")
    stream = client.chat.completions.create(model="gpt-x", messages=openai_messages(), stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in stream)
    assert text == "fixed"


def test_anthropic_sdk_request_has_compressed_tool_result_and_unchanged_key():
    client = anthropic.Anthropic(base_url=URL, api_key="ak-sdk-test")
    msgs = [
        {"role": "user", "content": "check the logs"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "logs", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": tool_log(2)},
                                     {"type": "text", "text": "what broke?"}]},
    ]
    r = client.messages.create(model="claude-x", max_tokens=32, system="Be brief.", messages=msgs)
    assert r.content[0].text == "fixed"
    got = last_request()
    h = got["headers"]
    assert h.get("x-api-key") == "ak-sdk-test" or h.get("authorization") == "Bearer ak-sdk-test", h
    body = json.loads(got["body"])
    assert body["system"] == "Be brief."
    assert body["messages"][:2] == msgs[:2]
    assert body["messages"][2]["content"][1] == msgs[2]["content"][1]
    assert len(body["messages"][2]["content"][0]["content"]) < len(tool_log(2))
