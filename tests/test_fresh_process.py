"""What a fresh app process (a gunicorn worker) does first must work without anything
having warmed it up: the test suite's own process has always run queries before."""

from __future__ import annotations

import subprocess
import sys

from app import ROOT

FIRST_THING = """
from datetime import datetime, timezone
from models.access import User
from models.core.db import detached_row
now = datetime.now(timezone.utc)
user = detached_row(User, {"id": 7, "username": "fia", "display_name": "Fia",
                           "password_hash": "x", "role": "staff", "active": True,
                           "created_at": now, "last_login_at": None})
print(user.id, user.username)
"""


def test_a_row_made_into_an_object_before_any_query_in_a_new_process():
    """The session's user is made from its row on a worker's first request (issue 16's
    benchmark met 500s from fresh gunicorn workers: the ORM was not set up yet)."""
    done = subprocess.run([sys.executable, "-c", FIRST_THING], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["7", "fia"]
