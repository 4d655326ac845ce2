"""Export writers for statistics tables: CSV (UTF-8 with BOM, `,` or `;`) and XLSX.

They are handed `shared` grids only (views/manage/stats.export builds the report with
protection on), and they write each figure's published text, never its value: the
rounded figure of the cell-key method (models/manage/protection.py). Figures go to XLSX
as numbers.

Labels come from managers and admins, so every text cell is made safe to open in a
spreadsheet (`safe_text`, OWASP's CSV-injection advice): control characters are stripped
and a cell that would start a formula gets a leading '. XLSX text cells are written as
strings, never formulas; CSV text is always quoted, so a `;` in a label cannot start a
new cell when Swedish Excel opens the `,` file.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from models.catalogue import CONTROL_CHARACTERS
from models.manage.protection import BASE
from models.manage.report import Grid, Report

BOM = "\ufeff"  # lets Excel open å, ä and ö as UTF-8
SEPARATORS = {"csv": ",", "csv-semicolon": ";"}  # Swedish Excel expects ";"
FORMATS = ("csv", "csv-semicolon", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# A spreadsheet reads a cell beginning with one of these as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?")


def safe_text(text: str) -> str:
    """A text cell as it may leave Nära: control characters stored before they were
    refused are stripped, and a would-be formula is quoted; a negative number stays one."""
    text = CONTROL_CHARACTERS.sub("", text)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def _rows(grid: Grid) -> list[list[str]]:
    rows = [[grid.row_head, *grid.col_heads]]
    rows += [[label, *[c.text for c in cells]] for label, cells in grid.rows]
    if grid.total:
        rows.append([grid.total[0], *[c.text for c in grid.total[1]]])
    return rows


def legend(grid: Grid) -> list[str]:
    """What the figures of a shared table mean."""
    if not grid.shared:
        return []
    return [rounding_note(), additivity_note()]


def rounding_note() -> str:
    return _("Figures are rounded at random to a multiple of %(base)d, the same way in every "
             "table, so that no one can be recognised: 0 means none or a few.", base=BASE)


def additivity_note() -> str:
    return _("Totals are rounded on their own, so rows need not add up to them exactly.")


def csv_bytes(grid: Grid, separator: str = ",") -> bytes:
    """One table as CSV: header, rows, total, then what the marks mean."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n",
                        quoting=csv.QUOTE_NONNUMERIC)  # text quoted, figures not
    rows = [[_number(v) if i and index else v for i, v in enumerate(row)]
            for index, row in enumerate(_rows(grid))]
    notes = legend(grid)
    if notes:
        rows += [[], *[[line] for line in notes]]
    writer.writerows([[safe_text(v) if isinstance(v, str) else v for v in row]
                      for row in rows])
    return (BOM + buffer.getvalue()).encode("utf-8")


def _sheet_title(title: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "-", CONTROL_CHARACTERS.sub("", title))[:28] or "Tabell"
    name, n = base, 2
    while name.lower() in taken:
        name, n = f"{base[:25]} {n}", n + 1
    taken.add(name.lower())
    return name


def xlsx_bytes(grids: list[Grid], heading: list[str]) -> bytes:
    """Tables as a workbook, one sheet each, with the scope and period on top."""
    book = Workbook()
    book.remove(book.active)
    book.properties.creator = "Nära"
    taken: set[str] = set()
    bold = Font(bold=True)
    for grid in grids:
        sheet = book.create_sheet(_sheet_title(grid.title, taken))
        _append(sheet, [grid.title])
        sheet["A1"].font = Font(bold=True, size=13)
        for line in heading:
            _append(sheet, [line])
        sheet.append([])
        _append(sheet, _rows(grid)[0])
        first = sheet.max_row  # the header row
        for row in _rows(grid)[1:]:
            _append(sheet, [_number(v) if i else v for i, v in enumerate(row)])
        for cell in sheet[first]:
            cell.font = bold
        if grid.total:
            for cell in sheet[sheet.max_row]:
                cell.font = bold
        for row in sheet.iter_rows(min_row=first + 1, min_col=2):
            for cell in row:
                cell.alignment = Alignment(horizontal="right")
        notes = legend(grid)
        if notes:
            sheet.append([])
            for line in notes:
                _append(sheet, [line])
        width = max(len(str(r[0])) for r in _rows(grid)) + 2
        sheet.column_dimensions["A"].width = min(max(width, 14), 48)
        for col in range(2, len(grid.col_heads) + 2):
            sheet.column_dimensions[get_column_letter(col)].width = 16
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _append(sheet, values: list) -> None:
    """One row; its text made safe and stored as text, so no label is ever a formula."""
    sheet.append([safe_text(v) if isinstance(v, str) else v for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def _number(text: str):
    return int(text) if text.isascii() and text.isdigit() else text


def slug(text: str) -> str:
    """File-name safe, Swedish letters kept: 'Hemtjänst Norr' → 'Hemtjänst-Norr'."""
    return re.sub(r"[^\w]+", "-", text).strip("-_")[:60] or "x"


def file_name(report: Report, table: str, fmt: str) -> str:
    """unit(s)_activity_period_table, and which CSV it is: the two download side by side."""
    units = report.scope.units
    unit_part = "+".join(slug(u.name) for u in units) if len(units) <= 3 else (
        slug(_("%(num)d units", num=len(units))))
    activity = report.scope.activity
    activity_part = slug(activity.name) if activity else slug(_("all activities"))
    flavour = f"_{slug(_('semicolon'))}" if fmt == "csv-semicolon" else ""
    extension = "xlsx" if fmt == "xlsx" else "csv"
    return f"{unit_part}_{activity_part}_{report.period.slug}_{slug(table)}{flavour}.{extension}"


def heading(report: Report, period_text: str) -> list[str]:
    scope = report.scope
    lines = [
        _("Units: %(names)s", names=", ".join(u.name for u in scope.units)),
        _("Activity: %(name)s", name=scope.activity.name if scope.activity
          else _("all activities")),
        _("Period: %(period)s", period=period_text),
        rounding_note(),
        _("Exported %(when)s", when=datetime.now().strftime("%Y-%m-%d %H:%M")),
    ]
    return lines
