"""Records management: retention, destruction, archive packages; `flask records …`."""

from __future__ import annotations

from flask import Flask

from views.records import retention  # noqa: F401  (its routes)
from views.records.blueprint import bp
from views.records.cli import records_cli


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.cli.add_command(records_cli)
