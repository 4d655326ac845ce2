"""Administration: people, units, the activity catalogue, settings, the admin log."""

from __future__ import annotations

from flask import Flask

from views.admin import catalogue, log, settings  # noqa: F401  (their routes join bp)
from views.admin.routes import bp


def register(app: Flask) -> None:
    app.register_blueprint(bp)
