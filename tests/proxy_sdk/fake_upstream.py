"""A fake OpenAI/Anthropic upstream on 127.0.0.1, served over HTTPS when given a certificate:
records each request (path, headers, body) as one JSON line in $FAKE_LOG and answers with a
minimal valid completion, as an SSE stream when the request asks for one.
Usage: fake_upstream.py PORT [CERT.pem KEY.pem]"""
import json
import os
import ssl
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG = os.environ["FAKE_LOG"]
SCHEME = "http"


def openai_stream(model):
    chunks = [
        {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": model,
         "choices": [{"index": 0, "delta": {"role": "assistant", "content": "fix"}, "finish_reason": None}]},
        {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": model,
         "choices": [{"index": 0, "delta": {"content": "ed"}, "finish_reason": "stop"}]},
    ]
    return "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"


def anthropic_stream(model):
    events = [
        ("message_start", {"type": "message_start", "message": {
            "id": "msg_1", "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 10, "output_tokens": 0}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "text", "text": ""}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "text_delta", "text": "fix"}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "text_delta", "text": "ed"}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                           "usage": {"output_tokens": 1}}),
        ("message_stop", {"type": "message_stop"}),
    ]
    return "".join(f"event: {name}\ndata: {json.dumps(e)}\n\n" for name, e in events)


def responses_answer(model):
    return {"id": "resp_1", "object": "response", "created_at": 1, "status": "completed", "model": model,
            "output": [{"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
                        "content": [{"type": "output_text", "text": "fixed", "annotations": []}]}],
            "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
            "usage": {"input_tokens": 10, "output_tokens": 1, "total_tokens": 11,
                      "input_tokens_details": {"cached_tokens": 0},
                      "output_tokens_details": {"reasoning_tokens": 0}}}


def responses_stream(model):
    done = responses_answer(model)
    started = dict(done, status="in_progress", output=[])
    events = [
        {"type": "response.created", "sequence_number": 0, "response": started},
        {"type": "response.output_text.delta", "sequence_number": 1, "item_id": "msg_1",
         "output_index": 0, "content_index": 0, "delta": "fix", "logprobs": []},
        {"type": "response.output_text.delta", "sequence_number": 2, "item_id": "msg_1",
         "output_index": 0, "content_index": 0, "delta": "ed", "logprobs": []},
        {"type": "response.completed", "sequence_number": 3, "response": done},
    ]
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, ctype, data):
        self.send_response(200)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        with open(LOG, "a") as f:
            f.write(json.dumps({"scheme": SCHEME, "path": self.path, "headers": dict(self.headers.items()), "body": body.decode()}) + "\n")
        req = json.loads(body)
        anthropic = self.path.startswith("/v1/messages")
        responses = self.path.startswith("/v1/responses")
        if req.get("stream"):
            stream = anthropic_stream if anthropic else responses_stream if responses else openai_stream
            return self.send("text/event-stream", stream(req["model"]).encode())
        if responses:
            resp = responses_answer(req["model"])
        elif anthropic:
            resp = {"id": "msg_1", "type": "message", "role": "assistant", "model": req["model"],
                    "content": [{"type": "text", "text": "fixed"}], "stop_reason": "end_turn",
                    "stop_sequence": None, "usage": {"input_tokens": 10, "output_tokens": 1}}
        else:
            resp = {"id": "c1", "object": "chat.completion", "created": 1, "model": req["model"],
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": "fixed"}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11}}
        self.send("application/json", json.dumps(resp).encode())


if __name__ == "__main__":
    srv = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    if len(sys.argv) > 3:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[2], sys.argv[3])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        SCHEME = "https"
    print(f"fake upstream ready ({SCHEME})", flush=True)
    srv.serve_forever()
