"""The social journal: one blueprint for the thread, the client file, plans, shift start
and the log review."""

from __future__ import annotations

from flask import Flask

from views.journal import audit, client, plan, shift, thread  # noqa: F401  (their routes)
from views.journal.blueprint import bp


def register(app: Flask) -> None:
    app.register_blueprint(bp)
