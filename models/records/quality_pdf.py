"""The quality report as PDF/A-2b, made by WeasyPrint when it is installed (optional: the
page and the CSV do not need it)."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def available() -> bool:
    return importlib.util.find_spec("weasyprint") is not None


def pdf(html: str, static_folder: str) -> bytes:
    """The printable HTML as PDF/A-2b, styled by static/css/records-print.css only."""
    from weasyprint import CSS, HTML

    sheet = CSS(filename=str(Path(static_folder) / "css" / "records-print.css"))
    return HTML(string=html).write_pdf(stylesheets=[sheet], pdf_variant="pdf/a-2b")
