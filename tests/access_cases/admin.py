"""Administration endpoints: admins only; others get 403 (the page's existence is no secret)."""

from tests.access_cases import Case

ADMIN = frozenset({"admin"})


def build(world):
    """Admin acts on the world's people; nothing extra needed."""


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
}
