"""The identity-leak guard: a table of things that identify a person, and near-misses
that must pass (dates, times, amounts, ages, ordinary words)."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from models.core.errors import DomainError
from models.notes.guard import (
    ADDRESS,
    EMAIL,
    NAME,
    PERSONNUMMER,
    PHONE,
    ensure_no_identity,
    find_identity,
)

# (text, kind, the part that must be pointed at)
POSITIVES = [
    # personnummer: with/without century, with/without separator, "+" for 100 years or older
    ("Pratade om 850709-9805 idag", PERSONNUMMER, "850709-9805"),
    ("8507099805", PERSONNUMMER, "8507099805"),
    ("pnr 19850709-9805", PERSONNUMMER, "19850709-9805"),
    ("198507099805", PERSONNUMMER, "198507099805"),
    ("Tolvan 121212-1212", PERSONNUMMER, "121212-1212"),
    ("19121212+1212", PERSONNUMMER, "19121212+1212"),
    ("121212+1212", PERSONNUMMER, "121212+1212"),
    ("850709 9805", PERSONNUMMER, "850709 9805"),
    ("född 20010101-1005 enligt", PERSONNUMMER, "20010101-1005"),
    # samordningsnummer: day of birth + 60
    ("samordningsnr 850769-1007", PERSONNUMMER, "850769-1007"),
    ("8507691007", PERSONNUMMER, "8507691007"),
    # phone numbers
    ("ring 070-123 45 67", PHONE, "070-123 45 67"),
    ("0701234567", PHONE, "0701234567"),
    ("tel 070 123 45 67 efter fem", PHONE, "070 123 45 67"),
    ("08-123 456 78", PHONE, "08-123 456 78"),
    ("036-12 34 56", PHONE, "036-12 34 56"),
    ("0370-123 45", PHONE, "0370-123 45"),
    ("+46 70 123 45 67", PHONE, "+46 70 123 45 67"),
    ("+46701234567", PHONE, "+46701234567"),
    ("0046 70 123 45 67", PHONE, "0046 70 123 45 67"),
    ("mammans nr +358 40 1234567", PHONE, "+358 40 1234567"),
    # e-mail
    ("mejla anna.svensson@example.se", EMAIL, "anna.svensson@example.se"),
    ("x_y+tag@mail.co.uk skrev", EMAIL, "x_y+tag@mail.co.uk"),
    ("Blå7@hotmail.com", EMAIL, "Blå7@hotmail.com"),
    # street addresses with number, postcode with town
    ("bor på Storgatan 12", ADDRESS, "Storgatan 12"),
    ("storgatan 12b", ADDRESS, "storgatan 12b"),
    ("Ringvägen 5 B", ADDRESS, "Ringvägen 5 B"),
    ("Lärkstigen 4", ADDRESS, "Lärkstigen 4"),
    ("Stortorget 1", ADDRESS, "Stortorget 1"),
    ("Vasa allé 4", ADDRESS, "Vasa allé 4"),
    ("Drottning Kristinas väg 12", ADDRESS, "Kristinas väg 12"),
    ("Solbacken 7", ADDRESS, "Solbacken 7"),
    ("567 31 Vaggeryd", ADDRESS, "567 31 Vaggeryd"),
    ("56731 Vaggeryd", ADDRESS, "56731 Vaggeryd"),
    # common first names, capitalised
    ("Anna berättade om skolan", NAME, "Anna"),
    ("pappan Erik var med", NAME, "Erik"),
    ("Linnéa 3", NAME, "Linnéa"),
    ("syster Åsa", NAME, "Åsa"),
    # the same things as they look on screen, typed with other characters (issue 12):
    # zero-width and other format characters, no-break and thin spaces, other dashes,
    # full-width digits and signs, decomposed letters. Pointed at as typed.
    ("Pnr 1912\u200b1212-1212", PERSONNUMMER, "1912\u200b1212-1212"),
    ("19121212\u00a01212", PERSONNUMMER, "19121212\u00a01212"),
    ("１９１２１２１２－１２１２", PERSONNUMMER, "１９１２１２１２－１２１２"),
    ("Tolvan 121212\u20131212", PERSONNUMMER, "121212\u20131212"),
    ("850709\u2060-\u20609805", PERSONNUMMER, "850709\u2060-\u20609805"),
    ("\ufeff8507099805", PERSONNUMMER, "8507099805"),
    ("85\u00ad07\u00ad09\u00ad9805", PERSONNUMMER, "85\u00ad07\u00ad09\u00ad9805"),
    ("19121212\uff0b1212", PERSONNUMMER, "19121212\uff0b1212"),
    ("ring 070.123.45.67", PHONE, "070.123.45.67"),
    ("08.123.456.78", PHONE, "08.123.456.78"),
    ("ring ０７０－１２３ ４５ ６７", PHONE, "０７０－１２３ ４５ ６７"),
    ("070\u2011123\u202f45\u00a067", PHONE, "070\u2011123\u202f45\u00a067"),
    ("070\u200b1234567", PHONE, "070\u200b1234567"),
    ("+46\u00a070\u00a0123\u00a045\u00a067", PHONE, "+46\u00a070\u00a0123\u00a045\u00a067"),
    ("anna＠example.se", EMAIL, "anna＠example.se"),
    ("anna\u200b@example\u200b.se", EMAIL, "anna\u200b@example\u200b.se"),
    ("bor på Storgatan\u00a012", ADDRESS, "Storgatan\u00a012"),
    ("Ａｎｎａ berättade", NAME, "Ａｎｎａ"),
    ("Linne\u0301a 3", NAME, "Linne\u0301a"),
]

# Things people write in notes that identify no one.
NEAR_MISSES = [
    "Blå 7",
    "Grön 12",
    "Träffades 2024-05-12 kl 14:30",
    "Nästa möte 12/5 kl 10.00–11.30",
    "01.02.2024",
    "01-02-2024",
    "1/2-2024",
    "20240512",
    "2024-05-12 10:30",
    "Kostade 1 250 kr",
    "Skulder på 125 000 kronor",
    "Skulder på 1250000 kr",
    "betalar 0,50 kr per sms",
    "klockan 07.45",
    "07:45–08:30",
    "vecka 19, 3:e samtalet",
    "barn 0-6 år, ungdomar 13-21 år",
    "Betyg 4 av 5",
    "sida 12-14",
    "2019-2024",
    # Luhn-invalid and impossible dates
    "850709-9806",
    "851309-1002",  # month 13
    "850700-1234",
    "12345678",
    "Rum 101",
    "ute på gatan 3 gånger",
    "hela vägen 2 km",
    "Hela vägen 20 km",
    "handlingsplan 2",
    "på arbetsplatsen 3 dagar",
    "mejlade skolan @ 10",
    "e-post saknas",
    "Max fem samtal",
    "Hans mamma var med",
    "Per vecka två samtal",
    "Klara av skolan",
    "Björn och Liv var med på bild",
    "anna är ett ord här",
    "telefon saknas",
    "Kom in via BVC, oro för sömn",
    "Samtal 4 av 5, bra utveckling",
    "+5 grader",
    "0 kr",
    "ca 070",
    # near-misses typed with other characters: still dates, times, amounts and ranges
    "kl 08.30–09.15",
    "klockan 07.45\u201308.30",
    "Träffas 12.05.2024",
    "skåp 01.23.45",
    "version 0.12.3",
    "Nästa möte 2024\u201105\u201112",
    "Kostade 1\u00a0250 kr",
    "Skulder på 125\u202f000 kronor",
    "850709\u20139806",
    "barn 0–6 år, ungdomar 13–21 år",
    "sida 12—14",
    "２０１９–２０２４",
    "mejlade skolan ＠ 10",
    "\u22125 grader",
    "\u200b",
    "anna\u200bär ett ord här",
]


@pytest.mark.parametrize(("text", "kind", "matched"), POSITIVES)
def test_identity_is_found_and_pointed_at(text, kind, matched):
    found = find_identity(text)
    assert found, f"nothing found in {text!r}"
    assert (found[0].kind, found[0].text) == (kind, matched)
    assert text[found[0].start : found[0].end] == matched


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_near_miss_is_not_taken_for_identity(text):
    assert find_identity(text) == []


def test_a_valid_personnummer_is_reported_as_such_even_if_it_could_be_dialled():
    # 0701231003 is also a plausible mobile number; the stronger reading wins.
    assert [m.kind for m in find_identity("0701231003")] == [PERSONNUMMER]


def test_every_match_in_a_text_is_listed_in_reading_order():
    text = "Erik, 850709-9805, bor på Storgatan 12, ring 070-123 45 67 eller erik@example.se"
    assert [m.kind for m in find_identity(text)] == [NAME, PERSONNUMMER, ADDRESS, PHONE, EMAIL]


def test_names_can_be_left_out_of_the_check():
    assert find_identity("Anna berättade", names=False) == []
    assert find_identity("Anna 850709-9805", names=False)[0].kind == PERSONNUMMER


def test_empty_text_is_fine():
    assert find_identity("") == [] and find_identity(None) == []
    ensure_no_identity(None, "note")


def test_refusal_names_the_field_and_quotes_the_match_in_swedish(app):
    with app.test_request_context(), force_locale("sv"):
        with pytest.raises(DomainError) as refused:
            ensure_no_identity("Samtal med 850709-9805 om skolan", "note")
        assert refused.value.field == "note"
        message = str(refused.value)
        assert "850709-9805" in message
        assert "personnummer" in message
        assert "Working notes" not in message  # translated


def test_refusal_quotes_the_match_as_the_user_typed_it(app):
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(DomainError) as refused:
            ensure_no_identity("Pnr 1912\u200b1212-1212 i journalen", "note")
        assert "“1912\u200b1212-1212”" in str(refused.value)


def test_refusal_is_in_english_for_an_english_user(app):
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(DomainError) as refused:
            ensure_no_identity("ring 070-123 45 67", "note")
        assert str(refused.value).startswith("This looks like a phone number: “070-123 45 67”")
