"""The session cookie's signature checked once per process (views/cookie_session.py): a
remembered cookie is trusted only as it was signed, and only for its lifetime."""

from __future__ import annotations

import time
from datetime import timedelta


def _cookie(client):
    return client.get_cookie("nara_session")


def test_a_signed_in_cookie_keeps_working_on_later_requests(client, people):
    people.user("fia")
    people.login("fia")
    assert client.get("/account").status_code == 200
    assert client.get("/account").status_code == 200


def test_an_altered_copy_of_a_remembered_cookie_is_not_signed_in(client, people):
    people.user("fia")
    people.login("fia")
    assert client.get("/account").status_code == 200  # the cookie is remembered now
    value = _cookie(client).value
    altered = value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]
    client.set_cookie("nara_session", altered)
    assert client.get("/account").status_code == 302


def test_a_remembered_cookie_older_than_the_session_lifetime_is_not_signed_in(
        app, client, people):
    people.user("fia")
    people.login("fia")
    assert client.get("/account").status_code == 200
    app.permanent_session_lifetime = timedelta(seconds=0)
    time.sleep(1.1)
    assert client.get("/account").status_code == 302


def _vary(response) -> set[str]:
    return {v.strip().lower() for line in response.headers.get_all("Vary")
            for v in line.split(",")}


def test_an_answer_that_read_the_session_says_it_varies_by_cookie(client, people):
    """No shared cache may hand one person's answer to another (the session is unchanged,
    so no cookie is written: views/cookie_session.save_session's short way)."""
    people.user("fia")
    people.login("fia")
    client.get("/account")  # the first page puts the CSRF token in the session
    response = client.get("/account")
    assert "cookie" in _vary(response) and "Set-Cookie" not in response.headers


def test_signing_out_still_clears_the_cookie(client, people):
    people.user("fia")
    people.login("fia")
    response = client.post("/logout")
    assert "nara_session" in response.headers.get("Set-Cookie", "") and "cookie" in _vary(
        response)
