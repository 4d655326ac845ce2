"""Foundation endpoints: login, inbox, account, PWA shell."""

from tests.access_cases import Case

ADMIN = frozenset({"admin"})


def build(world):
    """The foundation needs no objects beyond the people."""


CASES = {
    "auth.login": Case("/login", public=True),
    "auth.logout": Case("/logout", method="POST", public=True),
    "auth.language": Case("/language", method="POST", data={"lang": "en"}, public=True),
    "auth.account": Case("/account"),
    "home.inbox": Case("/"),
    "pwa.manifest": Case("/manifest.webmanifest", public=True),
    "pwa.service_worker": Case("/sw.js", public=True),
    "pwa.offline": Case("/offline", public=True),
}
