"""The identity-leak guard: does a text look like it names who the person is?

Seed 000: working notes must not reveal the person's identity. Before a pseudonym or a
working note is saved, `find_identity` looks for Swedish personnummer and
samordningsnummer (10 or 12 digits, with or without separator, valid date and Luhn
check digit), phone numbers (Swedish national and international), e-mail addresses,
street addresses with a number, postcodes with a town, and common Swedish first names.
`ensure_no_identity` turns the first match into a translated field error.

The patterns read a normalised copy of the text (`normalise`): NFKC, format characters
such as zero-width spaces removed, every dash a "-", every space a " ", every decimal
digit an ASCII one. What looks like a personnummer on screen is one to the guard
(issue 12). Matches are mapped back, so the user is shown what they typed.

Each pattern is tuned against near-misses people really write in notes (dates, times,
amounts, age ranges, "handlingsplan 2", "hela vägen 2 km"); the table of cases is in
tests/test_identity.py.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from math import inf
from typing import NamedTuple

from flask_babel import lazy_gettext as _l

from models.core.errors import DomainError
from models.core.parse import luhn_valid

PERSONNUMMER = "personnummer"
PHONE = "phone"
EMAIL = "email"
ADDRESS = "address"
NAME = "name"

KIND_LABELS = {
    PERSONNUMMER: _l("a personnummer or samordningsnummer"),
    PHONE: _l("a phone number"),
    EMAIL: _l("an e-mail address"),
    ADDRESS: _l("a street address"),
    NAME: _l("a first name"),
}


@dataclass(frozen=True)
class IdentityMatch:
    kind: str
    text: str
    start: int
    end: int


# YYMMDD or YYYYMMDD, an optional "-", "+" (100 years or older) or space, then NNNN.
_PNR = re.compile(r"(?<![\d+\-])((?:18|19|20)?\d{6})[-+ ]?(\d{4})(?![\d])")
# National: 0 then 7–9 more digits, grouped by spaces or dashes (070-123 45 67, 08-12 34 56).
_PHONE_NATIONAL = re.compile(r"(?<![\d.,:/+])0[1-9](?:[ \-]?\d){6,8}(?![\d.,:/])")
# National, grouped by dots only (070.123.45.67, 08.123.456.78); a dot mixed with other
# separators is a time or a date ("kl 08.30-09.15"), so the groups are dots throughout.
_PHONE_DOTTED = re.compile(r"(?<![\d.,:/+\-])0[1-9]\d{0,2}(?:\.\d{2,4}){2,3}(?![\d.,:/])")
# International: +46 70 123 45 67, 0046 70 1234567, +358 40 1234567.
_PHONE_INTL = re.compile(r"(?<![\w])(?:\+|00)[1-9](?:[ \-]?\d){7,13}(?![\d])")
_DATE_LIKE = re.compile(r"^\d{1,2}[-/.]\d{1,2}[-/.](?:\d{2}|\d{4})$")
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[A-Za-zÅÄÖåäö]{2,}")

_LETTERS = "A-Za-zÅÄÖåäöÉéÜü"
# Compounds such as Storgatan, Ringvägen, Lärkstigen, Stortorget. "plan" and "platsen" are
# left out on purpose: "handlingsplan 2", "arbetsplatsen 3 dagar".
_STREET_SUFFIX = (
    "gatan|gata|vägen|väg|gränden|gränd|stigen|stig|backen|backe|torget|torg|"
    "allén|allé|alle|kajen|kaj|slingan|ringen|svängen|stråket|esplanaden|promenaden|"
    "bryggan|liden|lid"
)
_NUMBER = r"\d{1,4}(?!\d|[,.:]\d)(?:\s?[A-Za-z](?![A-Za-zÅÄÖåäö]))?"
_STREET_COMPOUND = re.compile(
    rf"(?<![{_LETTERS}])[{_LETTERS}]{{2,}}(?:{_STREET_SUFFIX})\s+{_NUMBER}(?!\s*(?:%|kr\b|km\b))",
)
# Separate words: "Vasa allé 4", "Drottning Kristinas väg 12", "Lilla torg 3" — only the
# indefinite forms, which are used in names, so that "Hela vägen 2 km" passes.
_STREET_WORDS = re.compile(
    rf"(?<![{_LETTERS}])[A-ZÅÄÖ][{_LETTERS}]+s?\s(?:väg|gata|allé|alle|gränd|torg|stig)"
    rf"\s+{_NUMBER}(?!\s*(?:%|kr\b|km\b))",
)
# Postcode and town: "123 45 Vaggeryd", "SE-123 45 Jönköping".
_POSTCODE = re.compile(r"(?<![\d])(?:SE-?)?\d{3}\s?\d{2}\s+[A-ZÅÄÖ][a-zåäö]{2,}")

# A small list of common Swedish first names (SCB's most common, all ages). Names that are
# also ordinary words are left out on purpose: Bo, Per, Maj, Liv, Klara, Saga, Björn,
# Rosa, Sol, Love, Lova, Mark, Sten, Dag, Karl, Ask, Tor, My, Iris, Vide, Ture, Hans ("his"),
# Max ("max 5 samtal").
FIRST_NAMES = frozenset("""
Adam Agnes Albin Alexander Alice Alicia Alma Alva Amanda Andreas Anders Anna Anneli
Annika Anton Arvid Astrid Axel Barbro Benjamin Birgitta Britt Carina Caroline Cecilia
Charlotte Christer Christina Daniel David Ebba Edvin Elias Elin Elisabeth Ella Ellen
Ellie Elsa Elvira Emil Emilia Emma Eric Erik Eva Evelina Felicia Filip Frida Fredrik
Gunilla Gustav Hampus Hanna Hannes Harry Helena Henrik Hugo Ida Ines Ingrid Isabelle
Isak Jakob Jan Jenny Jessica Joel Johan Johanna Jonas Jonathan Josefin Julia Karin
Kerstin Kevin Kristina Lars Leo Leon Lena Lennart Liam Lina Linda Linnea Linnéa Lisa
Lo Loke Lucas Ludvig Lukas Magnus Maja Malin Margareta Maria Marie Martin Mattias
Maximilian Meja Melvin Michael Mikael Moa Mohammed Molly Nathalie Nicole Nils Noah
Nora Olivia Olle Oliver Oscar Oskar Patrik Peter Rebecka Sara Sebastian Selma Signe
Simon Siv Sofia Sofie Stefan Stina Susanne Svea Theo Thomas Tilde Tilda Tobias Tove
Ulla Ulrika Valter Vera Viktor Vilgot Vilma Wilma William Yvonne Åsa Ebbe Elton Nelly
""".split())
_WORD = re.compile(rf"(?<![{_LETTERS}])[A-ZÅÄÖÉ][a-zåäöéü]+(?![{_LETTERS}])")




def _plausible_birth_date(yymmdd: str) -> bool:
    month, day = int(yymmdd[2:4]), int(yymmdd[4:6])
    if day > 60:  # samordningsnummer: day of birth + 60
        day -= 60
    return 1 <= month <= 12 and 1 <= day <= 31


def _personnummer(text: str) -> list[IdentityMatch]:
    found = []
    for m in _PNR.finditer(text):
        date, serial = m.group(1), m.group(2)
        short = date[-6:]
        if _plausible_birth_date(short) and luhn_valid(short + serial):
            found.append(IdentityMatch(PERSONNUMMER, m.group(0), m.start(), m.end()))
    return found


def _phones(text: str) -> list[IdentityMatch]:
    found = []
    for pattern in (_PHONE_NATIONAL, _PHONE_DOTTED, _PHONE_INTL):
        for m in pattern.finditer(text):
            candidate = m.group(0).strip()
            if _DATE_LIKE.match(candidate):
                continue
            if pattern is _PHONE_DOTTED and not 8 <= sum(c.isdigit() for c in candidate) <= 10:
                continue
            found.append(IdentityMatch(PHONE, candidate, m.start(), m.start() + len(candidate)))
    return found


def _simple(kind: str, *patterns: re.Pattern) -> Callable[[str], list[IdentityMatch]]:
    def scan(text: str) -> list[IdentityMatch]:
        return [
            IdentityMatch(kind, m.group(0), m.start(), m.end())
            for pattern in patterns
            for m in pattern.finditer(text)
        ]

    return scan


def _names(text: str) -> list[IdentityMatch]:
    return [
        IdentityMatch(NAME, m.group(0), m.start(), m.end())
        for m in _WORD.finditer(text)
        if m.group(0) in FIRST_NAMES
    ]


# Characters that NFKC leaves alone and that need no mapping: ordinary Swedish text is
# made of them, and runs of them are copied as they are.
_NOT_PLAIN = re.compile(r"[^\x00-\x7f\u00c0-\u00ff\u2018\u2019\u201c\u201d]")
_MINUS_SIGNS = "\u2212\u2796\u02d7"


def _mapped(ch: str) -> str:
    category = unicodedata.category(ch)
    if category == "Cf":
        return ""
    if category == "Pd" or ch in _MINUS_SIGNS:
        return "-"
    if category == "Zs":
        return " "
    if category == "Nd":
        return str(unicodedata.decimal(ch))
    return ch


class Normalised(NamedTuple):
    """The text the patterns read, and how its characters map back to the original:
    `pieces` are (start in `text`, start in the original, end in the original, copied),
    a copied piece one to one, any other the normal form of one original cluster."""

    text: str
    pieces: list[tuple[int, int, int, bool]]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        return self._original(start)[0], self._original(end - 1)[1]

    def _original(self, index: int) -> tuple[int, int]:
        at, begin, finish, copied = self.pieces[bisect_right(self.pieces, (index, inf)) - 1]
        return (begin + index - at, begin + index - at + 1) if copied else (begin, finish)


def normalise(text: str) -> Normalised:
    """NFKC, format characters removed, every dash "-", every space " ", digits ASCII."""
    out: list[str] = []
    pieces: list[tuple[int, int, int, bool]] = []
    length, done = 0, 0
    for found in _NOT_PLAIN.finditer(text):
        i = found.start()
        if i < done:
            continue  # a combining mark already taken with its letter
        if i > done and unicodedata.category(text[i]).startswith("M"):
            i -= 1  # a letter and its combining marks are normalised together (e + ´ = é)
        if i > done:
            pieces.append((length, done, i, True))
            out.append(text[done:i])
            length += i - done
        j = i + 1
        while j < len(text) and unicodedata.category(text[j]).startswith("M"):
            j += 1
        form = "".join(_mapped(ch) for ch in unicodedata.normalize("NFKC", text[i:j]))
        if form:
            pieces.append((length, i, j, False))
            out.append(form)
            length += len(form)
        done = j
    if done < len(text):
        pieces.append((length, done, len(text), True))
        out.append(text[done:])
    return Normalised("".join(out), pieces)


_SCANNERS = (
    _personnummer,
    _phones,
    _simple(EMAIL, _EMAIL),
    _simple(ADDRESS, _STREET_COMPOUND, _STREET_WORDS, _POSTCODE),
    _names,
)


def find_identity(text: str | None, names: bool = True) -> list[IdentityMatch]:
    """Everything in `text` that looks like identity, in reading order, without overlaps.

    Earlier scanners win an overlap: a 10-digit number that is a valid personnummer is
    reported as one even if it could also be dialled.
    """
    if not text:
        return []
    plain = normalise(text)
    taken: list[IdentityMatch] = []
    for scan in _SCANNERS if names else _SCANNERS[:-1]:
        for match in scan(plain.text):
            if not any(match.start < t.end and t.start < match.end for t in taken):
                taken.append(match)
    return sorted((_as_typed(text, plain, m) for m in taken), key=lambda m: m.start)


def _as_typed(text: str, plain: Normalised, match: IdentityMatch) -> IdentityMatch:
    """The match as the user typed it: its span mapped back to the original text."""
    start, end = plain.original_span(match.start, match.end)
    return IdentityMatch(match.kind, text[start:end], start, end)


def ensure_no_identity(text: str | None, field: str, names: bool = True) -> None:
    """Raise a field error naming the first identity-like match in `text`."""
    matches = find_identity(text, names=names)
    if matches:
        first = matches[0]
        raise DomainError(
            _l(
                "This looks like %(kind)s: “%(match)s”. Working notes must not show who the "
                "person is. Remove it or write around it."
            ),
            field,
            kind=KIND_LABELS[first.kind],
            match=first.text,
        )
