"""CSRF tokens signed once per session token (views/csrf_tokens.py): the remembered
signature is accepted only for the session it was made for."""

from __future__ import annotations

import re
import time

from tests.conftest import PASSWORD


def _page_token(client) -> str:
    html = client.get("/account").get_data(as_text=True)
    return re.search(r'<meta name="nara-csrf" content="([^"]+)"', html).group(1)


def _post_language(client, token: str):
    return client.post("/language", data={"lang": "en"}, headers={"X-CSRFToken": token},
                       csrf=False)


def test_every_page_of_a_session_carries_the_same_signed_token(client, people):
    people.user("fia")
    people.login("fia")
    assert _page_token(client) == _page_token(client)


def test_the_token_a_page_carries_is_accepted_on_a_post(client, people):
    people.user("fia")
    people.login("fia")
    token = _page_token(client)
    assert _post_language(client, token).status_code == 302


def test_a_page_token_of_another_session_is_refused(app, client, people):
    people.user("fia")
    people.user("maja")
    people.login("fia")
    fias_token = _page_token(client)
    other = app.test_client()
    people.login("maja", other)
    _page_token(other)  # maja's own token is remembered too
    assert _post_language(other, fias_token).status_code == 400


def test_a_page_token_is_refused_after_signing_in_again(client, people):
    people.user("fia")
    people.login("fia")
    old = _page_token(client)
    client.post("/login", data={"username": "fia", "password": PASSWORD})
    assert _page_token(client) != old
    assert _post_language(client, old).status_code == 400


def test_with_a_time_limit_an_expired_token_is_refused(app, client, people):
    people.user("fia")
    people.login("fia")
    token = _page_token(client)
    app.config["WTF_CSRF_TIME_LIMIT"] = 1
    time.sleep(2)
    assert _post_language(client, token).status_code == 400
