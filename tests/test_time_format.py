"""One way to write a time (issue 15 §5): the helper at its edges, in both languages.

The helper counts 'today' and 'yesterday' in Europe/Stockholm calendar days, writes the
year only when it is not this year, and keeps the 24-hour clock in English too."""

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from views.templating import date_text, same_minute, stamp

STOCKHOLM = ZoneInfo("Europe/Stockholm")



@pytest.fixture(scope="module")
def babel_app():
    app = Flask(__name__)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(
        Path(__file__).resolve().parents[1] / "translations")
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Europe/Stockholm"
    Babel(app)
    with app.test_request_context():
        yield app


def local(*args) -> datetime:
    return datetime(*args, tzinfo=STOCKHOLM)


def written(dt, now, lang="sv"):
    with force_locale(lang):
        return stamp(dt, now=now, tz=STOCKHOLM)


def test_today_reads_i_dag_with_the_time(babel_app):
    assert written(local(2026, 12, 1, 10, 39), local(2026, 12, 1, 14, 0)) == "i dag 10:39"


def test_yesterday_reads_i_gar(babel_app):
    assert written(local(2026, 11, 30, 18, 2), local(2026, 12, 1, 9, 0)) == "i går 18:02"


def test_earlier_this_year_is_day_and_short_month_without_year(babel_app):
    assert written(local(2026, 11, 24, 10, 57), local(2026, 12, 1, 9, 0)) == "24 nov. 10:57"


def test_another_year_has_its_year(babel_app):
    assert written(local(2025, 11, 24, 10, 57), local(2026, 12, 1, 9, 0)) == "24 nov. 2025 10:57"


def test_english_keeps_the_24_hour_clock(babel_app):
    assert written(local(2026, 12, 1, 16, 37), local(2026, 12, 1, 18, 0), "en") == "today 16:37"
    assert written(local(2026, 11, 24, 4, 7), local(2026, 12, 1, 9, 0), "en") == "24 Nov 04:07"


def test_english_yesterday(babel_app):
    assert written(local(2026, 11, 30, 23, 59), local(2026, 12, 1, 0, 0), "en") == "yesterday 23:59"


def test_a_minute_before_midnight_is_yesterday_a_minute_after(babel_app):
    now = local(2026, 12, 2, 0, 1)
    assert written(local(2026, 12, 1, 23, 59), now) == "i går 23:59"
    assert written(local(2026, 12, 2, 0, 0), now) == "i dag 00:00"


def test_midnight_is_counted_in_stockholm_not_utc(babel_app):
    # 23:30 UTC on 1 Dec is 00:30 on 2 Dec in Stockholm: today, seen at 08:00 on 2 Dec.
    moment = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    assert written(moment, local(2026, 12, 2, 8, 0)) == "i dag 00:30"


def test_new_years_eve_seen_on_new_years_day_is_yesterday(babel_app):
    assert written(local(2026, 12, 31, 22, 15), local(2027, 1, 1, 1, 0)) == "i går 22:15"


def test_two_days_before_new_year_has_last_years_date(babel_app):
    assert written(local(2026, 12, 30, 22, 15), local(2027, 1, 1, 1, 0)) == "30 dec. 2026 22:15"


def test_spring_forward_day_is_still_one_day(babel_app):
    # 29 March 2026: clocks go 02:00 -> 03:00 in Stockholm. 01:30 that night is 00:30 UTC.
    before = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    after = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    now = local(2026, 3, 29, 23, 59)
    assert written(before, now) == "i dag 01:30"
    assert written(after, now) == "i dag 03:30"
    assert written(before, local(2026, 3, 30, 0, 0)) == "i går 01:30"


def test_autumn_back_the_hour_that_happens_twice(babel_app):
    # 25 October 2026: 03:00 CEST -> 02:00 CET. 02:30 happens twice (00:30 and 01:30 UTC).
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    now = local(2026, 10, 26, 12, 0)
    assert written(first, now) == "i går 02:30"
    assert written(second, now) == "i går 02:30"


def test_a_naive_time_is_read_as_utc(babel_app):
    assert written(datetime(2026, 7, 1, 8, 0), local(2026, 7, 1, 12, 0)) == "i dag 10:00"


def test_dates_without_time_show_the_year_only_when_it_is_not_this_year(babel_app):
    with force_locale("sv"):
        assert date_text(date(2026, 3, 3), today=date(2026, 12, 1)) == "3 mars"
        assert date_text(date(2027, 3, 3), today=date(2026, 12, 1)) == "3 mars 2027"
    with force_locale("en"):
        assert date_text(date(2025, 11, 24), today=date(2026, 12, 1)) == "24 Nov 2025"


def test_happened_and_written_in_the_same_minute_read_as_one_time():
    assert same_minute(datetime(2026, 12, 1, 9, 5, 2, tzinfo=UTC),
                       datetime(2026, 12, 1, 9, 5, 59, tzinfo=UTC))
    assert not same_minute(datetime(2026, 12, 1, 9, 5, 59, tzinfo=UTC),
                           datetime(2026, 12, 1, 9, 6, 0, tzinfo=UTC))
    assert same_minute(datetime(2026, 12, 1, 9, 5, tzinfo=UTC), datetime(2026, 12, 1, 10, 5,
                       tzinfo=ZoneInfo("Europe/Stockholm")))
