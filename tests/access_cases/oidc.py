"""Sign-in through the identity provider (issue 17 §1) and the admin's sign-in link."""

from __future__ import annotations

from tests.access_cases import Case, World

ADMIN = frozenset({"admin"})


def build(world: World) -> None:
    pass


def _staff_b(world: World) -> int:
    return world.users["staff_b"].id


CASES = {
    "auth.oidc_start": Case("/login/oidc", public=True),
    "auth.oidc_callback": Case("/login/oidc/callback?code=x&state=y", public=True),
    "auth.oidc_level": Case("/login/level", public=True),
    "auth.oidc_logged_out": Case("/logout/done?state=sv", public=True),
    "admin.set_idp_link": Case(lambda w: f"/admin/users/{_staff_b(w)}/idp-link", method="POST",
                               data={"unlink": "1"}, allowed=ADMIN, denied=403),
}
