"""Records management: the right to read with a secrecy review (more parts to come)."""

from __future__ import annotations

from flask import Flask

from views.records import right_to_read  # noqa: F401  (its routes)
from views.records.blueprint import bp


def register(app: Flask) -> None:
    app.register_blueprint(bp)
