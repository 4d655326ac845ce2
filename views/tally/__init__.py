"""Pinnstatistik: activity threads, the composer, the offline shell, units' own lists."""

from __future__ import annotations

from flask import Flask

from views.tally import imports, options  # noqa: F401  (on the same blueprint)
from views.tally.cli import catalogue_cli, tallies_cli
from views.tally.routes import bp


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.cli.add_command(catalogue_cli)
    app.cli.add_command(tallies_cli)
