"""The manager's day feed, the daily review, the inbox threads and the follow-up list."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from models.access import AccessLog
from models.access.inbox import inbox
from models.core.clock import local_today
from models.core.db import utcnow
from models.journal.entries import add_entry
from models.journal.people import assign_staff, create_client, open_assignment, record_consent
from models.journal.plans import GoalInput, save_plan
from models.manage.day_feed import DayReview, day_feed, review_day
from models.manage.follow_ups import follow_ups, overdue_count
from models.notes import log_talk, open_contact
from models.tally import record_tally
from tests.conftest import html_text, soup, text_of, texts
from tests.journal_helpers import consent_input, make_home
from tests.notes_helpers import build as notes_world
from tests.notes_helpers import valid_values

POLL = {"HX-Request": "true", "X-Nara-Background": "1"}


def feed_logs(db, user) -> list[int]:
    db.expire_all()
    return list(db.exec(select(AccessLog.subject_id).where(
        AccessLog.user_id == user.id, AccessLog.action == "feed.read")))


@pytest.fixture
def home(db, people):
    return make_home(people)


# --- the feed --------------------------------------------------------------------------


def _breakfast(client, db, people, home):
    """Hanna's note of today, and the unit's day as Maja sees it."""
    entry, _ = add_entry(db, home.hanna, home.client, home.assignment.id, "action",
                         "Hjälpte till med frukost.")
    db.commit()
    people.login(home.maja)
    return entry, client.get(f"/manage/units/{home.unit.id}/day")


def test_feed_lists_todays_notes_with_client_category_author_and_times(client, db, people,
                                                                       home):
    entry, page = _breakfast(client, db, people, home)
    assert page.status_code == 200
    item = soup(page).select_one(f"li.feed-entry#entry-{entry.id}")
    link = item.select_one("a.feed-open")
    assert link["href"] == f"/journal/{home.client.id}/entries/{entry.id}"
    assert text_of(link).startswith(home.client.name)
    assert text_of(item.select_one(".feed-tag.cat-action")) == "Åtgärd"  # in Swedish
    assert text_of(item.select_one(".feed-meta")).startswith(home.hanna.display_name)
    assert len(item.select("time[datetime]")) == 1  # written as it happened: one time


def test_the_feed_shows_a_notes_first_lines_and_logs_the_read(client, db, people, home):
    entry, page = _breakfast(client, db, people, home)
    assert texts(page, f"#entry-{entry.id} .feed-text") == ["Hjälpte till med frukost."]
    assert feed_logs(db, home.maja) == [home.client.id]  # reading it in the feed is a read


def test_a_long_note_shows_only_its_first_lines(client, db, people, home):
    lines = ["Första raden.", "Andra raden.", "Tredje raden.", "Fjärde raden syns inte."]
    entry, _ = add_entry(db, home.hanna, home.client, home.assignment.id, "action",
                         "\n".join(lines))
    db.commit()
    people.login(home.maja)
    (shown,) = texts(client.get(f"/manage/units/{home.unit.id}/day"),
                     f"#entry-{entry.id} .feed-text")
    assert "Tredje raden" in shown and "Fjärde" not in shown and shown.endswith("…")


def test_a_note_written_later_shows_when_it_happened_and_when_it_was_written(client, db,
                                                                          people, home):
    entry, _ = add_entry(db, home.hanna, home.client, home.assignment.id, "action",
                         "Besök.", occurred_at=utcnow() - timedelta(minutes=25))
    db.commit()
    people.login(home.maja)
    item = soup(client.get(f"/manage/units/{home.unit.id}/day")).select_one(f"#entry-{entry.id}")
    assert "hände" in text_of(item.select_one(".feed-meta"))
    assert len(item.select("time[datetime]")) == 2


def test_each_note_says_how_long_after_the_event_it_was_written(client, db, people, home):
    entry, _ = add_entry(db, home.hanna, home.client, home.assignment.id, "action",
                         "Besök.", occurred_at=utcnow() - timedelta(minutes=25))
    db.commit()
    people.login(home.maja)
    page = client.get(f"/manage/units/{home.unit.id}/day")
    assert texts(page, f"#entry-{entry.id} .feed-lag") == ["skriven 25 min efter"]


def test_alerts_flag_deviations_reports_missed_visits_and_late_notes(db, home):
    now = utcnow()
    add_entry(db, home.hanna, home.client, home.assignment.id, "deviation", "Fel dos.")
    add_entry(db, home.hanna, home.client, home.assignment.id, "concern_report", "Orosanmälan.")
    add_entry(db, home.hanna, home.client, home.assignment.id, "circumstance", "Ingen öppnade.",
              topic="missed_visit")
    add_entry(db, home.hanna, home.client, home.assignment.id, "action", "Besök i förrgår.",
              occurred_at=now - timedelta(hours=30))
    add_entry(db, home.hanna, home.client, home.assignment.id, "action", "Besök nyss.",
              occurred_at=now - timedelta(hours=2))
    db.commit()
    feed = day_feed(db, home.maja, home.unit, local_today())
    codes = sorted(code for code, _entry in feed.alerts)
    assert codes == ["concern_report", "deviation", "late", "missed_visit"]


def test_opening_the_feed_logs_each_client_shown_once_per_quarter_hour(client, db, people,
                                                                        home):
    add_entry(db, home.hanna, home.client, home.assignment.id, "action", "Besök.")
    db.commit()
    people.login(home.maja)
    url = f"/manage/units/{home.unit.id}/day"
    client.get(url)
    client.get(url, headers=POLL)
    assert feed_logs(db, home.maja) == [home.client.id]
    add_entry(db, home.hanna, home.client, home.assignment.id,
              "action", "Ett besök till.")
    db.commit()
    client.get(url, headers=POLL)
    assert feed_logs(db, home.maja) == [home.client.id, home.client.id]


def test_poll_returns_only_the_bubbles(client, db, people, home):
    people.login(home.maja)
    response = client.get(f"/manage/units/{home.unit.id}/day", headers=POLL)
    assert response.status_code == 200
    fragment = soup(response)
    assert fragment.find("html") is None
    assert {tag.name for tag in fragment.find_all(True, recursive=False)} == {"li"}


def test_poll_keeps_the_session_idle(client, db, people, home, clock):
    people.login(home.maja)
    seen = last_seen(db, home.maja)
    clock.move(minutes=10)
    assert client.get(f"/manage/units/{home.unit.id}/day", headers=POLL).status_code == 200
    assert last_seen(db, home.maja) == seen


def last_seen(db, person):
    from models.access.sessions import UserSession

    db.expire_all()
    return db.exec(select(UserSession.last_seen_at).where(
        UserSession.user_id == person.id)).one()


def test_the_live_day_polls_with_the_background_header(client, people, home):
    people.login(home.maja)
    page = soup(client.get(f"/manage/units/{home.unit.id}/day"))
    (poller,) = page.select("[hx-trigger]")
    assert poller["hx-trigger"] == "every 30s"
    assert json.loads(poller["hx-headers"]) == {"X-Nara-Background": "1"}


def test_a_past_day_does_not_poll(client, people, home):
    people.login(home.maja)
    yesterday = (local_today() - timedelta(days=1)).isoformat()
    old = client.get(f"/manage/units/{home.unit.id}/day?day={yesterday}")
    assert old.status_code == 200
    assert soup(old).select("[hx-trigger]") == []  # a past day does not change


def test_tallies_show_counts_per_activity_and_by_whom(client, db, people):
    world = notes_world(db, people)
    visitors = {"visitors_by_gender": {"k": 3, "m": 2}}
    for _ in range(2):
        record_tally(db, world.kim, world.aggregate, visitors, uuid.uuid4())
    record_tally(db, world.kia, world.aggregate, visitors, uuid.uuid4())
    db.commit()
    feed = day_feed(db, world.maja, _unit(db, world), local_today())
    (item,) = feed.activities
    assert item.count == 3
    assert [(u.username, n) for u, n in item.by_user] == [("kim", 2), ("kia", 1)]


def _unit(db, world):
    from models.access import units_of

    return units_of(db, world.maja)[0]


def test_working_notes_never_reach_the_feed_only_their_tallies(client, db, people):
    world = notes_world(db, people)
    contact = open_contact(db, world.kim, world.rad, "Blå 7")
    log_talk(db, world.kim, contact, valid_values(db, world.rad.key),
             "Pratade om sömnen och skolan.", uuid.uuid4())
    db.commit()
    people.login(world.maja)
    page = client.get(f"/manage/units/{_unit(db, world).id}/day")
    assert world.rad.name in texts(page, "li.feed-tally .feed-activity")  # counts as a tally
    text = html_text(page)
    assert "Blå 7" not in text and "sömnen" not in text


def test_a_future_or_malformed_day_is_refused_at_the_date_field(client, people, home):
    people.login(home.maja)
    future = (local_today() + timedelta(days=1)).isoformat()
    for value in (future, "igår"):
        response = client.get(f"/manage/units/{home.unit.id}/day?day={value}")
        assert response.status_code == 400
        assert soup(response).select_one("#err-day") is not None


def test_another_units_manager_cannot_see_the_day(client, people, home):
    people.login(home.mats)
    assert client.get(f"/manage/units/{home.unit.id}/day").status_code == 404


# --- the daily review --------------------------------------------------------------------


def test_marking_the_day_reviewed_stores_time_and_comment(client, db, people, home):
    people.login(home.maja)
    response = client.post(f"/manage/units/{home.unit.id}/day/review",
                           data={"day": local_today().isoformat(), "comment": "Allt ok."})
    assert response.status_code == 303
    db.expire_all()
    review = db.exec(select(DayReview)).one()
    assert review.comment == "Allt ok." and review.reviewed_by == home.maja.id
    assert utcnow() - review.reviewed_at < timedelta(minutes=1)
    page = client.get(response.headers["Location"])
    done = text_of(soup(page).select_one("#review-composer .review-done"))
    assert done.startswith("Du markerade dagen som genomgången")


def test_reviewing_twice_is_refused_at_the_comment_with_the_text_kept(client, db, people, home):
    review_day(db, home.maja, home.unit, local_today(), "Första.")
    db.commit()
    people.login(home.maja)
    response = client.post(f"/manage/units/{home.unit.id}/day/review",
                           data={"day": local_today().isoformat(), "comment": "Andra."})
    assert response.status_code == 422
    assert "redan markerat" in text_of(soup(response).select_one("#err-comment"))


def test_an_overlong_comment_is_refused_and_kept(client, db, people, home):
    people.login(home.maja)
    long = "x" * 501
    response = client.post(f"/manage/units/{home.unit.id}/day/review",
                           data={"day": local_today().isoformat(), "comment": long})
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#err-comment") is not None
    assert page.select_one("textarea#f-comment").text == long
    db.expire_all()
    assert db.exec(select(func.count()).select_from(DayReview)).one() == 0


def test_a_review_needs_the_csrf_token(client, people, home):
    people.login(home.maja)
    response = client.post(f"/manage/units/{home.unit.id}/day/review",
                           data={"day": local_today().isoformat()}, csrf=False)
    assert response.status_code == 400


def test_a_future_day_cannot_be_reviewed(db, home):
    from models.core.errors import ValidationErrors

    with pytest.raises(ValidationErrors):
        review_day(db, home.maja, home.unit, local_today() + timedelta(days=1))


# --- the inbox -------------------------------------------------------------------------


def test_managers_inbox_has_a_day_thread_per_unit_with_news_unread(client, db, people, home):
    key = f"unit-day:{home.unit.id}"
    before = {t.key: t for t in inbox(db, home.maja)}[key].unread  # the plan and consent
    add_entry(db, home.hanna, home.client, home.assignment.id, "action", "Besök.")
    db.commit()
    threads = {t.key: t for t in inbox(db, home.maja)}
    day = threads[key]
    assert day.title == home.unit.name and day.unread == before + 1
    assert "manage:stats" in threads and "manage:follow-ups" in threads
    assert not any(t.key.startswith("unit-day:") for t in inbox(db, home.hanna))
    people.login(home.maja)
    client.get(f"/manage/units/{home.unit.id}/day")
    db.expire_all()
    threads = {t.key: t for t in inbox(db, home.maja)}
    assert threads[key].unread == 0


def _unit_row(client, unit_id):
    (row,) = [a for a in soup(client.get("/")).select("a.thread-row")
              if a["href"] == f"/manage/units/{unit_id}/day"]
    return row


def test_inbox_and_day_feed_count_today_alike(client, db, people):
    """'Today' is what was registered today, in both: a tally made now about yesterday
    and a note written now about an event 30 hours ago count; a tally made yesterday
    about today cannot exist, and an undone one counts in neither."""
    world = notes_world(db, people)
    unit = _unit(db, world)
    visitors = {"visitors_by_gender": {"k": 3, "m": 2}}
    record_tally(db, world.kim, world.aggregate, visitors, uuid.uuid4())
    record_tally(db, world.kia, world.aggregate, visitors, uuid.uuid4(),
                 occurred_at=utcnow() - timedelta(hours=26))
    db.commit()
    people.login(world.maja)
    in_inbox = text_of(_unit_row(client, unit.id).select_one(".thread-last"))
    feed = client.get(f"/manage/units/{unit.id}/day")
    assert in_inbox == text_of(soup(feed).select_one("#day-count"))
    assert in_inbox == "Registrerat i dag: 2 pinnar · 0 anteckningar"


def test_a_late_note_counts_today_in_the_inbox_and_the_feed(client, db, people, home):
    people.login(home.maja)
    before = text_of(_unit_row(client, home.unit.id).select_one(".thread-last"))
    entry, _ = add_entry(db, home.hanna, home.client, home.assignment.id, "action",
                         "Besök i förrgår.", occurred_at=utcnow() - timedelta(hours=30))
    db.commit()
    in_inbox = text_of(_unit_row(client, home.unit.id).select_one(".thread-last"))
    feed = soup(client.get(f"/manage/units/{home.unit.id}/day"))
    assert in_inbox == text_of(feed.select_one("#day-count")) != before
    assert feed.select_one(f"#entry-{entry.id} .feed-tag.alert")  # shown, flagged late


def test_new_registrations_on_a_unit_row_are_words_not_an_unread_badge(client, db, people,
                                                                        home):
    add_entry(db, home.hanna, home.client, home.assignment.id, "action", "Besök.")
    db.commit()
    people.login(home.maja)
    row = _unit_row(client, home.unit.id)
    assert row.select(".unread") == []
    assert text_of(row.select_one(".count-text")).endswith("nya")


def test_yesterday_shows_every_managed_unit_with_its_notes(client, db, people, home, clock):
    other = people.unit("Tredje enheten")
    from models.access import Membership

    db.add(Membership(user_id=home.maja.id, unit_id=other.id))
    entry, _ = add_entry(db, home.hanna, home.client, home.assignment.id, "action",
                         "Handlade åt Astrid.")
    db.commit()
    clock.move(days=1)
    people.login(home.maja)
    page = client.get("/manage/yesterday")
    assert page.status_code == 200
    assert sorted(texts(page, "section.yesterday-unit h2")) == sorted(
        [home.unit.name, other.name])
    assert texts(page, f"#entry-{entry.id} .feed-text") == ["Handlade åt Astrid."]
    assert home.client.id in feed_logs(db, home.maja)


def test_yesterday_is_for_managers_only(client, people, home):
    people.login(home.hanna)
    assert client.get("/manage/yesterday").status_code == 404


# --- follow-ups ---------------------------------------------------------------------------


@pytest.fixture
def due(db, home):
    """Astrid's plan is due in 90 days; add Bertil (due in 5 days, overdue impossible to
    write, so made by moving the date) and Cilla (no plan, consent ending in 10 days)."""
    today = local_today()
    bertil = create_client(db, home.unit, "Bertil Test", "19400202-2004")
    a_b = open_assignment(db, bertil, "sol", "Hemtjänst", today - timedelta(days=200),
                          today - timedelta(days=201))
    assign_staff(db, bertil, home.hugo, today - timedelta(days=200))
    save_plan(db, home.hugo, a_b, [GoalInput(life_area="mobility", goal="Gå ut")], "Bertil",
              "Deltog", today + timedelta(days=5))
    cilla = create_client(db, home.unit, "Cilla Test", "19500303-2009")
    a_c = open_assignment(db, cilla, "service", "Ledsagning", today - timedelta(days=10))
    record_consent(db, home.hanna, cilla, a_c, consent_input(days=10))
    db.commit()
    return {"bertil": bertil, "cilla": cilla}


def test_follow_ups_group_due_plans_and_plans_missing_per_staff_member(db, home, due):
    overview = follow_ups(db, home.maja, [home.unit.id])
    by_staff = {g.user.username if g.user else None: g for g in overview.groups}
    (row,) = by_staff["hugo"].rows
    assert row.client.name == "Bertil Test" and row.state == "soon" and row.days == 5
    assert [r.client.name for r in by_staff[None].rows] == ["Cilla Test"]
    assert by_staff[None].rows[0].state == "no_plan"
    assert "hanna" not in by_staff  # Astrid's plan is 90 days away
    assert [c.client.name for c in overview.consents] == ["Cilla Test"]
    assert overview.consents[0].days == 10


def test_follow_up_list_names_the_clients_due_and_links_to_their_plans(
        client, db, people, home, due):
    people.login(home.maja)
    page = client.get("/manage/follow-ups")
    rows = {text_of(a.select_one(".thread-title")): a["href"]
            for a in soup(page).select("ul.followups a.thread-row")}
    assert {"Bertil Test", "Cilla Test"} <= rows.keys() and "Astrid Test" not in rows
    assert "Astrid Test" not in html_text(page)
    bertils_plan = f"/journal/{due['bertil'].id}/plan/"
    assert rows["Bertil Test"].startswith(bertils_plan)
    assert rows["Bertil Test"].removeprefix(bertils_plan).isdigit()


def test_follow_up_list_logs_every_client_it_names(client, db, people, home, due):
    people.login(home.maja)
    assert client.get("/manage/follow-ups").status_code == 200
    db.expire_all()
    logged = set(db.exec(select(AccessLog.subject_id).where(
        AccessLog.action == "followups.read", AccessLog.user_id == home.maja.id)))
    assert logged == {due["bertil"].id, due["cilla"].id}


def test_overdue_plans_count_in_the_inbox_badge(db, home, due):
    assert overdue_count(db, [home.unit.id]) == 0
    assert overdue_count(db, [home.unit.id], local_today() + timedelta(days=6)) == 1


def test_another_managers_follow_ups_do_not_show_this_unit(client, db, people, home, due):
    people.login(home.mats)
    assert "Bertil Test" not in html_text(client.get("/manage/follow-ups"))
    assert client.get(f"/manage/follow-ups?unit={home.unit.id}").status_code == 404
