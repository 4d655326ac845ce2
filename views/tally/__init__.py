"""Pinnstatistik: activity threads, the composer, the offline shell, units' own lists."""

from __future__ import annotations

from flask import Flask

from views.tally import options  # noqa: F401  (the unit's own lists, on the same blueprint)
from views.tally.cli import catalogue_cli
from views.tally.routes import bp


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.cli.add_command(catalogue_cli)
