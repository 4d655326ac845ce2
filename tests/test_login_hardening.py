"""Sign-in hardening (issue 12): no timing tells whether an account exists or is
deactivated, and the per-account limit counts failed sign-ins only, across processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

from app import ROOT, create_app
from models import access
from models.access import people as access_people
from tests.conftest import PASSWORD, SECRET, CsrfClient

WRONG = "not the password"


# --- the same password work on every failing path ----------------------------------------


class CountingHasher:
    """Argon2, counting its calls: the work a sign-in does, without a stopwatch."""

    def __init__(self, inner):
        self.inner, self.hashed, self.verified = inner, 0, 0

    def hash(self, password):
        self.hashed += 1
        return self.inner.hash(password)

    def verify(self, stored, password):
        self.verified += 1
        return self.inner.verify(stored, password)


@pytest.fixture
def accounts(people, db):
    people.user("anna")
    gone = people.user("bert")
    gone.active = False
    broken = people.user("cilla")
    broken.password_hash = "!"  # e.g. an account imported without a usable password
    db.commit()


@pytest.fixture
def hasher(monkeypatch, accounts):
    counting = CountingHasher(access_people._hasher)
    monkeypatch.setattr(access_people, "_hasher", counting)
    access_people._stand_in_hash()  # made once per hasher, not per sign-in
    counting.hashed = 0
    return counting


@pytest.mark.parametrize(("username", "password"), [
    ("nobody", WRONG),  # unknown account
    ("anna", WRONG),  # wrong password
    ("bert", PASSWORD),  # deactivated, right password
    ("bert", WRONG),  # deactivated, wrong password
    ("cilla", WRONG),  # no usable password hash
], ids=["unknown", "wrong-password", "deactivated", "deactivated-wrong", "unusable-hash"])
def test_every_failed_sign_in_does_exactly_one_password_check(db, hasher, username, password):
    assert access.authenticate(db, username, password) is None
    assert (hasher.verified, hasher.hashed) == (1, 0)


def test_a_successful_sign_in_does_the_same_one_check(db, hasher):
    assert access.authenticate(db, "anna", PASSWORD) is not None
    assert (hasher.verified, hasher.hashed) == (1, 0)


# --- failed sign-ins only, per account -------------------------------------------------


def _sign_in(client, username: str, password: str) -> int:
    return client.post("/login", data={"username": username, "password": password}).status_code


def test_successful_sign_ins_do_not_use_up_the_limit(client, people):
    people.user("fia")
    assert [_sign_in(client, "fia", PASSWORD) for _ in range(8)] == [302] * 8
    assert [_sign_in(client, "fia", WRONG) for _ in range(6)] == [401] * 5 + [429]


def test_production_refuses_per_process_rate_limit_storage(database_url):
    production = {"DATABASE_URL": database_url, "NARA_ENV": "production",
                  "SECRET_KEY": "x" * 32, "RATELIMIT_STORAGE_URI": "memory://"}
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI"):
        create_app(production)


def test_production_starts_with_memory_storage_when_explicitly_allowed(database_url):
    app = create_app({"DATABASE_URL": database_url, "NARA_ENV": "production",
                      "SECRET_KEY": "x" * 32, "RATELIMIT_STORAGE_URI": "memory://",
                      "RATELIMIT_ALLOW_MEMORY": True})
    app.extensions["nara_engine"].dispose()


# --- across processes, on a real Redis --------------------------------------------------

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def shared_limits(database_url):
    """Config for app servers that share one Redis, under a prefix of this test's own."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        if "TEST_REDIS_URL" in os.environ:  # CI starts Redis: its absence is a failure
            raise
        pytest.skip(f"no Redis at {REDIS_URL} (CI sets TEST_REDIS_URL)")
    return {"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": SECRET,
            "PREFER_HTTPS": False, "FAST_PASSWORD_HASHING": True,
            "RATELIMIT_STORAGE_URI": REDIS_URL,
            "RATELIMIT_KEY_PREFIX": f"nara-test-{uuid.uuid4().hex}"}


OTHER_SERVER = """
import json, sys
from app import create_app
config, attempts = json.loads(sys.argv[1]), json.loads(sys.argv[2])
app = create_app(config | {"WTF_CSRF_ENABLED": False})
client = app.test_client()
print(json.dumps([client.post("/login", data={"username": u, "password": p}).status_code
                  for u, p in attempts]))
app.extensions["nara_engine"].dispose()
"""


def _on_another_server(config: dict, attempts: list[tuple[str, str]]) -> list[int]:
    """Sign-in attempts made by a second app server: another process, same Redis."""
    done = subprocess.run([sys.executable, "-c", OTHER_SERVER, json.dumps(config),
                           json.dumps(attempts)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=os.environ | {"PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _server(config: dict) -> CsrfClient:
    app = create_app(config)
    app.test_client_class = CsrfClient
    return app.test_client()


def test_the_sixth_failure_is_refused_whichever_server_it_reaches(people, shared_limits):
    people.user("fia")
    here = _server(shared_limits)
    assert [_sign_in(here, "fia", WRONG) for _ in range(3)] == [401] * 3
    there = _on_another_server(shared_limits, [("fia", WRONG)] * 3)
    assert there == [401, 401, 429]
    assert _sign_in(here, "fia", PASSWORD) == 429


def test_sign_ins_on_one_server_do_not_use_up_the_limit_on_another(people, shared_limits):
    people.user("fia")
    here = _server(shared_limits)
    assert [_sign_in(here, "fia", PASSWORD) for _ in range(6)] == [302] * 6
    there = _on_another_server(shared_limits, [("fia", WRONG)] * 6)
    assert there == [401] * 5 + [429]
