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
