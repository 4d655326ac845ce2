"""The manager's room: the day feed, follow-ups, statistics and their exports."""

from __future__ import annotations

from flask import Flask

from views.manage import stats  # noqa: F401  (its routes, on the same blueprint)
from views.manage.api import api
from views.manage.day import bp


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(api)
