"""The access policy itself: unknown actions, inactive people, units."""

from __future__ import annotations

import pytest
from sqlmodel import select

from models import access
from models.core.errors import AccessDenied, DomainError


def test_unknown_action_is_refused_for_everyone(people, db):
    admin = people.user("ada", "admin")
    assert access.authorize(db, admin, "no.such.action") is False
    with pytest.raises(AccessDenied) as denied:
        access.ensure(db, admin, "no.such.action")
    assert denied.value.hide is True


def test_deactivated_user_is_refused_everything(people, db):
    user = people.user("fia")
    user.active = False
    assert access.authorize(db, user, "inbox.view") is False


def test_manager_manages_only_own_units(people, db):
    a, b = people.unit("A"), people.unit("B")
    maja = people.user("maja", "manager", [a])
    assert access.authorize(db, maja, "unit.manage", a)
    assert not access.authorize(db, maja, "unit.manage", b)
    staff = people.user("fia", "staff", [a])
    assert not access.authorize(db, staff, "unit.manage", a)


def test_a_person_can_belong_to_several_units(people, db):
    kim = people.user("kim", units=["Familjecentralen", "Mötesplatsen"])
    assert [u.name for u in access.units_of(db, kim)] == ["Familjecentralen", "Mötesplatsen"]


def test_passwords_are_argon2_and_only_the_new_one_works(people, db):
    user = people.user("fia")
    user.set_password("a brand new password")
    assert user.password_hash.startswith("$argon2id$")
    assert user.check_password("a brand new password")
    assert not user.check_password("correct horse battery")


def test_access_log_rows_cannot_be_changed_or_deleted(people, db):
    user = people.user("fia")
    access.log_access(db, user, "client", 1, "read")
    db.commit()
    row = db.exec(select(access.AccessLog)).one()
    row.outcome = "denied"
    db.add(row)
    with pytest.raises(DomainError):
        db.commit()
    db.rollback()
    row = db.exec(select(access.AccessLog)).one()
    db.delete(row)
    with pytest.raises(DomainError):
        db.commit()
