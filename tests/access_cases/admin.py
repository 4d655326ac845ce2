"""Administration endpoints: admins only; others get 403 (the page's existence is no secret).
Managers keep their own units' option lists and phrases on their unit pages (tally and
journal cases); the admin room's copies of those settings are admins' alone."""

import io

from tests.access_cases import Case

ADMIN = frozenset({"admin"})


def build(world):
    """A quick phrase of unit A for the remove route."""
    from sqlmodel import Session

    from models.journal.shift import add_phrase

    db = Session.object_session(world.units["A"])
    world.objects["admin_phrase"] = add_phrase(db, world.units["A"], "Samtal i hemmet.").id


def _unit_a(world) -> int:
    return world.units["A"].id


def _catalogue_file(world) -> dict:
    return {"file": (io.BytesIO(b"format: nara-catalogue/1\nactivities: []\n"), "c.yaml")}


def _staff_b(world) -> int:
    return world.users["staff_b"].id


CASES = {
    "admin.index": Case("/admin/", allowed=ADMIN, denied=403),
    "admin.create_user": Case("/admin/users", method="POST", allowed=ADMIN, denied=403,
                              data={"username": "newbie", "display_name": "New Bie",
                                    "role": "staff", "password": "long enough password"}),
    "admin.set_active": Case(lambda w: f"/admin/users/{_staff_b(w)}/active", method="POST",
                             data={"active": "1"}, allowed=ADMIN, denied=403),
    "admin.set_units": Case(lambda w: f"/admin/users/{_staff_b(w)}/units", method="POST",
                            data=lambda w: {"units": str(w.units["B"].id)}, allowed=ADMIN,
                            denied=403),
    "admin.person": Case(lambda w: f"/admin/users/{_staff_b(w)}", allowed=ADMIN, denied=403),
    "admin.set_role": Case(lambda w: f"/admin/users/{_staff_b(w)}/role", method="POST",
                           data={"role": "staff"}, allowed=ADMIN, denied=403),
    "admin.reset_password": Case(lambda w: f"/admin/users/{_staff_b(w)}/password",
                                 method="POST", data={"password": "a new long password"},
                                 allowed=ADMIN, denied=403),
    "admin.end_sessions": Case(lambda w: f"/admin/users/{_staff_b(w)}/sessions/end",
                               method="POST", allowed=ADMIN, denied=403),
    "admin.create_unit": Case("/admin/units", method="POST", data={"name": "Enhet C"},
                              allowed=ADMIN, denied=403),
    "admin.new_user": Case("/admin/users/new", allowed=ADMIN, denied=403),
    "admin.units": Case("/admin/units", allowed=ADMIN, denied=403),
    "admin.confirm_deactivate": Case(lambda w: f"/admin/users/{_staff_b(w)}/deactivate",
                                     allowed=ADMIN, denied=403),
    "admin.catalogue": Case("/admin/catalogue", allowed=ADMIN, denied=403),
    "admin.catalogue_export": Case("/admin/catalogue/export", allowed=ADMIN, denied=403),
    "admin.catalogue_import": Case("/admin/catalogue/import", method="POST",
                                   data=_catalogue_file, allowed=ADMIN, denied=403),
    "admin.new_activity": Case("/admin/catalogue/new", allowed=ADMIN, denied=403),
    "admin.activity": Case(lambda w: f"/admin/catalogue/{w.objects['tally_activity']}",
                           allowed=ADMIN, denied=403),
    "admin.settings": Case("/admin/settings", allowed=ADMIN, denied=403),
    "admin.unit_settings": Case(lambda w: f"/admin/settings/units/{_unit_a(w)}",
                                allowed=ADMIN, denied=403),
    "admin.set_idle_limit": Case(lambda w: f"/admin/settings/units/{_unit_a(w)}/idle",
                                 method="POST", data={"idle_days": "30", "grace_days": "7"},
                                 allowed=ADMIN, denied=403),
    "admin.add_phrase": Case(lambda w: f"/admin/settings/units/{_unit_a(w)}/phrases",
                             method="POST", data={"text": "Ringde och bokade tid."},
                             allowed=ADMIN, denied=403),
    "admin.remove_phrase": Case(
        lambda w: f"/admin/settings/units/{_unit_a(w)}/phrases/{w.objects['admin_phrase']}"
                  "/remove", method="POST", allowed=ADMIN, denied=403),
    "admin.log": Case("/admin/log", allowed=ADMIN, denied=403),
    "admin.log_csv": Case("/admin/log.csv", allowed=ADMIN, denied=403),
}
