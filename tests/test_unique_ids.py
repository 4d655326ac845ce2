"""Every page has unique ids (issue 15 §6): a duplicate id leaves a label without its
field (the consent page once had two `f-note`), and breaks aria-describedby and anchors.

The pages are the ones the route fuzzer's crawl reaches, as every role on the demo data."""

from __future__ import annotations

from collections import Counter

import pytest
from bs4 import BeautifulSoup

from tests.test_fuzz_routes import ROLES, Fuzzer, fuzz_app, sign_in  # noqa: F401 (fixture)


class Recording:
    """A test client that keeps every HTML page the crawl fetched."""

    def __init__(self, client):
        self.client, self.pages = client, {}

    def get(self, url, *args, **kwargs):
        response = self.client.get(url, *args, **kwargs)
        if response.mimetype == "text/html" and response.status_code < 500:
            self.pages[url] = response.get_data(as_text=True)
        return response


def duplicate_ids(html: str) -> list[str]:
    ids = Counter(tag["id"] for tag in BeautifulSoup(html, "html.parser").select("[id]"))
    return sorted(i for i, n in ids.items() if n > 1)


def test_a_page_with_a_repeated_id_is_caught():
    assert duplicate_ids('<p id="f-note"></p><textarea id="f-note"></textarea>') == ["f-note"]


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"] + ["anonymous"])
def test_every_page_has_unique_ids(fuzz_app, role):  # noqa: F811
    recording = Recording(sign_in(fuzz_app, role))
    Fuzzer(fuzz_app).crawl(recording, role)
    assert len(recording.pages) > (1 if role == "anonymous" else 5)
    repeated = {url: ids for url, html in recording.pages.items() if (ids := duplicate_ids(html))}
    assert repeated == {}
