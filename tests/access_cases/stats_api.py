"""The statistics API: a token, never a session (every role gets 401); its token page: admins."""

from __future__ import annotations

from tests.access_cases import Case

ADMIN = frozenset({"admin"})
NOBODY = frozenset()


def build(world):
    from sqlmodel import Session

    from models.manage.open_data import issue_token

    session = Session.object_session(world.units["A"])
    token, _secret = issue_token(session, world.users["admin"], "Portalen", [world.units["A"].id])
    session.flush()
    world.objects["api_token"] = token.id


CASES = {
    "api.activities_v1": Case("/api/stats/v1/activities", allowed=NOBODY, denied=401),
    "api.tables_v1": Case("/api/stats/v1/tables?activity=x&period=month&date=2026-01-01",
                          allowed=NOBODY, denied=401),
    "api.tokens": Case("/api/tokens", allowed=ADMIN, denied=403),
    "api.revoke": Case(lambda w: f"/api/tokens/{w.objects['api_token']}/revoke", method="POST",
                       allowed=ADMIN, denied=403),
}
