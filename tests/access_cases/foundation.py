"""Foundation endpoints: login, inbox, account, PWA shell."""

from tests.access_cases import Case
from tests.conftest import PASSWORD

ADMIN = frozenset({"admin"})


def build(world):
    """The foundation needs no objects beyond the people."""


CASES = {
    "auth.login": Case("/login", public=True),
    "auth.logout": Case("/logout", method="POST", public=True),
    "auth.language": Case("/language", method="POST", data={"lang": "en"}, public=True),
    "auth.logout_device": Case("/logout/device", method="POST", data={"capability": "1.x"},
                               public=True),
    "auth.signed_out": Case("/signed-out", public=True),
    "auth.account": Case("/account"),
    "auth.change_password": Case("/account/password", method="POST",
                                 data={"current": PASSWORD, "new": "another long password",
                                       "confirm": "another long password"}),
    "home.inbox": Case("/"),
    "pwa.manifest": Case("/manifest.webmanifest", public=True),
    "pwa.inbox_shell": Case("/offline/inbox", public=True),
    "pwa.service_worker": Case("/sw.js", public=True),
    "pwa.offline": Case("/offline", public=True),
}
