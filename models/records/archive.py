"""Archive packages for the files kept for research (seed 003: born on day 5, 15 or 25).

A package follows the E-ARK Common Specification for Information Packages (CSIP 2.0),
which the Swedish National Archives' FGS package structure builds on:

    <package id>/                        the folder is named by the package id (= OBJID)
      METS.xml                           root METS: OBJID, TYPE, csip:CONTENTINFORMATIONTYPE,
                                         agent, fileSec with SHA-256 and size of every file
      metadata/descriptive/client.json   name, personnummer, unit, kinds, period covered
      metadata/preservation/premis.xml   PREMIS events: creation, checksums computed
      representations/rep1/data/file.pdf     the whole file as PDF/A-2b (the right-to-read
                                             rendering, without any secrecy review)
      representations/rep1/data/entries.json every entry: times, category, author,
                                             corrections and disagreements

`write_package` writes it, `verify_package` re-reads it and compares every checksum.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree as ET

from models.core.db import utcnow
from models.journal.file import ClientFile

ARCHIVE_DAYS = {5, 15, 25}
SAMORDNING_OFFSET = 60  # a samordningsnummer has 60 added to the day of birth
CSIP_PROFILE = "https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml"
METS = "http://www.loc.gov/METS/"
XLINK = "http://www.w3.org/1999/xlink"
CSIP = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
PREMIS = "http://www.loc.gov/premis/v3"
ET.register_namespace("mets", METS)
ET.register_namespace("xlink", XLINK)
ET.register_namespace("csip", CSIP)
ET.register_namespace("xsi", XSI)
ET.register_namespace("premis", PREMIS)

PDF = "representations/rep1/data/file.pdf"
ENTRIES = "representations/rep1/data/entries.json"
DESCRIPTIVE = "metadata/descriptive/client.json"
PRESERVATION = "metadata/preservation/premis.xml"
MIMETYPES = {PDF: "application/pdf", ENTRIES: "application/json",
             DESCRIPTIVE: "application/json", PRESERVATION: "text/xml"}


class PackageError(Exception):
    """A package could not be written, or what was written does not verify."""


def born_on_archive_day(personal_number: str, reserve_number: bool = False) -> bool:
    """Seed 003: born on day 5, 15 or 25 of a month (personnummer YYYYMMDD-NNNN, day
    05/15/25). A samordningsnummer has 60 added to the day: 65/75/85 count too. A reserve
    number carries no birth date and is not archived by this rule."""
    if reserve_number:
        return False
    digits = personal_number.replace("-", "").replace("+", "")
    if len(digits) != 12 or not digits.isdigit():
        return False
    day = int(digits[6:8])
    if day > SAMORDNING_OFFSET:
        day -= SAMORDNING_OFFSET
    return day in ARCHIVE_DAYS


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def entries_record(file: ClientFile) -> dict:
    """The entries as structured data: every entry, corrections and disagreements linked."""
    rows = []
    for v in file.entries:
        e = v.entry
        rows.append({
            "id": e.id, "uuid": e.uuid, "assignment_id": e.assignment_id,
            "category": e.category, "topic": e.topic, "text": e.text,
            "occurred_at": _iso(e.occurred_at), "written_at": _iso(e.written_at),
            "author": v.author.display_name, "refers_to": e.refers_to_id,
            "corrected_by": [c.id for c in (v.corrected_by or [])],
            "disputed_by": [d.id for d in (v.disputed_by or [])],
            "goal_outcomes": [{"goal": g.goal, "outcome": o.outcome}
                              for g, o in (v.outcomes or [])],
        })
    return {"client_personal_number": file.client.personal_number, "entries": rows}


def descriptive_record(file: ClientFile, unit_name: str, kinds: list[str]) -> dict:
    days = [e.entry.written_at.date() for e in file.entries]
    days += [a.started_on for a in file.assignments] + [
        a.ended_on for a in file.assignments if a.ended_on]
    return {
        "name": file.client.name, "personal_number": file.client.personal_number,
        "reserve_number": file.client.reserve_number,
        "born_on": file.client.born_on.isoformat(), "unit": unit_name,
        "assignment_kinds": kinds,
        "assignments": [{"kind": a.kind, "title": a.title,
                         "started_on": a.started_on.isoformat(),
                         "ended_on": a.ended_on.isoformat() if a.ended_on else None}
                        for a in file.assignments],
        "period": {"from": min(days).isoformat() if days else None,
                   "to": max(days).isoformat() if days else None},
        "rule": "Seed 003: born on day 5, 15 or 25; kept for research.",
    }


def _premis(package_id: str, files: dict[str, str], now: datetime) -> bytes:
    root = ET.Element(f"{{{PREMIS}}}premis", {"version": "3.0"})
    for name, digest in sorted(files.items()):
        obj = ET.SubElement(root, f"{{{PREMIS}}}object",
                            {f"{{{XSI}}}type": "premis:file"})
        ident = ET.SubElement(obj, f"{{{PREMIS}}}objectIdentifier")
        ET.SubElement(ident, f"{{{PREMIS}}}objectIdentifierType").text = "local"
        ET.SubElement(ident, f"{{{PREMIS}}}objectIdentifierValue").text = name
        chars = ET.SubElement(obj, f"{{{PREMIS}}}objectCharacteristics")
        fixity = ET.SubElement(chars, f"{{{PREMIS}}}fixity")
        ET.SubElement(fixity, f"{{{PREMIS}}}messageDigestAlgorithm").text = "SHA-256"
        ET.SubElement(fixity, f"{{{PREMIS}}}messageDigest").text = digest
    for kind in ("creation", "message digest calculation"):
        event = ET.SubElement(root, f"{{{PREMIS}}}event")
        ident = ET.SubElement(event, f"{{{PREMIS}}}eventIdentifier")
        ET.SubElement(ident, f"{{{PREMIS}}}eventIdentifierType").text = "local"
        ET.SubElement(ident, f"{{{PREMIS}}}eventIdentifierValue").text = (
            f"{package_id}-{kind.split()[0]}")
        ET.SubElement(event, f"{{{PREMIS}}}eventType").text = kind
        ET.SubElement(event, f"{{{PREMIS}}}eventDateTime").text = _iso(now)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _file_attrs(folder: Path, name: str, ident: str, now: datetime) -> dict:
    path = folder / name
    return {"ID": ident, "MIMETYPE": MIMETYPES[name], "SIZE": str(path.stat().st_size),
            "CREATED": _iso(now), "CHECKSUM": sha256(path), "CHECKSUMTYPE": "SHA-256"}


def _mets(folder: Path, package_id: str, now: datetime) -> bytes:
    m = f"{{{METS}}}"
    root = ET.Element(f"{m}mets", {
        "OBJID": package_id, "LABEL": "Social file kept for research (seed 003)",
        "TYPE": "Mixed", "PROFILE": CSIP_PROFILE,
        f"{{{CSIP}}}CONTENTINFORMATIONTYPE": "MIXED",
        f"{{{XSI}}}schemaLocation": f"{METS} http://www.loc.gov/standards/mets/mets.xsd"})
    hdr = ET.SubElement(root, f"{m}metsHdr", {"CREATEDATE": _iso(now),
                                               "RECORDSTATUS": "NEW",
                                               f"{{{CSIP}}}OAISPACKAGETYPE": "SIP"})
    agent = ET.SubElement(hdr, f"{m}agent", {"ROLE": "CREATOR", "TYPE": "OTHER",
                                             "OTHERTYPE": "SOFTWARE"})
    ET.SubElement(agent, f"{m}name").text = "Nära"
    ET.SubElement(agent, f"{m}note", {f"{{{CSIP}}}NOTETYPE": "SOFTWARE VERSION"}).text = "1"

    def md_ref(parent, name: str, ident: str, mdtype: str, other: str | None = None):
        attrs = _file_attrs(folder, name, ident, now)
        attrs.pop("ID")
        ref = {"LOCTYPE": "URL", f"{{{XLINK}}}type": "simple", f"{{{XLINK}}}href": name,
               "MDTYPE": mdtype, **attrs}
        if other:
            ref["OTHERMDTYPE"] = other
        ET.SubElement(parent, f"{m}mdRef", ref)

    dmd = ET.SubElement(root, f"{m}dmdSec", {"ID": "dmd-client", "CREATED": _iso(now),
                                             "STATUS": "CURRENT"})
    md_ref(dmd, DESCRIPTIVE, "dmd-client-file", "OTHER", "JSON")
    amd = ET.SubElement(root, f"{m}amdSec")
    digiprov = ET.SubElement(amd, f"{m}digiprovMD", {"ID": "premis", "STATUS": "CURRENT"})
    md_ref(digiprov, PRESERVATION, "premis-file", "PREMIS")
    file_sec = ET.SubElement(root, f"{m}fileSec", {"ID": "filesec"})
    group = ET.SubElement(file_sec, f"{m}fileGrp", {
        "ID": "rep1", "USE": "Representations/rep1",
        f"{{{CSIP}}}CONTENTINFORMATIONTYPE": "MIXED"})
    for ident, name in (("file-pdf", PDF), ("file-entries", ENTRIES)):
        f = ET.SubElement(group, f"{m}file", _file_attrs(folder, name, ident, now))
        ET.SubElement(f, f"{m}FLocat", {"LOCTYPE": "URL", f"{{{XLINK}}}type": "simple",
                                        f"{{{XLINK}}}href": name})
    struct = ET.SubElement(root, f"{m}structMap", {"ID": "structmap", "TYPE": "PHYSICAL",
                                                   "LABEL": "CSIP"})
    top = ET.SubElement(struct, f"{m}div", {"ID": "div-root", "LABEL": package_id})
    ET.SubElement(top, f"{m}div", {"ID": "div-metadata", "LABEL": "Metadata",
                                   "DMDID": "dmd-client", "ADMID": "premis"})
    rep = ET.SubElement(top, f"{m}div", {"ID": "div-rep1", "LABEL": "Representations/rep1"})
    for ident in ("file-pdf", "file-entries"):
        ET.SubElement(rep, f"{m}fptr", {"FILEID": ident})
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def write_package(root: Path, file: ClientFile, unit_name: str, kinds: list[str],
                  pdf: bytes, now: datetime | None = None) -> Path:
    """Write one package under `root`; returns its folder (named by its package id)."""
    now = now or utcnow()
    package_id = f"uuid-{uuid.uuid4()}"
    folder = Path(root) / package_id
    if not pdf.startswith(b"%PDF-"):
        raise PackageError("the rendering is not a PDF")
    try:
        folder.mkdir(parents=True)
        _write(folder / PDF, pdf)
        _write(folder / ENTRIES, _json(entries_record(file)))
        _write(folder / DESCRIPTIVE, _json(descriptive_record(file, unit_name, kinds)))
        sums = {n: sha256(folder / n) for n in (PDF, ENTRIES, DESCRIPTIVE)}
        _write(folder / PRESERVATION, _premis(package_id, sums, now))
        _write(folder / "METS.xml", _mets(folder, package_id, now))
    except OSError as error:
        shutil.rmtree(folder, ignore_errors=True)
        raise PackageError(f"writing {package_id} failed: {error.strerror}") from error
    return folder


def _json(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def verify_package(folder: Path) -> str:
    """Re-read the package: OBJID is the folder's name, every file is listed in METS.xml
    with its size and SHA-256, and nothing unlisted lies beside them. Returns the SHA-256
    of METS.xml; raises PackageError on the first mismatch."""
    folder = Path(folder)
    try:
        tree = ET.parse(folder / "METS.xml")
    except (OSError, ET.ParseError) as error:
        raise PackageError(f"{folder.name}: METS.xml cannot be read") from error
    root = tree.getroot()
    if root.get("OBJID") != folder.name:
        raise PackageError(f"{folder.name}: OBJID does not name the folder")
    listed = set()
    for el in root.iter():
        if el.tag not in (f"{{{METS}}}file", f"{{{METS}}}mdRef"):
            continue
        loc = el if el.tag.endswith("mdRef") else el.find(f"{{{METS}}}FLocat")
        name = loc.get(f"{{{XLINK}}}href") if loc is not None else None
        path = folder / (name or "")
        if not name or not path.is_file():
            raise PackageError(f"{folder.name}: {name} is missing")
        if str(path.stat().st_size) != el.get("SIZE") or sha256(path) != el.get("CHECKSUM"):
            raise PackageError(f"{folder.name}: {name} does not match its checksum")
        listed.add(name)
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    if present - listed - {"METS.xml"}:
        raise PackageError(f"{folder.name}: files not listed in METS.xml")
    return sha256(folder / "METS.xml")


def pdf_a(html: str) -> bytes:
    """HTML → PDF/A-2b with WeasyPrint (Debian's Pango and fonts are enough)."""
    from weasyprint import HTML  # imported on use: only a run that archives needs it

    return HTML(string=html).write_pdf(pdf_variant="pdf/a-2b")


def remove_package(root: Path, package_id: str) -> None:
    shutil.rmtree(Path(root) / package_id, ignore_errors=True)
