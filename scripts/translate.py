"""Apply Swedish translations to translations/sv/LC_MESSAGES/messages.po.

Usage: python scripts/translate.py translations.json   ({"English msgid": "Svensk text"})
        python scripts/translate.py --missing           (list untranslated msgids as JSON)
Runs `make i18n-update` first so new strings are in the catalogue. Holds a file lock so
several people can run it at once. Plural entries take a list: ["en form", "flera former"].
"""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "translations" / "sv" / "LC_MESSAGES" / "messages.po"


def main() -> int:
    with open(ROOT / "translations" / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(["make", "-s", "i18n-update"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with PO.open("rb") as f:
            catalog = read_po(f, locale="sv")
        if sys.argv[1:] == ["--missing"]:
            missing = [m.id for m in catalog if m.id and (not _done(m) or m.fuzzy)]
            print(json.dumps(missing, ensure_ascii=False, indent=1))
            return 0
        updates = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
        unknown = []
        for key, value in updates.items():
            message = next((m for m in catalog if m.id and (_key(m.id) == key)), None)
            if message is None:
                unknown.append(key)
                continue
            message.string = tuple(value) if isinstance(message.id, tuple) else value
            message.flags.discard("fuzzy")
        with PO.open("wb") as f:
            write_po(f, catalog, width=100, omit_header=False, sort_output=True,
                     include_previous=False, no_location=True)
        subprocess.run(["make", "-s", "translations"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if unknown:
            print("not in the catalogue (typo, or not extracted yet):", *unknown, sep="\n  ")
        return 0


def _key(msgid) -> str:
    return msgid[0] if isinstance(msgid, tuple) else msgid


def _done(message) -> bool:
    if isinstance(message.string, tuple):
        return all(message.string)
    return bool(message.string)


if __name__ == "__main__":
    sys.exit(main())
