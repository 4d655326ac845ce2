"""The installable shell: manifest, service worker and the offline page.

The service worker must be served from the site root so its scope covers the app.
"""

from __future__ import annotations

from flask import Blueprint, current_app, send_from_directory, url_for
from flask_babel import gettext as _

from views import public, render

bp = Blueprint("pwa", __name__)


@bp.route("/manifest.webmanifest")
@public
def manifest():
    """Web app manifest for 'add to home screen'."""
    data = {
        "name": "Nära",
        "short_name": "Nära",
        "description": _("Document close to the event."),
        "lang": "sv",
        "start_url": url_for("home.inbox"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#f4f1ec",
        "theme_color": "#1f5f5b",
        "icons": [
            {"src": url_for("static", filename=f"icons/icon-{size}.png"), "sizes": f"{size}x{size}",
             "type": "image/png", "purpose": "any"}
            for size in (192, 512)
        ] + [
            {"src": url_for("static", filename="icons/maskable-512.png"), "sizes": "512x512",
             "type": "image/png", "purpose": "maskable"}
        ],
    }
    response = current_app.json.response(data)
    response.mimetype = "application/manifest+json"
    return response


@bp.route("/sw.js")
@public
def service_worker():
    """The service worker script, at the root so it controls every page."""
    response = send_from_directory(current_app.static_folder, "js/sw.js", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/offline")
@public
def offline():
    """Shown by the service worker when a page cannot be fetched; holds no personal data."""
    return render("pwa/offline.html", shell_only=True)


@bp.route("/offline/inbox")
@public
def inbox_shell():
    """The inbox without data: offline, the service worker answers the inbox with it and
    tally-outbox.js lists the activities from the catalogue cached on the phone (activities
    only, never a person)."""
    return render("pwa/inbox_shell.html", shell_only=True)
