"""Administration: people, units, memberships, roles, sessions."""

from __future__ import annotations

from flask import Flask

from views.admin.routes import bp


def register(app: Flask) -> None:
    app.register_blueprint(bp)
