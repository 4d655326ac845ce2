"""Records management: deviations and self-checks (the quality system)."""

from __future__ import annotations

from flask import Flask

from views.records import deviations, quality, self_checks  # noqa: F401  (their routes)
from views.records.blueprint import bp


def register(app: Flask) -> None:
    app.register_blueprint(bp)
