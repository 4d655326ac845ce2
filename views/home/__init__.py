"""The inbox: every room's threads, newest first."""

from __future__ import annotations

from flask import Flask

from views.home.routes import bp


def register(app: Flask) -> None:
    app.register_blueprint(bp)
