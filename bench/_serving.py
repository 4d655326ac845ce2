"""Serving an app under gunicorn on 127.0.0.1 for the HTTP benchmarks (one place)."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(target: str, env: dict, workers: int = 1, threads: int | None = None,
          ) -> tuple[subprocess.Popen, int]:
    """Start gunicorn on a free port and wait until it accepts connections.

    `threads` None: the sync worker (a connection per request); a number: gthread workers
    with that many threads (keep-alive, as wrk uses)."""
    port = free_port()
    worker = ["-k", "gthread", "--threads", str(threads)] if threads else []
    process = subprocess.Popen(
        [GUNICORN, "-b", f"127.0.0.1:{port}", "-w", str(workers), *worker,
         "--log-level", "warning", target],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # Ready when a worker answers (any status), not when the master accepts: a worker
    # still importing the app would make a benchmark's first request time out.
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        try:
            con = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            con.request("GET", "/")
            con.getresponse().read()
            con.close()
            return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{target} did not start: {process.stderr.read().decode()[-2000:]}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
