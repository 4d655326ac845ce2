"""The live server as a child process, for tests that kill it with SIGKILL
(tests/e2e/conftest.py's LiveServer with process=True):
`python -m tests.e2e.serve PORT CONFIG_JSON`."""

from __future__ import annotations

import json
import sys

from werkzeug.serving import make_server

from app import create_app

if __name__ == "__main__":
    port, config = int(sys.argv[1]), json.loads(sys.argv[2])
    make_server("127.0.0.1", port, create_app(config), threaded=True).serve_forever()
