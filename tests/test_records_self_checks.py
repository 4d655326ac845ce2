"""Self-checks of the documentation (egenkontroll, seed 003/004): a reproducible random
sample of a unit's files, the checklist computed from each file, the manager's answers,
signing; the year's figures for the quality report and their CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlmodel import select

from models.core.clock import local_today
from models.core.db import utcnow
from models.core.errors import ValidationErrors
from models.journal.entries import add_entry
from models.journal.people import create_client, open_assignment
from models.journal.plans import close_assignment
from models.records import quality
from models.records import self_checks as sc
from tests.conftest import soup, text_of
from tests.journal_helpers import make_home


@pytest.fixture
def home(app, people):
    with app.test_request_context():
        yield make_home(people)


def _results(db, check, client_id) -> dict:
    return {i.criterion: i.auto_result for i in sc.items_of(db, check) if i.client_id == client_id}


def _draw(db, home, size=1, seed=1):
    check = sc.draw(db, home.maja, home.unit, size, seed=seed)
    db.commit()
    return check


# --- sampling


def test_the_same_seed_draws_the_same_files():
    population = list(range(1, 40))
    assert sc.draw_sample(population, 42, 5) == sc.draw_sample(list(reversed(population)), 42, 5)


def test_a_sample_is_never_larger_than_the_unit(db, home):
    check = _draw(db, home, size=5)
    assert len(sc.files_of(db, check)) == 1


def test_the_seed_is_stored_with_the_self_check(db, home):
    assert _draw(db, home, seed=123).seed == 123


def test_a_sample_size_out_of_range_is_a_field_error(db, home):
    with pytest.raises(ValidationErrors) as error:
        sc.draw(db, home.maja, home.unit, "99")
    assert set(error.value.errors) == {"size"}


def test_a_unit_without_files_cannot_be_sampled(db, home, people):
    empty = people.unit("Tom enhet")
    with pytest.raises(ValidationErrors) as error:
        sc.draw(db, home.maja, empty, 5)
    assert set(error.value.errors) == {"unit"}


# --- the checklist, computed


def test_a_file_with_a_current_plan_and_consent_passes_what_can_be_computed(db, home):
    add_entry(db, home.hanna, home.client, home.assignment.id, "action", "Besök gjort.")
    db.commit()
    results = _results(db, _draw(db, home), home.client.id)
    assert results == {"plan": "yes", "followup": "yes", "consent": "na", "timely": "yes",
                       "factual": None, "closing": "na"}


def test_an_open_assignment_without_a_plan_fails_the_plan_criterion(db, people, app):
    home = make_home(people, plan=False)
    assert _results(db, _draw(db, home), home.client.id)["plan"] == "no"


def test_a_plan_past_its_follow_up_date_fails_the_follow_up_criterion(db, home, clock):
    clock.move(days=100)  # the plan's follow-up is in 90 days
    assert _results(db, _draw(db, home), home.client.id)["followup"] == "no"


def test_a_service_intervention_without_consent_fails_the_consent_criterion(db, people):
    home = make_home(people, kind="service", consent=False, plan=False)
    assert _results(db, _draw(db, home), home.client.id)["consent"] == "no"


def test_notes_written_days_after_the_event_fail_the_timeliness_criterion(db, home):
    late = utcnow() - timedelta(days=3)
    add_entry(db, home.hanna, home.client, home.assignment.id, "action", "Besök gjort.",
              occurred_at=late)
    db.commit()
    check = _draw(db, home)
    item = next(i for i in sc.items_of(db, check) if i.criterion == "timely")
    assert item.auto_result == "no" and "1 senare än 24 h" in item.detail


def test_the_timeliness_detail_of_one_note_is_in_the_singular(db, home):
    add_entry(db, home.hanna, home.client, home.assignment.id, "action", "Besök gjort.")
    db.commit()
    check = _draw(db, home)
    item = next(i for i in sc.items_of(db, check) if i.criterion == "timely")
    assert item.detail.startswith("1 anteckning,")


def test_an_ended_assignment_with_its_closing_note_passes_the_closing_criterion(db, home):
    close_assignment(db, home.maja, home.assignment, local_today().isoformat(), "no_need")
    db.commit()
    assert _results(db, _draw(db, home), home.client.id)["closing"] == "yes"


def test_an_ended_assignment_without_a_closing_note_fails_the_closing_criterion(db, home):
    other = create_client(db, home.unit, "Bertil Test", "19500516-1236")
    row = open_assignment(db, other, "sol", "Hemtjänst", local_today() - timedelta(days=10))
    row.ended_on = local_today()  # ended by an import, no closing note written
    db.commit()
    check = sc.draw(db, home.maja, home.unit, 2, seed=1)
    assert _results(db, check, other.id)["closing"] == "no"


# --- the manager's answers and signing


def _answers(db, check, result="yes") -> dict:
    return {f"result-{i.id}": result for i in sc.items_of(db, check)}


def test_signing_needs_every_answer_and_a_conclusion(db, home):
    check = _draw(db, home)
    with pytest.raises(ValidationErrors) as error:
        sc.save(db, home.maja, check, {}, sign=True)
    factual = next(i for i in sc.items_of(db, check) if i.criterion == "factual")
    assert {f"result-{factual.id}", "conclusion"} <= set(error.value.errors)


def test_a_signed_self_check_cannot_change(db, home):
    check = _draw(db, home)
    sc.save(db, home.maja, check, _answers(db, check) | {"conclusion": "Bra."}, sign=True)
    db.commit()
    with pytest.raises(ValidationErrors):
        sc.save(db, home.maja, check, {"conclusion": "Ändrad."})


def test_a_refused_save_changes_nothing(db, home):
    check = _draw(db, home)
    item = sc.items_of(db, check)[0]
    with pytest.raises(ValidationErrors):
        sc.save(db, home.maja, check, {f"result-{item.id}": "maybe", "conclusion": "X"})
    db.rollback()
    assert db.get(sc.SelfCheck, check.id).conclusion == ""


# --- the year's figures


def test_the_year_counts_signed_self_checks_and_their_answers(db, home):
    check = _draw(db, home)
    sc.save(db, home.maja, check, _answers(db, check, "no") | {
        "conclusion": "Brister.", "measures": "Utbildning i dokumentation."}, sign=True)
    _draw(db, home)  # not signed: not counted
    db.commit()
    row = quality.year_summary(db, [home.unit], local_today().year)[0]
    assert (row.checks, row.files) == (1, 1)
    assert row.answers["plan"] == {"yes": 0, "no": 1, "na": 0}
    assert row.measures == ["Utbildning i dokumentation."]


def test_the_csv_has_one_line_per_figure_and_defuses_formulas(db, home):
    from models.records import deviations as dev

    dev.save_kinds(db, home.unit, "=HYPERLINK(1)\nAnnat")
    db.commit()
    rows = quality.year_summary(db, [home.unit], 2026)
    lines = list(csv.reader(io.StringIO(quality.summary_csv(rows, 2026))))
    assert lines[0] == ["year", "unit", "section", "item", "count"]
    assert ["2026", "Hemtjänst Test", "self_checks", "signed", "0"] in lines
    assert not any(cell.startswith("=") for line in lines for cell in line)


# --- the pages


def test_the_manager_draws_a_sample_and_walks_it(client, people, home):
    people.login(home.maja)
    response = client.post("/records/self-checks", data={"unit": home.unit.id, "size": "5"})
    assert response.status_code == 302
    page = soup(client.get(response.headers["Location"]))
    assert [text_of(h) for h in page.select(".self-check-file h2")] == ["Astrid Test"]
    assert len(page.select(".self-check-item")) == len(sc.CRITERIA)


def test_a_sample_size_that_is_not_a_number_is_shown_at_the_field(client, people, home):
    people.login(home.maja)
    response = client.post("/records/self-checks", data={"unit": home.unit.id, "size": "fem"})
    assert response.status_code == 400
    assert soup(response).select_one("#err-size") is not None


def test_signing_from_the_page_locks_the_answers(client, people, home, db):
    check = _draw(db, home)
    people.login(home.maja)
    data = _answers(db, check) | {"conclusion": "Akterna håller god kvalitet.", "sign": "1"}
    assert client.post(f"/records/self-checks/{check.id}", data=data).status_code == 302
    page = soup(client.get(f"/records/self-checks/{check.id}"))
    assert text_of(page.select_one("#conclusion")) == "Akterna håller god kvalitet."
    assert all(i.has_attr("disabled") for i in page.select("input[type=radio]"))


def test_the_signature_line_names_the_signer_and_ends_with_one_full_stop(client, people, home,
                                                                        db):
    """The Swedish date ("1 dec.") ends with its own dot: the line must not end in '..'."""
    check = _draw(db, home)
    people.login(home.maja)
    data = _answers(db, check) | {"conclusion": "Akterna håller god kvalitet.", "sign": "1"}
    client.post(f"/records/self-checks/{check.id}", data=data)
    line = text_of(soup(client.get(f"/records/self-checks/{check.id}")).select_one(
        ".system-note[role=status]"))
    assert line.startswith("Signerad av Maja") and not line.endswith("..")


def test_viewing_a_self_check_logs_access_to_each_sampled_file(client, people, home, db):
    from models.access import AccessLog

    check = _draw(db, home)
    people.login(home.maja)
    client.get(f"/records/self-checks/{check.id}")
    actions = db.exec(select(AccessLog.action).where(AccessLog.subject_id == home.client.id))
    assert "self_check.read" in set(actions)


def test_the_quality_report_downloads_as_csv(client, people, home):
    people.login(home.maja)
    response = client.get("/records/quality.csv?year=2026")
    assert response.mimetype == "text/csv"
    assert response.get_data(as_text=True).lstrip("\ufeff").startswith("year,unit,section")


def test_the_quality_report_downloads_as_a_pdf_with_its_figures(client, people, home):
    pypdf = pytest.importorskip("pypdf")
    pytest.importorskip("weasyprint")
    people.login(home.maja)
    response = client.get("/records/quality.pdf?year=2026")
    assert response.mimetype == "application/pdf"
    text = pypdf.PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "Kvalitetsberättelse 2026" in text and "Hemtjänst Test" in text
