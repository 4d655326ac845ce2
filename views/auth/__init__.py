"""Signing in and out (also from an offline phone), sessions, account, language."""

from __future__ import annotations

from flask import Flask

from views import login_manager
from views.auth import account, oidc_routes  # noqa: F401  (routes on the same blueprint)
from views.auth.cli import sessions_cli
from views.auth.routes import (  # noqa: F401  (the room's API for the other rooms)
    bp,
    device,
    draft_key,
    limits,
    load_user,
    login_rate_limited,
    select_locale,
    unauthorized,
)


def _no_identifier() -> str:
    return ""


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.cli.add_command(sessions_cli)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    # Sessions live on the server (models/access/sessions): ending one ends it everywhere.
    # An address- or browser-bound check would only sign phones out when they change
    # network.
    login_manager.session_protection = None
    # …and with it off, Flask-Login still hashed the address and browser (SHA-512) on
    # every request to compare with nothing: its identifier stays empty.
    login_manager._session_identifier_generator = _no_identifier
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)
    app.jinja_env.globals["device"] = device
