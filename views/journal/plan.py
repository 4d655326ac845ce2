"""The implementation plan (genomförandeplan) of an assignment, its follow-up, and the
closing note that ends the assignment."""

from __future__ import annotations

from flask import abort, redirect, url_for

from models.core.errors import DomainError
from models.journal import people, plans
from models.journal.plans import GoalInput
from models.journal.tables import Assignment, Client
from views import db, render, request, signed_in, user
from views.journal.base import LABELS, Clock, field_errors, open_client
from views.journal.blueprint import bp

EMPTY_GOALS = 2  # blank goal slots on the form: a plan grows without JavaScript


def _assignment(client: Client, assignment_id: int) -> Assignment:
    return people.part_of(db(), client, Assignment, assignment_id) or abort(404)


@bp.route("/journal/<id:client_id>/plan/<id:assignment_id>")
@signed_in("inbox.view")
def plan(client_id: int, assignment_id: int):
    """The current plan in full, and every earlier version."""
    client = open_client(client_id, "journal.read", "plan.read")
    assignment = _assignment(client, assignment_id)
    versions = [(p, plans.goals_of(db(), p)) for p in plans.plan_versions(db(), assignment)]
    return render("journal/plan.html", client=client, assignment=assignment, versions=versions,
                  clock=Clock(), **LABELS)


@bp.route("/journal/<id:client_id>/plan/<id:assignment_id>/edit")
@signed_in("inbox.view")
def edit_plan(client_id: int, assignment_id: int):
    """The plan form, filled in from the current version."""
    client = open_client(client_id, "journal.write", "plan.read")
    assignment = _assignment(client, assignment_id)
    current = plans.current_plan(db(), assignment)
    goals = [GoalInput(g.key, g.life_area, g.goal, g.what, g.how, g.timing, g.by_whom)
             for g in plans.goals_of(db(), current)]
    form = {"participants": current.participants, "participation": current.participation,
            "followup_on": ""} if current else {}
    return _plan_form(client, assignment, goals, form)


def _plan_form(client, assignment, goals, form, errors=None, status=200):
    goals = goals + [GoalInput() for _ in range(EMPTY_GOALS)]
    latest = plans.latest_followup(plans.local_today())
    return render("journal/plan_form.html", client=client, assignment=assignment, goals=goals,
                  form=form, errors=errors or {}, latest=latest, **LABELS), status


def _goals_from(form) -> list[GoalInput]:
    goals, index = [], 0
    while f"goal-{index}-goal" in form and index < 50:
        goals.append(GoalInput(**{k: form.get(f"goal-{index}-{k}", "") for k in (
            "key", "life_area", "goal", "what", "how", "timing", "by_whom")}))
        index += 1
    return goals


@bp.route("/journal/<id:client_id>/plan/<id:assignment_id>", methods=["POST"])
@signed_in("inbox.view")
def save_plan(client_id: int, assignment_id: int):
    """Save the plan as a new version (noted in the journal)."""
    client = open_client(client_id, "journal.write", "plan.write", commit=False)
    assignment = _assignment(client, assignment_id)
    form = request.form
    goals = _goals_from(form)
    try:
        plans.save_plan(db(), user(), assignment, goals, form.get("participants", ""),
                        form.get("participation", ""), form.get("followup_on", ""))
    except DomainError as error:
        db().commit()
        kept = [g for g in goals if not g.blank]
        return _plan_form(client, assignment, kept, form, field_errors(error), 422)
    db().commit()
    return redirect(url_for("journal.plan", client_id=client.id,
                            assignment_id=assignment.id))


@bp.route("/journal/<id:client_id>/plan/<id:assignment_id>/follow-up",
          methods=["GET", "POST"])
@signed_in("inbox.view")
def follow_up(client_id: int, assignment_id: int):
    """Record the outcome per goal and set the next follow-up date."""
    posting = request.method == "POST"
    client = open_client(client_id, "journal.write", "plan.write" if posting else "plan.read",
                         commit=not posting)
    assignment = _assignment(client, assignment_id)
    errors, form = {}, request.form
    if posting:
        outcomes = {k[len("outcome-"):]: v for k, v in form.items() if k.startswith("outcome-")}
        try:
            plans.follow_up_plan(db(), user(), assignment, outcomes, form.get("followup_on"),
                                 form.get("note", ""))
            db().commit()
            return redirect(url_for("journal.thread", client_id=client.id))
        except DomainError as error:
            db().commit()
            errors = field_errors(error)
    current = plans.current_plan(db(), assignment)
    latest = plans.latest_followup(plans.local_today())
    return render("journal/follow_up.html", client=client, assignment=assignment, plan=current,
                  goals=plans.goals_of(db(), current), form=form, errors=errors, latest=latest,
                  **LABELS), 422 if errors else 200


@bp.route("/journal/<id:client_id>/close/<id:assignment_id>", methods=["GET", "POST"])
@signed_in("inbox.view")
def close_assignment(client_id: int, assignment_id: int):
    """Write the closing note: the assignment ends, its journal becomes read-only."""
    posting = request.method == "POST"
    client = open_client(client_id, "journal.write", "close" if posting else "thread.read",
                         commit=not posting)
    assignment = _assignment(client, assignment_id)
    errors, form = {}, request.form
    if posting:
        try:
            plans.close_assignment(db(), user(), assignment, form.get("ended_on"),
                                   form.get("reason", ""), form.get("text", ""))
            db().commit()
            return redirect(url_for("journal.thread", client_id=client.id))
        except DomainError as error:
            db().commit()
            errors = field_errors(error)
    return render("journal/close.html", client=client, assignment=assignment, form=form,
                  errors=errors, today=plans.local_today(), **LABELS), 422 if errors else 200
