"""The inbox as each demo user sees it: sections, unit names, folded exempt activities,
authors by full name, the manager's tools; and the access log a reviewer reads."""

from __future__ import annotations

import pytest

from models.demo import DEMO_PASSWORD, seed_demo
from tests.conftest import soup, text_of, texts


@pytest.fixture
def demo(app, db):
    with app.app_context():
        seed_demo(db)
    db.commit()


def inbox_as(client, username: str):
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    page = client.get("/")
    if page.status_code == 302 and page.location.endswith("/shift"):  # a shift starts first
        client.post("/shift/start")
        page = client.get("/")
    assert page.status_code == 200
    return page


def sections(page) -> list[str]:
    return texts(page, "section.inbox-section > .section-head h2")


@pytest.mark.parametrize(("username", "expected"), [
    ("fia", ["Verksamheter", "Verktyg"]),
    ("kim", ["Verksamheter", "Brukare", "Verktyg"]),
    ("hanna", ["Brukare", "Verktyg"]),  # home care logs no tallies
    ("maja", ["Verksamheter", "Brukare", "Verktyg"]),
    ("admin", ["Verktyg"]),
])
def test_the_inbox_has_only_the_sections_the_user_has(client, demo, username, expected):
    assert sections(inbox_as(client, username)) == expected


def test_exempt_activities_are_folded_into_one_closed_row_at_the_end(client, demo):
    page = soup(inbox_as(client, "fia"))
    activities = page.select_one("#section-units > ul.threads")
    rows = activities.find_all("li", recursive=False)
    folded = rows[-1].find("details")
    assert folded is not None and not folded.has_attr("open")
    inside = [text_of(b) for b in folded.select(".badge")]
    assert inside and set(inside) <= {"Dokumenteras inte", "Verksamhetssystem"}
    outside = [text_of(b) for li in rows[:-1] for b in li.select(".badge")]
    assert "Undantas" not in outside and "Verksamhetssystem" not in outside


def test_rows_name_their_unit_when_the_user_has_several(client, demo):
    page = soup(inbox_as(client, "kim"))
    units = {text_of(u) for u in page.select("#section-units .thread-unit")}
    assert units and units <= {"Familjecentralen", "Mötesplatsen",
                               "Familjecentralen, Mötesplatsen"}


def test_rows_do_not_repeat_the_unit_of_a_one_unit_user(client, demo):
    assert soup(inbox_as(client, "fia")).select(".thread-unit") == []


def test_a_clients_last_note_names_its_author_in_full(client, demo):
    lines = texts(inbox_as(client, "hanna"), "#section-clients .thread-last")
    written = [line for line in lines if " · " in line]
    assert written
    assert all(line.rsplit(" · ", 1)[1] in ("Hanna Hemtjänst", "Hugo Hemtjänst")
               for line in written)


def test_the_managers_client_list_has_the_new_client_button(client, demo):
    page = soup(inbox_as(client, "maja"))
    (button,) = page.select("#section-clients .section-head a.button")
    assert button["href"] == "/clients/new" and text_of(button) == "Ny brukare"


def test_staff_get_no_new_client_button(client, demo):
    assert soup(inbox_as(client, "hanna")).select("#section-clients .section-head a") == []


def test_the_managers_tools_reach_the_access_log_new_client_and_yesterday(client, demo):
    links = {a["href"] for a in soup(inbox_as(client, "maja")).select(
        "#section-tools a.thread-row")}
    assert {"/journal/log", "/clients/new", "/manage/yesterday", "/manage/stats",
            "/manage/follow-ups"} <= links


def test_unit_rows_show_new_registrations_as_words_not_unread_badges(client, demo):
    page = soup(inbox_as(client, "maja"))
    unit_rows = page.select("#section-units a.thread-row")
    assert unit_rows and all(row.select(".unread") == [] for row in unit_rows)


def test_unit_rows_are_labelled_with_what_today_means(client, demo):
    lines = texts(inbox_as(client, "maja"), "#section-units .thread-last")
    assert lines and all(line.startswith("Registrerat i dag: ") for line in lines)


# --- the access log ---------------------------------------------------------------------


def test_each_access_log_row_says_who_what_which_client_and_when(client, demo):
    inbox_as(client, "maja")
    page = soup(client.get("/journal/log"))
    row = page.select_one("li.log-row")
    assert text_of(row.select_one(".log-what strong"))
    assert text_of(row.select_one(".log-action"))
    assert text_of(row.select_one(".log-client")).startswith("Brukare:")
    assert row.select_one(".log-when time[datetime]")


def test_the_request_id_is_kept_in_a_closed_detail_not_in_the_row(client, demo):
    home = soup(inbox_as(client, "maja"))
    client.get(home.select_one("#section-clients a.thread-row")["href"])  # a logged read
    page = soup(client.get("/journal/log"))
    details = page.select("li.log-row details.log-detail")
    assert details and not any(d.has_attr("open") for d in details)
    for row in page.select("li.log-row"):
        shown = "".join(text_of(el) for el in row.find_all(recursive=False)
                        if el.name != "details")
        code = row.select_one("details code")
        assert code is None or text_of(code) not in shown


def test_the_access_log_has_no_new_client_button(client, demo):
    inbox_as(client, "maja")
    page = soup(client.get("/journal/log"))
    assert page.select('a[href="/clients/new"]') == []


def test_the_records_officer_has_only_tools(client, people):
    people.login(people.user("arkiv", "records"))
    assert sections(client.get("/")) == ["Verktyg"]


def test_two_first_opens_of_a_thread_at_once_both_store_the_read_marker(app, people):
    """Two phones of one person (or two app servers) open a thread for the first time at
    the same moment: both answers succeed and one marker is stored (bench/scale_out.py
    found the second failing on the primary key)."""
    import threading

    from sqlmodel import select

    from models.access import User
    from models.access.inbox import ThreadRead, last_read, mark_read
    from models.core.db import new_session

    user_id = people.user("tova", units=["Fältgruppen"]).id
    engine = app.extensions["nara_engine"]
    ready, failures = threading.Barrier(2), []

    def open_thread():
        with new_session(engine) as session:
            me = session.get(User, user_id)
            ready.wait()
            try:
                mark_read(session, me, "tally:1")
                session.commit()
            except Exception as error:  # noqa: BLE001 - what the request would have got
                failures.append(error)

    threads = [threading.Thread(target=open_thread) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert failures == []
    with new_session(engine) as session:
        rows = session.exec(select(ThreadRead).where(ThreadRead.user_id == user_id)).all()
        assert [r.thread_key for r in rows] == ["tally:1"]
        assert last_read(session, session.get(User, user_id), "tally:1") is not None


def test_a_read_marker_moves_on_when_the_thread_is_opened_again(db, people, clock):
    from models.access.inbox import last_read, mark_read

    user = people.user("tova", units=["Fältgruppen"])
    mark_read(db, user, "tally:1")
    db.commit()
    first = last_read(db, user, "tally:1")
    clock.move(minutes=5)
    mark_read(db, user, "tally:1")
    assert last_read(db, user, "tally:1") > first
