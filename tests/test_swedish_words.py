"""One way to write words (issue 15 §5): the Swedish that read like a translation stays
gone, and the account avatar's accessible name includes the initials it shows
(Lighthouse `label-content-name-mismatch`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.conftest import soup
from tests.test_inbox import demo, inbox_as  # noqa: F401 (fixture)

PO = Path(__file__).resolve().parent.parent / "translations" / "sv" / "LC_MESSAGES" / "messages.po"


def swedish() -> list[str]:
    with PO.open("rb") as f:
        catalog = read_po(f)
    out = []
    for message in catalog:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        out.extend(s for s in strings if s)
    return out


@pytest.mark.parametrize("translated", [
    "Sorts anteckning", "Logga samtal", "strimla", "Från händelse till pinne",
    # the person the journal is about is a "brukare" on every page, never a "klient"
    "klient",
])
def test_words_that_read_like_a_translation_are_gone(translated):
    assert [s for s in swedish() if translated.lower() in s.lower()] == []


@pytest.mark.parametrize("plain", [
    "Typ av anteckning", "Registrera samtal", "Tid från händelse till registrering",
])
def test_the_plain_words_are_used(plain):
    assert any(s.startswith(plain) for s in swedish())


@pytest.mark.parametrize("username", ["fia", "maja", "admin"])
def test_the_account_avatars_name_includes_its_visible_initials(client, demo, username):  # noqa: F811
    avatar = soup(inbox_as(client, username)).select_one("a.avatar-me")
    visible = avatar.get_text(strip=True)
    assert len(visible) == 2 and visible in avatar["aria-label"]
