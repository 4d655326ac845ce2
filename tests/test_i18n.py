"""Every user-visible string is translated to Swedish."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def test_swedish_catalogue_has_no_untranslated_or_fuzzy_entries(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "--no-location", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as f:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    with (ROOT / "translations/sv/LC_MESSAGES/messages.po").open("rb") as f:
        catalogue = read_po(f, locale="sv")
    have = {}
    for m in catalogue:
        if m.id:
            have[m.id if isinstance(m.id, str) else m.id[0]] = m
    missing = sorted(wanted - set(have))
    untranslated = sorted(
        k for k, m in have.items()
        if k in wanted and (not all(m.string) if isinstance(m.string, tuple) else not m.string)
    )
    fuzzy = sorted(k for k, m in have.items() if k in wanted and m.fuzzy)
    assert not missing, f"not in the catalogue (run make i18n-update): {missing[:10]}"
    assert not untranslated, f"untranslated: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:10]}"


def test_a_template_follows_a_language_changed_during_the_request(app):
    """Templates' `_()` remembers the request's catalogue (views/translations.py); a change
    of language in the middle of a request (the account page's language choice, a
    message rendered in another language) must still be obeyed."""
    from flask import render_template_string
    from flask_babel import force_locale, refresh

    with app.test_request_context("/", headers={"Accept-Language": "sv"}):
        assert render_template_string("{{ _('Saved') }}") == "Sparad"
        with force_locale("en"):
            assert render_template_string("{{ _('Saved') }}") == "Saved"
        assert render_template_string("{{ _('Saved') }}") == "Sparad"
        refresh()
        assert render_template_string("{{ _('Saved') }}") == "Sparad"
