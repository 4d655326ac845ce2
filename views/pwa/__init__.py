"""The installable shell: manifest, service worker, offline page."""

from __future__ import annotations

from flask import Flask

from views.pwa.routes import bp


def register(app: Flask) -> None:
    app.register_blueprint(bp)
