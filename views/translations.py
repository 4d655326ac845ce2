"""Templates' `_()` with the request's translations looked up once, not per string.

Flask-Babel finds the translations for every string anew: its context, the domain, the
locale (and the locale's name) and its cache, about 15 µs each time. A saved bubble asks a
handful of times and a journal thread hundreds. The catalogue is remembered here next to
Flask-Babel's own locale, so `refresh()` and `force_locale()` (which change that locale)
are still obeyed: a different locale object finds a different catalogue.
"""

from __future__ import annotations

import flask_babel
from flask import Flask, g, has_app_context
from flask_babel import get_locale, get_translations
from jinja2 import pass_eval_context
from markupsafe import Markup


def translations():
    ctx = getattr(g, "_flask_babel", None)
    if ctx is not None:
        cached = getattr(ctx, "nara_translations", None)
        if cached is not None and cached[0] is getattr(ctx, "babel_locale", None):
            return cached[1]
    locale = get_locale()  # settles the locale on Flask-Babel's context
    found = get_translations()
    ctx = getattr(g, "_flask_babel", None)
    if ctx is not None and locale is not None:
        ctx.nara_translations = (locale, found)
    return found


def gettext(string: str, **variables) -> str:
    """Flask-Babel's `gettext`, through the remembered catalogue."""
    if not has_app_context():  # CLI, demo data: Flask-Babel's own answer
        return flask_babel.gettext(string, **variables)
    text = translations().ugettext(string)
    return text % variables if variables else text


@pass_eval_context
def _template_gettext(eval_ctx, string: str, **variables) -> str:
    """Templates' `_()` and `gettext()`: what Jinja's newstyle gettext does (escaped in an
    autoescaped template, always a format string), in one call instead of three (its alias
    and wrapper each went through the template context's dispatch, ~8 µs a string)."""
    text = translations().ugettext(string)
    if eval_ctx.autoescape:
        text = Markup(text)
    # `text % {}` is `text` itself unless it holds a "%" ("%%" -> "%"): skipped only then
    return text % variables if variables or "%" in text else text


def locale_name() -> str:
    """The request's language as a code ("sv", "en"); Swedish outside a request."""
    locale = get_locale()
    return str(locale) if locale else "sv"


def register(app: Flask) -> None:
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(gettext=_template_gettext, _=_template_gettext)
