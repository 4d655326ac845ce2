"""The chat shell in a phone browser: sign in, inbox, language, sign out, offline."""

from __future__ import annotations

from tests.e2e.conftest import axe_violations, login, offline_notices, shot, wait_until


def test_login_inbox_language_logout_on_a_phone(page):
    page.goto("/login")
    assert page.locator("html").get_attribute("lang") == "sv"
    shot(page, "login")
    login(page, "fia")
    assert page.get_by_role("heading", name="Nära").is_visible()
    shot(page, "inbox")
    # open a thread: a chat page with a back arrow, a bubble list and a composer at the bottom
    page.locator("a.thread-row", has_text="Allvarssamtal").first.click()
    page.locator("#bubbles").wait_for()
    assert page.get_by_role("link", name="Tillbaka till inkorgen").is_visible()
    dock = page.locator(".composer-dock").bounding_box()
    assert dock and dock["y"] + dock["height"] >= 844 - 2  # fixed at the bottom of the screen
    shot(page, "thread")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Tillbaka till inkorgen").click()
    page.wait_for_url("**/")
    page.get_by_role("link", name="Mitt konto").click()
    page.get_by_role("button", name="English").click()
    page.get_by_role("button", name="Sign out").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login?reason=logged-out&lang=en")
    assert page.get_by_text("You are signed out.").is_visible()
    assert not page.console_errors, page.console_errors


def test_login_and_inbox_pass_axe_with_no_violations(page):
    page.goto("/login")
    assert axe_violations(page) == []
    login(page, "fia")
    assert axe_violations(page) == []
    page.goto("/account")
    assert axe_violations(page) == []


def test_installed_app_shows_offline_page_without_network(page, context):
    login(page, "fia")
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now controlled by the service worker
    wait_until(page, "() => navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    page.goto("/account")
    assert page.get_by_role("heading", name="Du är offline").is_visible()
    assert offline_notices(page) == ["Du är offline"]  # the page says it; the banner not again
    shot(page, "offline")
    context.set_offline(False)


def test_manifest_makes_the_app_installable(page):
    response = page.request.get("/manifest.webmanifest")
    data = response.json()
    assert data["display"] == "standalone" and data["lang"] == "sv"
    sizes = {icon["sizes"] for icon in data["icons"]}
    assert {"192x192", "512x512"} <= sizes
    assert any(icon.get("purpose") == "maskable" for icon in data["icons"])


def test_admin_manages_people_on_a_phone_with_no_axe_violations(page):
    login(page, "admin")
    page.get_by_role("link", name="Personer och enheter").click()
    page.get_by_role("link", name="Ny person").click()  # the form has a page of its own
    page.locator("#new-person-heading").wait_for()
    assert axe_violations(page) == []
    page.get_by_label("Användarnamn").fill("nyanstalld")
    page.get_by_label("Fullständigt namn").fill("Ny Anställd")
    page.get_by_label("Första lösenord (minst 10 tecken)").fill("kort")
    page.get_by_role("button", name="Skapa person").click()
    page.get_by_text("Lösenordet måste vara minst 10 tecken.").wait_for()
    assert page.get_by_label("Fullständigt namn").input_value() == "Ny Anställd"
    wait_until(page, "document.activeElement.id === 'new-password'")
    page.wait_for_timeout(100)
    shot(page, "admin-error")


# innerWidth alone grows with a mobile page that overflows; screen.width does not
FITS = "document.documentElement.scrollWidth <= Math.min(window.innerWidth, screen.width)"


def test_pages_reflow_at_200_percent_zoom_without_horizontal_scrolling(browser, live_server):
    # 200 % zoom on a 390 px phone leaves 195 CSS px of width (WCAG 1.4.10 reflow)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 195, "height": 422},
                                  device_scale_factor=4, locale="sv-SE")
    page = context.new_page()
    page.goto("/login")
    assert page.evaluate(FITS)
    login(page, "fia")
    assert page.evaluate(FITS)
    shot(page, "inbox-200-percent")
    context.close()


def test_service_worker_caches_only_the_shell_never_a_page_with_personal_data(page):
    login(page, "hanna")  # a home-care worker: her pages hold client data
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.goto("/")
    page.locator("a.thread-row").first.click()
    page.wait_for_load_state("networkidle")
    assert "/journal/" in page.url
    cached = page.evaluate("""async () => {
        const urls = [];
        for (const name of await caches.keys()) {
            const cache = await caches.open(name);
            for (const request of await cache.keys()) urls.push(new URL(request.url).pathname);
        }
        return urls;
    }""")
    assert cached, "the shell should be cached"
    allowed = ("/static/", "/manifest.webmanifest", "/offline", "/signed-out", "/tally/shell",
               "/tally/catalogue.json")
    assert [u for u in cached if not u.startswith(allowed)] == []
