"""Log review on the phone: the manager draws "10 reads in the last month" from the access
log, walks the sample row by row, and signs the review off (issue 14, "Done means")."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlmodel import select

from models.access import User, log_access
from models.core.db import new_session
from models.journal.tables import Client
from models.records import log_review as lr
from tests.e2e.conftest import axe_violations, login, shot


def log_reads(app, count: int) -> None:
    """Hanna reads the file of a client of Hemtjänst Norr `count` times."""
    with new_session(app.extensions["nara_engine"]) as session:
        hanna = session.exec(select(User).where(User.username == "hanna")).one()
        client = session.exec(select(Client).order_by(Client.id)).first()
        for _ in range(count):
            log_access(session, hanna, "client", client.id, "thread.read")
        session.commit()


def stored(app, review_id: int):
    with new_session(app.extensions["nara_engine"]) as session:
        review = session.get(lr.LogReview, review_id)
        return (lr.sample_ids(session, review), lr.latest_marks(session, review),
                lr.signature_of(session, review), lr.sample_again(session, review))


def test_manager_signs_off_a_log_review_of_a_sample_of_ten(page, live_app):
    log_reads(live_app, 14)
    login(page, "maja")
    page.goto("/journal/log")
    page.get_by_role("link", name="Loggkontroll med stickprov").click()
    page.wait_for_url("**/records/log")
    expect(page.get_by_label("Antal rader (högst 50)")).to_have_value("10")
    assert axe_violations(page) == []
    shot(page, "records-log-review-filters")

    page.get_by_role("button", name="Dra ett stickprov").click()
    page.wait_for_url(re.compile(r"/records/log/reviews/\d+$"))
    review_id = int(page.url.rsplit("/", 1)[1])
    sample, _, _, _ = stored(live_app, review_id)
    assert len(sample) == 10
    assert axe_violations(page) == []
    shot(page, "records-log-review-sample")

    for position, log_id in enumerate(sample, start=1):
        row = page.locator(f"#row-{log_id}")
        row.locator("label.chip", has_text="Befogad").tap()
        row.get_by_role("button", name=f"Spara rad {position}").tap()
        expect(page.locator(f"#row-{log_id} .verdict")).to_have_text("Befogad")
    expect(page.locator("#review-progress")).to_contain_text("Kvar: 0")

    page.get_by_label("Slutsats").fill("Alla läsningar gjordes av berörd personal.")
    page.get_by_label("Uppföljande åtgärd").fill("Ny kontroll om en månad.")
    page.get_by_role("button", name="Signera kontrollen").click()
    expect(page.locator("#signature")).to_contain_text("Signerad av Maja Enhetschef")
    assert page.locator("form.log-mark").count() == 0
    assert axe_violations(page) == []
    shot(page, "records-log-review-signed")

    sample, marks, signature, again = stored(live_app, review_id)
    assert {m.verdict for m in marks.values()} == {"justified"} and len(marks) == 10
    assert signature.conclusion == "Alla läsningar gjordes av berörd personal."
    assert again == sample  # the seed draws the same ten rows again
    assert page.console_errors == []
