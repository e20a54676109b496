"""A fake OpenAI/Anthropic upstream on 127.0.0.1: records each request (path, headers, body)
as one JSON line in $FAKE_LOG and answers with a minimal valid completion (SSE when asked)."""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG = os.environ["FAKE_LOG"]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        with open(LOG, "a") as f:
            f.write(json.dumps({"path": self.path, "headers": dict(self.headers.items()), "body": body.decode()}) + "\n")
        req = json.loads(body)
        if self.path.startswith("/v1/messages"):
            resp = {"id": "msg_1", "type": "message", "role": "assistant", "model": req["model"],
                    "content": [{"type": "text", "text": "fixed"}], "stop_reason": "end_turn",
                    "stop_sequence": None, "usage": {"input_tokens": 10, "output_tokens": 1}}
        elif req.get("stream"):
            chunks = [
                {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": req["model"],
                 "choices": [{"index": 0, "delta": {"role": "assistant", "content": "fix"}, "finish_reason": None}]},
                {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": req["model"],
                 "choices": [{"index": 0, "delta": {"content": "ed"}, "finish_reason": "stop"}]},
            ]
            data = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data.encode())
            return
        else:
            resp = {"id": "c1", "object": "chat.completion", "created": 1, "model": req["model"],
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": "fixed"}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11}}
        data = json.dumps(resp).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


if __name__ == "__main__":
    srv = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    print("fake upstream ready", flush=True)
    srv.serve_forever()
