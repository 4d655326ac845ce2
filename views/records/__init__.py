"""Records management: retention, destruction and archive packages (`flask records …`),
the right to read with a secrecy review, log review, deviations and self-checks."""

from __future__ import annotations

from flask import Flask

from views.records import (  # noqa: F401  (their routes)
    deviations,
    log_review,
    quality,
    retention,
    right_to_read,
    self_checks,
)
from views.records.blueprint import bp
from views.records.cli import records_cli


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.cli.add_command(records_cli)
