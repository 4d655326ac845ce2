"""Working notes: contacts, talks, settings; `flask notes …` for shredding."""

from __future__ import annotations

from flask import Flask

from views.notes.cli import notes_cli
from views.notes.routes import bp


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.cli.add_command(notes_cli)
