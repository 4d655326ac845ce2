"""The command line: users, units, demo data."""

from __future__ import annotations

from sqlmodel import select

from models.access import Membership, Unit, User


def test_units_create_then_users_create_with_a_unit(runner, db):
    assert runner.invoke(args=["units", "create", "Fältgruppen"]).exit_code == 0
    result = runner.invoke(args=[
        "users", "create", "fia", "--name", "Fia Fältare", "--role", "staff",
        "--unit", "Fältgruppen", "--password", "long enough password",
    ])
    assert result.exit_code == 0, result.output
    user = db.exec(select(User).where(User.username == "fia")).one()
    unit = db.exec(select(Unit).where(Unit.name == "Fältgruppen")).one()
    assert db.get(Membership, (user.id, unit.id)) is not None
    assert user.password_hash.startswith("$argon2")


def test_users_create_refuses_an_unknown_unit_and_a_short_password(runner):
    result = runner.invoke(args=["users", "create", "x", "--name", "X", "--unit", "Nope",
                                 "--password", "long enough password"])
    assert result.exit_code != 0 and "Nope" in result.output
    result = runner.invoke(args=["users", "create", "x", "--name", "X", "--password", "short"])
    assert result.exit_code != 0


def test_demo_seed_creates_one_user_per_role_and_is_idempotent(runner, db):
    first = runner.invoke(args=["demo-seed"])
    assert first.exit_code == 0, first.output
    assert "nara-demo-2026" in first.output
    count = len(db.exec(select(User)).all())
    assert runner.invoke(args=["demo-seed"]).exit_code == 0
    assert len(db.exec(select(User)).all()) == count
    roles = {u.role for u in db.exec(select(User)).all()}
    assert roles == {"staff", "manager", "admin", "records"}


def test_demo_seed_refuses_in_production(app, runner):
    app.config["NARA_ENV"] = "production"
    result = runner.invoke(args=["demo-seed"])
    assert result.exit_code != 0
    assert "production" in result.output
