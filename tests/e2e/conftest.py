"""Browser fixtures: a live Nära server in a thread and Debian's Chromium via Playwright.

Phone-sized (390×844, touch, Swedish). Screenshots go to test-artifacts/screenshots/.
Never `playwright install`: the browser is /usr/bin/chromium from Debian.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from werkzeug.serving import make_server

from app import create_app
from models.core.db import new_session

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-quic",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True,
         "device_scale_factor": 2, "locale": "sv-SE", "timezone_id": "Europe/Stockholm"}
SHOTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts" / "screenshots"


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.xdist_group("e2e"))


class LiveServer:
    """Serves the app on 127.0.0.1 and a fixed free port; can be stopped and started again.

    In a thread by default. With ``process=True`` (mark the test
    ``@pytest.mark.live_server(process=True)``) it is a child process (tests/e2e/serve.py)
    that ``kill()`` ends with SIGKILL, mid-request and mid-transaction, like a crashed server;
    ``start()`` brings it back on the same port (same origin: cookies, service worker and
    IndexedDB stay the phone's). A child dies with the test run (PR_SET_PDEATHSIG).
    """

    def __init__(self, app, process: bool = False, log: Path | None = None):
        self.app = app
        self.process = process
        self.log = log
        self._server = None
        self._child: subprocess.Popen | None = None
        self.port = None

    def start(self, wait: bool = True):
        if not self.process:
            self._server = make_server("127.0.0.1", self.port or 0, self.app, threaded=True)
            self.port = self._server.server_port
            threading.Thread(target=self._server.serve_forever, daemon=True).start()
            return
        if self.port is None:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                self.port = probe.getsockname()[1]
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
        try:
            self._child = subprocess.Popen(
                [sys.executable, "-m", "tests.e2e.serve", str(self.port),
                 json.dumps(self.app.e2e_config)],
                cwd=Path(__file__).resolve().parents[2], stdout=out, stderr=out,
                stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        finally:
            if out is not subprocess.DEVNULL:
                out.close()
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until the child answers on its port (it may still be importing the app)."""
        deadline = time.monotonic() + timeout
        while True:
            if self._child is not None and self._child.poll() is not None:
                raise AssertionError(f"the live server exited ({self._child.returncode}); "
                                     f"see {self.log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("the live server did not come up") from None
                time.sleep(0.05)

    def kill(self):
        """SIGKILL: no shutdown, no flush, open requests cut off (process mode only)."""
        assert self._child is not None, "kill() needs @pytest.mark.live_server(process=True)"
        self._child.send_signal(signal.SIGKILL)
        self._child.wait()
        self._child = None

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._child is not None:
            self.kill()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    import ctypes

    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


@pytest.fixture
def live_app(tmp_path, sqlite_template):
    path = tmp_path / "live.db"
    shutil.copy(sqlite_template, path)
    config = {
        "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "e2e-secret",
        "FAST_PASSWORD_HASHING": True, "PREFER_HTTPS": False,
        # many sign-ins from 127.0.0.1 in one run; the limit itself is tested over HTTP
        "RATELIMIT_ENABLED": False,
    }
    app = create_app(config)
    app.e2e_config = config  # what a live server in a child process builds its app from
    with app.app_context():
        from models.demo import seed_demo

        with new_session(app.extensions["nara_engine"]) as session:
            seed_demo(session)
    yield app
    app.extensions["nara_engine"].dispose()


@pytest.fixture
def live_server(request, live_app, tmp_path):
    marker = request.node.get_closest_marker("live_server")
    process = bool(marker and marker.kwargs.get("process"))
    server = LiveServer(live_app, process=process, log=tmp_path / "live-server.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian chromium is missing: `make test` installs it with apt-get")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def context(browser, live_server):
    context = browser.new_context(base_url=live_server.url, **PHONE)
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.console_errors = errors
    yield page


def screenshot(page, path: Path, full_page: bool = False) -> None:
    """page.screenshot for people to look at, tried twice: headless Chromium now and then
    never delivers the frame a screenshot waits for (CI: "waiting for fonts to load… fonts
    loaded", then 30 s of nothing), which says nothing about the page under test.
    caret="initial": the default hides the caret with a style attribute, which htmx would
    copy into the next swap and our CSP would then block."""
    try:
        page.screenshot(path=str(path), full_page=full_page, caret="initial", timeout=15_000)
    except PlaywrightTimeoutError:
        page.wait_for_timeout(200)
        page.screenshot(path=str(path), full_page=full_page, caret="initial", timeout=15_000)


def shot(page, name: str) -> Path:
    """Save a screenshot for people to look at; returns the path."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    screenshot(page, path)
    return path


def login(page, username: str, password: str = "nara-demo-2026"):
    page.goto("/login")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(password)
    page.get_by_role("button", name="Logga in").click()
    # staff with clients land on /shift at the first sign-in of a shift; others on the inbox
    page.wait_for_url(lambda url: "/login" not in url)


def axe_violations(page) -> list:
    """WCAG 2.1 A/AA violations on the current page (axe-core, bundled, runs offline)."""
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": [
        "wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
    return result.response["violations"]


def wait_until(page, js: str, timeout: float = 15.0) -> None:
    """Poll a JavaScript function until it returns something truthy.

    Not page.wait_for_function: its predicate is compiled with eval inside the page, which
    our CSP (no 'unsafe-eval') refuses at random moments. page.evaluate is not affected.
    """
    if not js.lstrip().startswith(("(", "async")):
        js = f"() => ({js})"
    deadline = time.monotonic() + timeout
    while not page.evaluate(js):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for: {js}")
        page.wait_for_timeout(100)


class Taps:
    """Counts every tap the test makes, the way a person's thumb would."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def __call__(self, locator):
        locator.tap()
        self.count += 1


def controlled(page) -> None:
    """Ready for offline: the service worker controls the page and the tally catalogue is
    stored (the cache exists as soon as it is opened; the catalogue itself is waited for)."""
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("() => navigator.serviceWorker.controller !== null"):
        page.reload()
    wait_until(page, "() => navigator.serviceWorker.controller !== null")
    wait_until(page, "async () => !!(await (await caches.open('nara-tally-data'))"
                     ".match('/tally/catalogue.json'))")


def offline_notices(page) -> list[str]:
    """The visible texts that tell the person they are offline ("Du är offline …"),
    whichever element says it: the page's own note or the banner should, never both."""
    notices = page.get_by_text(re.compile(r"^\s*Du är offline"))
    return [notices.nth(i).inner_text().strip() for i in range(notices.count())
            if notices.nth(i).is_visible()]
