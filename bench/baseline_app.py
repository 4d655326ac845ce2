"""The baseline for write benchmarks: bare Flask inserting one row into SQLite per POST.

Serve it with gunicorn on 127.0.0.1 (`BASELINE_DB=/tmp/x.db gunicorn bench.baseline_app:app`).
Same SQLite settings as Nära (WAL, synchronous=NORMAL), one connection per worker thread:
the fastest honest "insert one row over HTTP" this machine does.
"""

from __future__ import annotations

import os
import sqlite3
import threading

from flask import Flask, request

app = Flask(__name__)
_local = threading.local()


def _db() -> sqlite3.Connection:
    con = getattr(_local, "con", None)
    if con is None:
        con = sqlite3.connect(os.environ.get("BASELINE_DB", "/tmp/nara-baseline.db"))
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute("CREATE TABLE IF NOT EXISTS item (id INTEGER PRIMARY KEY, body TEXT, "
                    "at TEXT DEFAULT CURRENT_TIMESTAMP)")
        _local.con = con
    return con


@app.post("/insert")
def insert():
    con = _db()
    con.execute("INSERT INTO item (body) VALUES (?)", (request.form.get("body", ""),))
    con.commit()
    return "ok", 201
