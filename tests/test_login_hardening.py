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


def test_a_default_rate_limit_set_in_the_config_still_caps_every_route(database_url):
    """Nära drops Flask-Limiter's per-request check while no default, application or
    blueprint limit exists (views.drop_idle_limit_check); one set by an operator counts."""
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": SECRET,
                      "PREFER_HTTPS": False, "RATELIMIT_DEFAULT": "2/minute",
                      "RATELIMIT_KEY_PREFIX": f"default-{uuid.uuid4().hex}"})
    web = app.test_client()
    assert [web.get("/manifest.webmanifest").status_code for _ in range(3)] == [200, 200, 429]
    app.extensions["nara_engine"].dispose()


def test_an_apps_default_rate_limit_does_not_carry_over_to_the_next_app(database_url):
    """One Flask-Limiter serves every app of a process (tests, the CLI): each app's own
    config decides its limits, not the first app's."""
    first = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": SECRET,
                        "RATELIMIT_DEFAULT": "1/minute"})
    first.extensions["nara_engine"].dispose()
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": SECRET,
                      "PREFER_HTTPS": False, "RATELIMIT_KEY_PREFIX": f"n-{uuid.uuid4().hex}"})
    web = app.test_client()
    assert {web.get("/manifest.webmanifest").status_code for _ in range(3)} == {200}
    app.extensions["nara_engine"].dispose()


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


# --- behind the proxy of the README's deployment (TRUSTED_PROXIES) ----------------------

PROXY = "10.0.0.10"  # nginx, the only address the app server ever sees


def _proxied_app(database_url, hops: int):
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": SECRET,
                      "PREFER_HTTPS": False, "FAST_PASSWORD_HASHING": True,
                      "TRUSTED_PROXIES": hops, "RATELIMIT_KEY_PREFIX": f"proxy-{uuid.uuid4()}"})
    app.test_client_class = CsrfClient
    return app


def _via_proxy(client, phone: str, n: int) -> list[int]:
    """n sign-ins refused for a wrong password, each for another name (the per-account cap
    stays out of it), from `phone` as the proxy reports it."""
    return [client.post("/login", data={"username": f"nobody-{uuid.uuid4().hex[:8]}",
                                         "password": WRONG},
                        environ_base={"REMOTE_ADDR": PROXY},
                        headers={"X-Forwarded-For": phone}).status_code for _ in range(n)]


def test_behind_a_trusted_proxy_each_phone_has_its_own_per_address_sign_in_cap(
        database_url):
    """A whole office behind nginx: one phone using up the 300 a minute does not stop the
    next phone signing in (the proxy's address is not everyone's)."""
    app = _proxied_app(database_url, hops=1)
    try:
        client = app.test_client()
        assert set(_via_proxy(client, "203.0.113.1", 300)) == {401}
        assert _via_proxy(client, "203.0.113.1", 1) == [429]
        assert _via_proxy(client, "203.0.113.2", 1) == [401]
    finally:
        app.extensions["nara_engine"].dispose()


def test_without_a_trusted_proxy_a_forged_forwarded_for_does_not_escape_the_cap(
        database_url):
    """With no proxy configured, X-Forwarded-For is the client's own words: ignored."""
    app = _proxied_app(database_url, hops=0)
    try:
        client = app.test_client()
        forged = [_via_proxy(client, f"198.51.100.{i % 250}", 1)[0] for i in range(301)]
        assert (set(forged[:300]), forged[300]) == ({401}, 429)
    finally:
        app.extensions["nara_engine"].dispose()
