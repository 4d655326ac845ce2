"""Nära's front door: configuration, extensions, blueprints and CLI commands."""

from __future__ import annotations

import gc
import os
from datetime import timedelta
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

DEFAULT_SECRET = "dev-only-secret-change-me"
ROOT = Path(__file__).resolve().parent


class Config:
    """Read from the environment once, with safe defaults for a local machine."""

    def __init__(self, env: dict[str, str] | None = None):
        env = dict(os.environ if env is None else env)
        self.NARA_ENV = env.get("NARA_ENV", "development")
        self.SECRET_KEY = env.get("SECRET_KEY", DEFAULT_SECRET)
        self.DATABASE_URL = env.get(
            "DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'nara.db'}"
        )
        self.SESSION_IDLE_MINUTES = int(env.get("SESSION_IDLE_MINUTES", "30"))
        # A sign-in lasts a shift plus margin at most, however active (models/sessions).
        self.SESSION_MAX_HOURS = int(env.get("SESSION_MAX_HOURS", "12"))
        self.PREFER_HTTPS = env.get("PREFER_HTTPS", "1" if self.production else "0") == "1"
        self.BABEL_DEFAULT_LOCALE = "sv"
        self.BABEL_DEFAULT_TIMEZONE = env.get("NARA_TIMEZONE", "Europe/Stockholm")
        self.BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")
        self.RATELIMIT_STORAGE_URI = env.get("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_ENABLED = env.get("RATELIMIT_ENABLED", "1") == "1"
        # memory:// counts per process: with several workers an attacker gets their number
        # of tries. Production refuses it unless one process is all there is.
        self.RATELIMIT_ALLOW_MEMORY = env.get("RATELIMIT_ALLOW_MEMORY", "0") == "1"
        self.RATELIMIT_KEY_PREFIX = env.get("RATELIMIT_KEY_PREFIX", "nara")
        # How many proxies stand in front (nginx, Caddy: 1). Their X-Forwarded-For and
        # -Proto then give the phone's own address and scheme, so the per-address sign-in
        # cap counts each phone, not the proxy for everyone. 0: the headers are ignored (a
        # client could write them itself).
        self.TRUSTED_PROXIES = int(env.get("TRUSTED_PROXIES", "0"))
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = self.PREFER_HTTPS
        # __Host-: sent only over HTTPS, only to this host, for the whole site.
        self.SESSION_COOKIE_NAME = "__Host-nara_session" if self.PREFER_HTTPS else "nara_session"
        self.REMEMBER_COOKIE_DURATION = timedelta(seconds=0)
        # The cookie holds a server-side session's key; the server decides when it ends.
        # It is written at sign-in and sign-out only, never re-signed per request.
        self.PERMANENT_SESSION_LIFETIME = timedelta(hours=self.SESSION_MAX_HOURS)
        self.SESSION_REFRESH_EACH_REQUEST = False
        self.WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
        self.MAX_CONTENT_LENGTH = 2 * 1024 * 1024
        # where the yearly records run writes archive packages (born-day files, issue 14)
        self.RECORDS_ARCHIVE_DIR = env.get("RECORDS_ARCHIVE_DIR",
                                           str(ROOT / "instance" / "archive"))
        # how far back statistics reach: historic tallies may be imported from 1 January of
        # the year this many years ago (issue 18 §2)
        self.STATISTICS_KEEP_YEARS = int(env.get("STATISTICS_KEEP_YEARS", "10"))
        # Sign-in through the municipality's identity provider (OpenID Connect, issue 17;
        # README "Sign-in with your IdP"). Off while OIDC_ISSUER is empty.
        self.OIDC_ISSUER = env.get("OIDC_ISSUER", "").rstrip("/")
        self.OIDC_CLIENT_ID = env.get("OIDC_CLIENT_ID", "")
        self.OIDC_CLIENT_SECRET = env.get("OIDC_CLIENT_SECRET", "")
        self.OIDC_SCOPES = env.get("OIDC_SCOPES", "openid profile")
        self.OIDC_USER_CLAIM = env.get("OIDC_USER_CLAIM", "sub")
        self.OIDC_BUTTON_LABEL = env.get("OIDC_BUTTON_LABEL", "")
        self.OIDC_AUTO_LINK_BY = env.get("OIDC_AUTO_LINK_BY", "")
        self.OIDC_CREATE_USERS = env.get("OIDC_CREATE_USERS", "0") == "1"
        self.OIDC_GROUPS_MAP = env.get("OIDC_GROUPS_MAP", "")
        self.OIDC_REQUIRED_ACR = env.get("OIDC_REQUIRED_ACR", "")
        # "login": the provider asks who it is at every sign-in (shared unit phones: the
        # next person must not continue the last one's provider session); "" for SSO.
        self.OIDC_PROMPT = env.get("OIDC_PROMPT", "login")
        # 0: passwords only for break-glass admins (BREAK_GLASS_USERS, else every admin)
        self.LOCAL_LOGIN = env.get("LOCAL_LOGIN", "1") != "0"
        self.BREAK_GLASS_USERS = env.get("BREAK_GLASS_USERS", "")
        self.TESTING = False

    @property
    def production(self) -> bool:
        return self.NARA_ENV == "production"

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k.isupper()}


def create_app(config: dict | None = None) -> Flask:
    """Build the app. `config` overrides the environment (tests pass DATABASE_URL here)."""
    app = Flask(__name__, instance_path=str(ROOT / "instance"))
    from views.converters import IdConverter
    from views.templating import Environment

    app.jinja_environment = Environment  # before any extension reads app.jinja_env

    app.url_map.converters["id"] = IdConverter  # every id in a path (issue 12)
    app.config.update(Config().as_dict())
    app.config.update(config or {})
    if app.config["NARA_ENV"] == "production" and app.config["SECRET_KEY"] == DEFAULT_SECRET:
        raise RuntimeError("Refusing to start in production with the default SECRET_KEY.")
    if (app.config["NARA_ENV"] == "production" and app.config["RATELIMIT_ENABLED"]
            and app.config["RATELIMIT_STORAGE_URI"].startswith("memory://")
            and not app.config["RATELIMIT_ALLOW_MEMORY"]):
        raise RuntimeError(
            "Refusing to start in production with memory:// rate-limit storage: each worker "
            "would count sign-in failures on its own. Set RATELIMIT_STORAGE_URI=redis://… "
            "(or RATELIMIT_ALLOW_MEMORY=1 for a single process).")
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=app.config["SESSION_MAX_HOURS"])
    if "SESSION_COOKIE_NAME" not in (config or {}):  # follows PREFER_HTTPS as overridden
        https = app.config["PREFER_HTTPS"]
        app.config["SESSION_COOKIE_NAME"] = "__Host-nara_session" if https else "nara_session"
        app.config["SESSION_COOKIE_SECURE"] = https

    import models  # noqa: F401  (every table and access rule)
    from models.access import use_fast_password_hashing
    from models.core.db import make_engine
    from views import (  # the rooms
        admin,
        assets,
        auth,
        babel,
        close_db,
        csrf,
        drop_idle_limit_check,
        errors,
        home,
        htmx,
        journal,
        limiter,
        login_manager,
        manage,
        notes,
        pwa,
        records,
        tally,
        templating,
        translations,
    )
    from views.cli import register_cli
    from views.cookie_session import RememberingSessionInterface

    if app.config["DATABASE_URL"].startswith("sqlite:///"):
        Path(app.config["DATABASE_URL"][len("sqlite:///") :]).parent.mkdir(
            parents=True, exist_ok=True
        )
    app.extensions["nara_engine"] = make_engine(app.config["DATABASE_URL"])
    if app.config.get("FAST_PASSWORD_HASHING"):
        use_fast_password_hashing()

    app.session_interface = RememberingSessionInterface()  # the cookie verified once
    # First: its after_request (compression) then runs after every other one.
    assets.register(app)  # hashed static files (WhiteNoise), compressed answers
    babel.init_app(app, locale_selector=auth.select_locale)
    csrf.init_app(app)
    htmx.init_app(app)
    # One limiter serves every app made in this process, and flask-limiter keeps the first
    # app's key prefix and default limits: each app brings its own.
    limiter._key_prefix = ""
    limiter.limit_manager.set_default_limits([])
    limiter.limit_manager.set_application_limits([])
    limiter.init_app(app)
    drop_idle_limit_check(app)
    login_manager.init_app(app)
    app.teardown_appcontext(close_db)
    errors.register(app)
    templating.register(app)
    translations.register(app)  # after Flask-Babel: its `_()` in templates, faster
    register_cli(app)
    for room in (auth, home, pwa, admin, tally, notes, journal, manage, records):
        room.register(app)
    if hops := app.config["TRUSTED_PROXIES"]:  # outermost: before anything reads the address
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    return app


def serve() -> Flask:
    """The app for a long-running server: `gunicorn -w 2 'app:serve()'`."""
    app = create_app()
    settle_heap()
    return app


def settle_heap() -> None:
    """Move what start-up built (modules, app, templates) out of the garbage collector's way.

    It lives as long as the process, yet every full collection walked it again: rendering a
    500-note thread hit one about every tenth request (p95 143 ms against a 64 ms median;
    after this, 69 ms). Garbage is collected first, so nothing dead is kept."""
    gc.collect()
    gc.freeze()
