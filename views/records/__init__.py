"""Records management: retention, destruction and archive packages (`flask records …`),
the right to read with a secrecy review, log review."""

from __future__ import annotations

from flask import Flask

from views.records import log_review, retention, right_to_read  # noqa: F401  (their routes)
from views.records.blueprint import bp
from views.records.cli import records_cli


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.cli.add_command(records_cli)
