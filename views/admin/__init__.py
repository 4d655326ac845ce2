"""Administration: people, units, the activity catalogue, settings, the admin log."""

from __future__ import annotations

from flask import Flask

from views.admin import catalogue, idp_link, log, settings  # noqa: F401  (their routes join bp)
from views.admin.routes import bp


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["idp_link_of"] = idp_link.link_of_person
    app.jinja_env.globals["idp_context"] = idp_link.idp_context
