"""Archive packages for born-day files (issue 14, section 2): the born-day rule and the
E-ARK CSIP package (METS.xml validated offline against the METS XSD shipped by the
eark-validator package, through lxml)."""

from __future__ import annotations

import json
import re
import zlib

import pytest
from lxml import etree

from models.journal.file import whole_file
from models.records import archive
from tests.journal_helpers import make_home
from tests.records_helpers import mets_schema

M = {"mets": archive.METS, "xlink": archive.XLINK, "csip": archive.CSIP}


@pytest.mark.parametrize("number", ["19400505-1234", "19400515-1234", "19400525-1234"])
def test_a_personnummer_born_on_day_5_15_or_25_is_archived(number):
    assert archive.born_on_archive_day(number)


@pytest.mark.parametrize("number", ["19400565-1234", "19400575-1234", "19400585-1234"])
def test_a_samordningsnummer_born_on_day_5_15_or_25_is_archived(number):
    assert archive.born_on_archive_day(number)


@pytest.mark.parametrize("number", ["19400516-1234", "19400504-1234", "19400576-1234"])
def test_other_days_are_not_archived(number):
    assert not archive.born_on_archive_day(number)


def test_a_reserve_number_is_not_archived_by_the_rule():
    assert not archive.born_on_archive_day("19400515-1234", reserve_number=True)


@pytest.fixture
def package(app, people, tmp_path):
    home = make_home(people)
    with app.test_request_context():
        file = whole_file(people.db, home.client)
        pdf = archive.pdf_a("<p>Åsa Öberg – journal</p>")
        return archive.write_package(tmp_path, file, home.unit.name, ["sol"], pdf)


def test_the_package_folder_holds_the_csip_structure(package):
    for name in ("METS.xml", archive.DESCRIPTIVE, archive.PRESERVATION, archive.PDF,
                 archive.ENTRIES):
        assert (package / name).is_file(), name


def test_mets_validates_against_the_mets_schema(package):
    mets_schema().assertValid(etree.parse(str(package / "METS.xml")))


def test_mets_names_the_package_and_its_content_type(package):
    root = etree.parse(str(package / "METS.xml")).getroot()
    assert root.get("OBJID") == package.name
    assert root.get("TYPE") and root.get(f"{{{archive.CSIP}}}CONTENTINFORMATIONTYPE")
    assert root.xpath("mets:metsHdr/mets:agent/mets:name/text()", namespaces=M) == ["Nära"]


def test_every_file_is_listed_with_its_sha256_and_size(package):
    root = etree.parse(str(package / "METS.xml")).getroot()
    for el in root.xpath("//mets:file | //mets:mdRef", namespaces=M):
        href = (el.get(f"{{{archive.XLINK}}}href")
                or el.find("mets:FLocat", M).get(f"{{{archive.XLINK}}}href"))
        assert el.get("CHECKSUMTYPE") == "SHA-256"
        assert el.get("CHECKSUM") == archive.sha256(package / href)
        assert int(el.get("SIZE")) == (package / href).stat().st_size


def _streams(data: bytes):
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            yield zlib.decompress(match.group(1))
        except zlib.error:
            yield match.group(1)


def test_the_pdf_declares_pdf_a_2b(package):
    data = (package / archive.PDF).read_bytes()
    xmp = b"".join(s for s in _streams(data) if b"pdfaid" in s)
    assert b'pdfaid:part="2"' in xmp and b'pdfaid:conformance="B"' in xmp


def test_the_entries_are_structured_data_with_times_category_and_author(package):
    entries = json.loads((package / archive.ENTRIES).read_text("utf-8"))["entries"]
    assert entries and {"occurred_at", "written_at", "category", "author", "corrected_by",
                        "disputed_by"} <= set(entries[0])


def test_the_descriptive_record_names_the_person_and_the_period(package):
    record = json.loads((package / archive.DESCRIPTIVE).read_text("utf-8"))
    assert record["personal_number"] == "19380515-2380"
    assert record["assignment_kinds"] == ["sol"] and record["period"]["from"]


def test_verification_finds_a_changed_file(package):
    (package / archive.ENTRIES).write_text("{}", "utf-8")
    with pytest.raises(archive.PackageError):
        archive.verify_package(package)


def test_verification_finds_a_file_not_listed(package):
    (package / "representations/rep1/data/extra.txt").write_text("x", "utf-8")
    with pytest.raises(archive.PackageError):
        archive.verify_package(package)
