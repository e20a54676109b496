"""The real `openai` and `anthropic` SDKs pointed at `kompress serve` (proxy mode, default
build) with a fake upstream it reaches over HTTPS: tool results arrive compressed, everything
else and the auth headers unchanged, both APIs stream, a tool named in `proxy.skip_tools` is
left alone, and the tenant/session headers a client sets scope what `/v1/retrieve` returns.
Needs KOMPRESS_URL and FAKE_LOG (scripts/serve/sdk_e2e.sh sets both, and
FAKE_UPSTREAM_SCHEME=https)."""
import json
import os
import re
import urllib.error
import urllib.request

import anthropic
import openai
import pytest

URL = os.environ.get("KOMPRESS_URL")
LOG = os.environ.get("FAKE_LOG")
SCHEME = os.environ.get("FAKE_UPSTREAM_SCHEME")
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
    if SCHEME:
        assert got["scheme"] == SCHEME, "the upstream was not reached over " + SCHEME
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


def test_anthropic_sdk_streaming_passes_through():
    client = anthropic.Anthropic(base_url=URL, api_key="ak-sdk-test")
    msgs = [
        {"role": "user", "content": "check the logs"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "logs", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": tool_log(3)}]},
    ]
    with client.messages.stream(model="claude-x", max_tokens=32, messages=msgs) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "fixed"
    assert final.stop_reason == "end_turn"
    body = json.loads(last_request()["body"])
    assert body["stream"] is True
    assert len(body["messages"][2]["content"][0]["content"]) < len(tool_log(3))


def test_a_skipped_tools_result_reaches_the_upstream_byte_for_byte():
    """serve.toml names `read_secret_file` in proxy.skip_tools: its result is not compressed,
    while a result of another tool in the same request is."""
    client = openai.OpenAI(base_url=URL + "/v1", api_key="sk-sdk-test")
    msgs = [
        {"role": "user", "content": "compare the two"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "k1", "type": "function", "function": {"name": "read_secret_file", "arguments": "{}"}},
            {"id": "k2", "type": "function", "function": {"name": "logs", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "k1", "content": tool_log(4)},
        {"role": "tool", "tool_call_id": "k2", "content": tool_log(5)},
    ]
    client.chat.completions.create(model="gpt-x", messages=msgs)
    body = json.loads(last_request()["body"])
    assert body["messages"][2]["content"] == tool_log(4)
    assert len(body["messages"][3]["content"]) < len(tool_log(5))


def retrieve(tenant, session, handle):
    req = urllib.request.Request(
        URL + "/v1/retrieve",
        data=json.dumps({"tenant": tenant, "session": session, "handle": handle}).encode(),
        headers={"content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, None


def test_tenant_and_session_headers_set_on_the_client_scope_the_evicted_text():
    """A client identifies itself with x-kompress-tenant / x-kompress-session (the SDKs'
    default_headers; Claude Code: ANTHROPIC_CUSTOM_HEADERS): the marker's handle resolves for
    that tenant and session only."""
    headers = {"x-kompress-tenant": "team-sdk", "x-kompress-session": "run-6"}
    client = openai.OpenAI(base_url=URL + "/v1", api_key="sk-sdk-test", default_headers=headers)
    msgs = [
        {"role": "user", "content": "why?"},
        {"role": "assistant", "content": None,
         "tool_calls": [{"id": "c6", "type": "function", "function": {"name": "logs", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c6", "content": tool_log(6)},
    ]
    client.chat.completions.create(model="gpt-x", messages=msgs)
    got = last_request()
    assert "x-kompress-tenant" not in got["headers"], "kompress headers stay in the proxy"
    body = json.loads(got["body"])
    names = [t["function"]["name"] for t in body.get("tools", [])]
    assert "kompress_retrieve" in names, "a memory store is set: the proxy offers the tool"
    handles = re.findall(r"ref=([0-9a-f]+)", body["messages"][2]["content"])
    assert handles, body["messages"][2]["content"][:400]
    status, found = retrieve("team-sdk", "run-6", handles[0])
    assert status == 200
    assert found["text"] and found["text"] in tool_log(6)
    assert retrieve("team-other", "run-6", handles[0])[0] == 404


def responses_input(seed):
    """What Codex CLI sends: a user message, a shell call and its output."""
    return [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "why did the job fail?"}]},
        {"type": "function_call", "call_id": f"call_{seed}", "name": "shell", "arguments": '{"command":["mvn","verify"]}'},
        {"type": "function_call_output", "call_id": f"call_{seed}", "output": tool_log(seed)},
    ]


def test_openai_sdk_responses_api_has_compressed_tool_output():
    """The Responses API (Codex CLI's wire API): function_call_output is compressed, the
    instructions and the other items are unchanged."""
    client = openai.OpenAI(base_url=URL + "/v1", api_key="sk-sdk-test")
    items = responses_input(7)
    r = client.responses.create(model="gpt-x", instructions="You are a coding agent.", input=items)
    assert r.output_text == "fixed"
    got = last_request()
    assert got["path"] == "/v1/responses"
    assert got["headers"].get("authorization") == "Bearer sk-sdk-test"
    body = json.loads(got["body"])
    assert body["instructions"] == "You are a coding agent."
    assert body["input"][:2] == items[:2]
    out = body["input"][2]["output"]
    assert len(out) < len(tool_log(7))
    assert "ERROR db-pool-7: connection refused" in out


def test_openai_sdk_responses_streaming_passes_through():
    client = openai.OpenAI(base_url=URL + "/v1", api_key="sk-sdk-test")
    stream = client.responses.create(model="gpt-x", input=responses_input(8), stream=True)
    kinds, text = [], ""
    for event in stream:
        kinds.append(event.type)
        if event.type == "response.output_text.delta":
            text += event.delta
    assert text == "fixed"
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    body = json.loads(last_request()["body"])
    assert body["stream"] is True
    assert len(body["input"][2]["output"]) < len(tool_log(8))
