"""A stand-in service process for supervisor tests: serves /healthz and /readyz on TP_HTTP_PORT.

FAKE_READY_AFTER (seconds) delays readiness, FAKE_EXIT_AFTER makes it exit with code 3,
FAKE_IGNORE_SIGTERM makes it ignore SIGTERM (so only SIGKILL stops it).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STARTED = time.monotonic()
READY_AFTER = float(os.environ.get("FAKE_READY_AFTER", "0"))


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        ready = time.monotonic() - STARTED >= READY_AFTER
        ok = self.path == "/healthz" or (self.path == "/readyz" and ready)
        body = json.dumps({"status": "ok" if ok else "starting", "pid": os.getpid()}).encode()
        self.send_response(200 if ok else 503)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    if os.environ.get("FAKE_IGNORE_SIGTERM"):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    else:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if exit_after := os.environ.get("FAKE_EXIT_AFTER"):
        threading.Timer(float(exit_after), lambda: os._exit(3)).start()
    server = ThreadingHTTPServer((os.environ["TP_HTTP_HOST"], int(os.environ["TP_HTTP_PORT"])), Handler)
    instance = os.environ.get("TP_INSTANCE_ID", "fake")
    print(json.dumps({"event": "listening", "instance": instance, "pid": os.getpid()}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
