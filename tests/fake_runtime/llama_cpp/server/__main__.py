"""Fake `python -m llama_cpp.server`: same flags, answers GET /v1/models. FAKE_LLAMA_DIE=1 makes
it print an error and exit, like a server that cannot load its model."""

import argparse
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

parser = argparse.ArgumentParser()
for flag in ("--model", "--model_alias", "--host", "--n_ctx", "--n_threads", "--n_threads_batch"):
    parser.add_argument(flag)
parser.add_argument("--port", type=int)
args = parser.parse_args()
print(f"fake server: model={args.model} threads={args.n_threads}", flush=True)
if os.environ.get("FAKE_LLAMA_DIE"):
    print("error: failed to load model (fake)", flush=True)
    sys.exit(1)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        body = json.dumps({"object": "list", "data": [{"id": args.model_alias}]}).encode()
        self.send_response(200 if self.path == "/v1/models" else 404)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


HTTPServer((args.host, args.port), Handler).serve_forever()
