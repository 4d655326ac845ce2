"""The records room: retention, archive packages, the right to read, log review."""

from __future__ import annotations

from flask import Flask

from views.records import log_review  # noqa: F401  (its routes, on the blueprint)
from views.records.blueprint import bp


def register(app: Flask) -> None:
    app.register_blueprint(bp)
