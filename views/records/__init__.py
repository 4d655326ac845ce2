"""Records management: deviations and self-checks (the quality system)."""

from __future__ import annotations

from flask import Flask

from views.records import quality  # noqa: F401  (its routes)
from views.records.blueprint import bp


def register(app: Flask) -> None:
    app.register_blueprint(bp)
