"""The commune workbook file: reading and checking an uploaded XLSX into `Workbook` values.

A commune office, or a province running many communes, describes itself in one workbook (the
layout is in `workbook_sheets`; `workbook_writing` makes the template and the export).
`read_workbook` reads every sheet and returns the values together with every problem it
found, by sheet, row and column, so the office fixes the whole file in one go. A problem is a
message key with parameters (`handlers.setup_problems` words it). Nothing here touches the
database: the caller applies the values only when the result is `ok`, and a bad file never
raises.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cache
from typing import TypeVar

from openpyxl import load_workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from storage.folding import fold
from storage.people.phones import normalize_phone
from storage.setup.workbook import (
    AgencyRow,
    CommuneRow,
    DialogueOptionRow,
    FieldRow,
    HamletRow,
    SeatRow,
    SetupProblem,
    UnitRow,
    Workbook,
)
from storage.setup.workbook_names import Names, code_form
from storage.setup.workbook_sheets import (
    CHOICES,
    DEFAULT_ANSWER_DAYS,
    LENGTHS,
    MAX_ANSWER_DAYS,
    MAX_BYTES,
    MAX_HOUSEHOLDS,
    MAX_ROWS,
    MAX_UNIT_NUMBER,
    SHEETS,
    Sheet,
    choice_of,
    header_key,
    sheet_named,
)
from storage.setup.workbook_writing import build_workbook_template, write_workbook

__all__ = ["ParsedWorkbook", "build_workbook_template", "read_workbook", "write_workbook"]

_ZIP_MAGIC = b"PK\x03\x04"
# An XLSX is a zip of XML files; what it holds unpacked, at most. A province's workbook of a
# few hundred communes unpacks to a few megabytes.
MAX_UNPACKED = 20 * MAX_BYTES
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls), old Word
_EXCEL_ERRORS = frozenset({"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!"})
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))

# Offices put a title above the header now and then: it is looked for among the first rows.
_HEADER_SEARCH = 5
# The last row and column looked at, so a sheet formatted down to row 1,048,576 (or across
# to column XFD) is not walked cell by cell.
_LAST_ROW = 5 * MAX_ROWS
_LAST_COLUMN = 40
# Where a problem about a whole row sorts among that row's cell problems: after them.
_AFTER_CELLS = 1 << 30

_UNIT_NUMBER = re.compile(r"(?:(?:don vi(?: bau cu)?|dvbc|dv) ?)?(?:so ?)?0*(\d{1,4})")

T = TypeVar("T")
_RawRow = tuple[int, Sequence[object]]


@dataclass(frozen=True)
class ParsedWorkbook:
    """The rows read without problems, and all the problems.

    Rows come back even when others have problems (to show what was understood); nothing
    should be applied unless the workbook is `ok`.
    """

    workbook: Workbook
    problems: tuple[SetupProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.workbook.communes)


def read_workbook(data: bytes, filename: str) -> ParsedWorkbook:
    """The communes described in an uploaded XLSX, and every problem in it."""
    if len(data) > MAX_BYTES:  # refused before anything is unpacked
        return _refused("too_big", size=_megabytes(len(data)), max=_megabytes(MAX_BYTES))
    if data.startswith(_OLE_MAGIC):
        return _refused("old_excel", filename=filename)
    if not data.startswith(_ZIP_MAGIC):
        return _refused("not_xlsx", filename=filename)
    try:
        unpacked = sum(entry.file_size for entry in
                       zipfile.ZipFile(io.BytesIO(data)).infolist())
    except (zipfile.BadZipFile, ValueError):
        return _refused("not_xlsx", filename=filename)
    if unpacked > MAX_UNPACKED:  # a small file that unpacks into gigabytes
        return _refused("too_big_unpacked", size=_megabytes(unpacked),
                        max=_megabytes(MAX_UNPACKED))
    try:
        found = _read_sheets(data)
    except _Unreadable:
        return _refused("not_xlsx", filename=filename)
    if not found:  # another spreadsheet altogether, such as a voter-contact plan
        return _refused("no_sheets", expected=", ".join(
            sheet.title for sheet in SHEETS if sheet.required))
    return _Checker().check(found)


def _refused(key: str, **params: str) -> ParsedWorkbook:
    return ParsedWorkbook(Workbook(), (SetupProblem("", 0, "", key, params),))


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


# --- Reading the file into rows -----------------------------------------------------------


class _Unreadable(Exception):
    """The file is not a workbook openpyxl can read (a .docx, a damaged or renamed file)."""


@dataclass
class _FileSheet:
    title: str  # as written in the file
    rows: list[_RawRow]  # the rows with anything in them, by row number
    truncated: bool  # rows were left unread


def _read_sheets(data: bytes) -> dict[str, _FileSheet | None]:
    """Our sheets found in the file, by kind; None for a kind that appears twice."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True,
                             keep_links=False)
    # openpyxl reports a damaged or foreign file with many exception types (zip, XML, key...).
    except Exception as error:
        raise _Unreadable from error
    found: dict[str, _FileSheet | None] = {}
    try:
        for sheet in book.worksheets:
            spec = sheet_named(sheet.title)
            if spec is None:
                continue  # the guide, and sheets of the office's own
            if spec.kind in found:
                found[spec.kind] = None
                continue
            if isinstance(sheet, ReadOnlyWorksheet):
                # Files written by other programs often declare a wrong used range.
                sheet.reset_dimensions()
            rows: list[_RawRow] = []
            truncated = False
            for number, values in enumerate(sheet.iter_rows(
                    min_row=1, max_row=_LAST_ROW, max_col=_LAST_COLUMN, values_only=True),
                    start=1):
                if all(_is_blank(value) for value in values):
                    continue
                if len(rows) > MAX_ROWS + _HEADER_SEARCH:
                    truncated = True
                    break
                rows.append((number, values))
            found[spec.kind] = _FileSheet(sheet.title, rows, truncated)
    except Exception as error:  # a broken sheet shows only when its rows are read
        raise _Unreadable from error
    finally:
        book.close()
    return found


# --- Reading cells ----------------------------------------------------------------------------


class _Bad(Exception):
    """One cell's value cannot be used: the problem's key and parameters."""

    def __init__(self, key: str, **params: str) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not _line(value))


def _line(text: str) -> str:
    """The text on one line: composed accents, no invisible characters, single spaces."""
    return " ".join(unicodedata.normalize("NFC", text).translate(_INVISIBLE).split())


def _text_of(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M") if value.time() != time() else (
            value.strftime("%d/%m/%Y"))
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps every number as a float
    return str(value)


def _shown(value: object) -> str:
    """A value as it may appear in a message: one line, not too long."""
    text = _line(_text_of(value))
    return text if len(text) <= 100 else text[:99] + "…"


@cache  # one parser per column, not one per cell
def _single_line(limit: int) -> Callable[[object], str]:
    def parse(value: object) -> str:
        text = _line(_text_of(value))
        if len(text) > limit:
            raise _Bad("too_long", max=str(limit), length=str(len(text)))
        return text
    return parse


@cache
def _paragraph(limit: int) -> Callable[[object], str]:
    """Text whose line breaks mean something, such as a reception schedule."""
    def parse(value: object) -> str:
        raw = unicodedata.normalize("NFC", _text_of(value)).translate(_INVISIBLE)
        lines = (" ".join(line.split()) for line in raw.replace("\r\n", "\n").split("\n"))
        text = "\n".join(line for line in lines if line)
        if len(text) > limit:
            raise _Bad("too_long", max=str(limit), length=str(len(text)))
        return text
    return parse


@cache
def _code(limit: int, *, underscore: bool = False) -> Callable[[object], str]:
    # Dialogue options keep underscores: the built-in codes ("near_poor") have them.
    allowed = re.compile(r"[a-z0-9_-]+" if underscore else r"[a-z0-9-]+")

    def parse(value: object) -> str:
        code = code_form(_text_of(value))
        if not allowed.fullmatch(code):
            raise _Bad("bad_code", value=_shown(value))
        if len(code) > limit:
            raise _Bad("too_long", max=str(limit), length=str(len(code)))
        return code
    return parse


@cache
def _whole(low: int, high: int) -> Callable[[object], int]:
    def parse(value: object) -> int:
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str):
            found = re.fullmatch(r"0*(\d{1,6}) ?(?:ngay(?: lam viec)?)?", fold(value))
            number = int(found.group(1)) if found else None
        if number is None or not low <= number <= high:
            raise _Bad("bad_number", value=_shown(value), min=str(low), max=str(high))
        return number
    return parse


def _unit_number(value: object) -> int:
    """1, 1.0, "01", "Đơn vị số 1", "ĐVBC số 1"."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = int(value) if float(value).is_integer() else -1
    else:
        found = _UNIT_NUMBER.fullmatch(header_key(_text_of(value)))
        number = int(found.group(1)) if found else -1
    if not 1 <= number <= MAX_UNIT_NUMBER:
        raise _Bad("bad_number", value=_shown(value), min="1", max=str(MAX_UNIT_NUMBER))
    return number


def _phone(value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A phone typed into a number cell has lost its leading zero.
        digits = _text_of(value)
        phone = normalize_phone(digits) or normalize_phone("0" + digits)
    else:
        phone = normalize_phone(_line(_text_of(value)))
    if phone is None:
        raise _Bad("bad_phone", value=_shown(value))
    return phone


@cache
def _choice(sheet: str, column: str) -> Callable[[object], str]:
    labels, words = CHOICES[(sheet, column)]

    def parse(value: object) -> str:
        chosen = choice_of(words, _text_of(value))
        if chosen is None:
            raise _Bad("bad_choice", value=_shown(value), expected=", ".join(labels.values()))
        return chosen
    return parse


def _list(value: object) -> list[str]:
    """Parts separated by ";" or new lines; `Names.resolve` splits at commas if need be."""
    parts = (_line(part) for part in re.split(r"[;\n\r]+", _text_of(value)))
    found = [part for part in parts if part.strip(" ,")]
    if not found:
        raise _Bad("missing")
    return found


# --- Checking the sheets --------------------------------------------------------------------


class _Row:
    """One data row of a sheet: its cells read and parsed, each problem reported once."""

    def __init__(self, checker: _Checker, layout: _Layout, number: int,
                 values: Sequence[object]) -> None:
        self._checker = checker
        self._layout = layout
        self.number = number
        self._values = values
        self.troubled = False

    def get(self, name: str, parse: Callable[[object], T]) -> T | None:
        position = self._layout.positions[name]
        value = self._values[position] if position < len(self._values) else None
        if _is_blank(value):
            if self._layout.sheet.column(name).required:
                self.report(name, "missing")
            return None
        if isinstance(value, str) and value.strip() in _EXCEL_ERRORS:
            self.report(name, "cell_error", value=value.strip())
            return None
        try:
            return parse(value)
        except _Bad as bad:
            self.report(name, bad.key, **bad.params)
            return None

    def text(self, name: str) -> str | None:
        limit = LENGTHS[(self._layout.sheet.kind, name)]
        return self.get(name, _paragraph(limit) if limit > 300 else _single_line(limit))

    def code(self, name: str, *, underscore: bool = False) -> str | None:
        limit = LENGTHS[("communes", "code") if name == "commune_code"
                        else (self._layout.sheet.kind, name)]
        return self.get(name, _code(limit, underscore=underscore))

    def written(self, name: str) -> str:
        """The cell as written, on one line, whether or not it could be used."""
        position = self._layout.positions[name]
        value = self._values[position] if position < len(self._values) else None
        return "" if value is None else _line(_text_of(value))

    def skip(self) -> None:
        """Leaves the row out without a problem of its own: it depends on a row that has one."""
        self.troubled = True

    def report(self, name: str | None, key: str, **params: str) -> None:
        self.troubled = True
        if name is None:
            position, column = _AFTER_CELLS, ""
        else:
            position, column = self._layout.positions[name], self._layout.written[name]
        self._checker.problem(self._layout.sheet, self._layout.title, self.number, position,
                              column, key, params)


@dataclass
class _Layout:
    """Where a sheet's columns are in the file, and their headers as written."""

    sheet: Sheet
    title: str
    positions: dict[str, int] = field(default_factory=dict)
    written: dict[str, str] = field(default_factory=dict)


@dataclass
class _Place:
    """What later sheets need to know about one commune while the workbook is checked."""

    source: _Row  # its row on the communes sheet
    hamlets: Names = field(default_factory=Names)
    # Hamlets whose rows have problems: a unit naming one is left out without a second problem.
    unsure_hamlets: Names = field(default_factory=Names)
    hamlet_names: dict[str, int] = field(default_factory=dict)  # folded name → row
    units: dict[int, int] = field(default_factory=dict)  # number → row
    seats: dict[str, int] = field(default_factory=dict)  # folded name → row
    fields: Names = field(default_factory=Names)
    field_codes: dict[str, int] = field(default_factory=dict)
    field_names: dict[str, int] = field(default_factory=dict)
    agencies: dict[str, int] = field(default_factory=dict)
    options: dict[tuple[str, str], int] = field(default_factory=dict)


class _Checker:
    def __init__(self) -> None:
        self._problems: list[tuple[tuple[int, int, int], SetupProblem]] = []
        self._read: set[str] = set()
        self._places: dict[str, _Place] = {}
        self._hamlet_codes: dict[str, tuple[str, int]] = {}  # code → commune, row
        self._in_units: dict[tuple[str, str], tuple[int, int]] = {}  # hamlet → row, unit

    def check(self, found: dict[str, _FileSheet | None]) -> ParsedWorkbook:
        rows = {sheet.kind: self._rows(sheet, found) for sheet in SHEETS}
        # A sheet that could not be read is reported once: rows naming its codes are not
        # reported again for each one they name.
        self._read = {kind for kind, its_rows in rows.items() if its_rows}
        workbook = Workbook(
            communes=tuple(self._communes(rows["communes"])),
            hamlets=tuple(self._hamlets(rows["hamlets"])),
            units=tuple(self._units(rows["units"])),
            seats=tuple(self._seats(rows["seats"])),
            fields=tuple(self._fields(rows["fields"])),
            agencies=tuple(self._agencies(rows["agencies"])),
            options=tuple(self._options(rows["options"])),
        )
        if rows["hamlets"]:  # a missing hamlets sheet is reported once, not per commune
            for place in self._places.values():
                if not place.hamlet_names:
                    place.source.report(None, "no_hamlets")
        ordered = sorted(self._problems, key=lambda item: item[0])
        return ParsedWorkbook(workbook, tuple(problem for _, problem in ordered))

    def problem(self, sheet: Sheet | None, title: str, row: int, position: int, column: str,
                key: str, params: dict[str, str]) -> None:
        order = SHEETS.index(sheet) if sheet is not None else -1
        self._problems.append(((order, row, position),
                               SetupProblem(title, row, column, key, params)))

    # The sheets and their headers -----------------------------------------------------

    def _rows(self, sheet: Sheet, found: dict[str, _FileSheet | None]) -> list[_Row]:
        if sheet.kind in found and found[sheet.kind] is None:
            self.problem(sheet, sheet.title, 0, 0, "", "duplicate_sheet", {"sheet": sheet.title})
            return []
        file_sheet = found.get(sheet.kind)
        if file_sheet is None:
            if sheet.required:
                self.problem(sheet, sheet.title, 0, 0, "", "missing_sheet",
                             {"sheet": sheet.title})
            return []
        layout = _Layout(sheet, file_sheet.title)
        raw = file_sheet.rows
        header = self._find_header(sheet, raw)
        if header is None:
            if raw:
                self.problem(sheet, layout.title, 0, 0, "", "no_header", {"expected": ", ".join(
                    column.header for column in sheet.columns if column.required)})
            elif sheet.required:
                self.problem(sheet, layout.title, 0, 0, "", "empty_sheet", {})
            return []
        header_row, header_values = raw[header]
        if not self._read_header(layout, header_row, header_values):
            return []
        rows: list[_Row] = []
        for number, values in raw[header + 1:]:
            if all(_is_blank(values[position]) for position in layout.positions.values()
                   if position < len(values)):
                continue  # e.g. a row with only an ordinal number of the office's own
            if len(rows) == MAX_ROWS:
                file_sheet.truncated = True
                break
            rows.append(_Row(self, layout, number, values))
        if file_sheet.truncated:
            self.problem(sheet, layout.title, 0, 0, "", "too_many_rows", {"max": str(MAX_ROWS)})
            return []
        if not rows and sheet.required:
            self.problem(sheet, layout.title, 0, 0, "", "empty_sheet", {})
        return rows

    @staticmethod
    def _find_header(sheet: Sheet, raw: list[_RawRow]) -> int | None:
        best, best_count = None, 0
        for index, (_, values) in enumerate(raw[:_HEADER_SEARCH]):
            count = len({_field_of(sheet, value) for value in values} - {None})
            if count > best_count:
                best, best_count = index, count
        return best

    def _read_header(self, layout: _Layout, row: int, values: Sequence[object]) -> bool:
        """Finds the columns; False when a required one is missing (rows are then not read)."""
        for position, value in enumerate(values):
            name = _field_of(layout.sheet, value)
            if name is None:
                continue  # columns of the office's own are allowed and ignored
            assert isinstance(value, str)
            if name in layout.positions:
                self.problem(layout.sheet, layout.title, row, position, _line(value),
                             "duplicate_column", {"column": _line(value)})
                continue
            layout.positions[name] = position
            layout.written[name] = _line(value)
        complete = True
        for column in layout.sheet.columns:
            if column.field in layout.positions:
                continue
            if column.required:
                complete = False
                self.problem(layout.sheet, layout.title, row, _AFTER_CELLS, "",
                             "missing_column", {"column": column.header})
            else:
                layout.positions[column.field] = _LAST_COLUMN  # reads as blank
                layout.written[column.field] = column.header
        return complete

    # The communes --------------------------------------------------------------------

    def _communes(self, rows: list[_Row]) -> Iterator[CommuneRow]:
        provinces: dict[str, tuple[str, int]] = {}  # code → first name written, its row
        for row in rows:
            province_code = row.code("province_code")
            province_name = row.text("province_name")
            code = row.code("code")
            name = row.text("name")
            kind = row.get("kind", _choice("communes", "kind")) or "xa"
            district = row.text("district")
            phone = row.get("office_phone", _phone)
            address = row.text("address")
            hours = row.text("opening_hours")
            schedule = row.text("reception_schedule")
            days = row.get("answer_days", _whole(1, MAX_ANSWER_DAYS))
            if code is not None:
                if code in self._places:
                    row.report("code", "duplicate_code", value=code,
                               other_row=str(self._places[code].source.number))
                else:
                    self._places[code] = _Place(row)
            if province_code is not None and province_name is not None:
                first, first_row = provinces.setdefault(province_code,
                                                        (province_name, row.number))
                if fold(first) != fold(province_name):
                    row.report("province_name", "conflicting_province", value=province_name,
                               other_value=first, other_row=str(first_row))
            if row.troubled:
                continue
            assert province_code and province_name and code and name
            yield CommuneRow(province_code, province_name, code, name, kind, district, phone,
                             address, hours, schedule, days or DEFAULT_ANSWER_DAYS)

    def _place(self, row: _Row) -> tuple[str, _Place] | None:
        """The commune a data row names, which must be on the communes sheet."""
        code = row.code("commune_code")
        if code is None:
            return None
        if "communes" not in self._read:
            row.skip()
            return None
        if code not in self._places:
            row.report("commune_code", "unknown_commune", value=code)
            return None
        return code, self._places[code]

    # Hamlets and electoral units -----------------------------------------------------

    def _hamlets(self, rows: list[_Row]) -> Iterator[HamletRow]:
        for row in rows:
            place = self._place(row)
            code = row.code("code")
            name = row.text("name")
            commune = place[0] if place else None
            if code is not None:
                if code in self._hamlet_codes:
                    other, other_row = self._hamlet_codes[code]
                    if other == commune:
                        row.report("code", "duplicate_code", value=code,
                                   other_row=str(other_row))
                    else:
                        row.report("code", "hamlet_code_taken", value=code, commune=other,
                                   other_row=str(other_row))
                else:
                    self._hamlet_codes[code] = (commune or "", row.number)
            if place is None:
                continue
            if name is not None:
                other_row = place[1].hamlet_names.setdefault(fold(name), row.number)
                if other_row != row.number:
                    row.report("name", "duplicate_name", value=name, other_row=str(other_row))
            if code is not None and name is not None:
                place[1].hamlets.add(code, name)
            else:
                place[1].hamlet_names.setdefault(fold(row.written("name")), row.number)
                place[1].unsure_hamlets.add(row.written("code"), row.written("name"))
            households = row.get("households", _whole(1, MAX_HOUSEHOLDS))
            if not row.troubled and code is not None and name is not None:
                assert commune and code
                yield HamletRow(commune, code, name, households)

    def _units(self, rows: list[_Row]) -> Iterator[UnitRow]:
        for row in rows:
            place = self._place(row)
            number = row.get("number", _unit_number)
            name = row.text("name")
            parts = row.get("hamlets", _list)
            if place is None or number is None:
                continue
            commune, known = place
            other_row = known.units.setdefault(number, row.number)
            if other_row != row.number:
                row.report("number", "duplicate_unit", value=str(number),
                           other_row=str(other_row))
            if "hamlets" not in self._read:
                row.skip()
                continue
            codes: list[str] = []
            for part, found in known.hamlets.resolve(parts or ()):
                if not found and known.unsure_hamlets.find(part):
                    row.skip()
                elif not found:
                    row.report("hamlets", "unknown_hamlet", value=part)
                elif len(found) > 1:
                    row.report("hamlets", "ambiguous_hamlet", value=part)
                elif (code := found.pop()) not in codes:
                    codes.append(code)
                    first = self._in_units.setdefault((commune, code), (row.number, number))
                    if first[0] != row.number:
                        row.report("hamlets", "hamlet_in_two_units", value=part,
                                   unit=str(first[1]), other_row=str(first[0]))
            if not row.troubled:
                yield UnitRow(commune, number, name or f"Đơn vị bầu cử số {number}",
                              tuple(codes))

    def _seats(self, rows: list[_Row]) -> Iterator[SeatRow]:
        for row in rows:
            place = self._place(row)
            name = row.text("name")
            unit = row.get("unit_number", _unit_number)
            phone = row.get("phone", _phone)
            title = row.text("title")
            if place is None:
                continue
            commune, known = place
            if "units" not in self._read:
                row.skip()
            elif unit is not None and unit not in known.units:
                row.report("unit_number", "unknown_unit", value=str(unit),
                           known=", ".join(str(number) for number in sorted(known.units)))
            if name is not None:
                other_row = known.seats.setdefault(fold(name), row.number)
                if other_row != row.number:
                    row.report("name", "duplicate_name", value=name, other_row=str(other_row))
            if not row.troubled:
                assert name and unit
                yield SeatRow(commune, name, unit, phone, title or "")

    # Fields, agencies and dialogue options --------------------------------------------

    def _fields(self, rows: list[_Row]) -> Iterator[FieldRow]:
        for row in rows:
            place = self._place(row)
            code = row.code("code")
            name = row.text("name")
            days = row.get("answer_days", _whole(1, MAX_ANSWER_DAYS))
            if place is None or code is None or name is None:
                continue
            commune, known = place
            other_row = known.field_codes.setdefault(code, row.number)
            if other_row != row.number:
                row.report("code", "duplicate_code", value=code, other_row=str(other_row))
            other_row = known.field_names.setdefault(fold(name), row.number)
            if other_row != row.number:
                row.report("name", "duplicate_name", value=name, other_row=str(other_row))
            known.fields.add(code, name)
            if not row.troubled:
                yield FieldRow(commune, code, name, days)

    def _agencies(self, rows: list[_Row]) -> Iterator[AgencyRow]:
        for row in rows:
            place = self._place(row)
            name = row.text("name")
            competence = row.get("competence", _choice("agencies", "competence"))
            parts = row.get("fields", _list)
            if place is None:
                continue
            commune, known = place
            if name is not None:
                other_row = known.agencies.setdefault(fold(name), row.number)
                if other_row != row.number:
                    row.report("name", "duplicate_name", value=name, other_row=str(other_row))
            if "fields" not in self._read:
                row.skip()
                continue
            codes: list[str] = []
            for part, found in known.fields.resolve(parts or ()):
                if len(found) != 1:
                    row.report("fields", "unknown_field", value=part)
                elif (code := found.pop()) not in codes:
                    codes.append(code)
            if not row.troubled:
                assert name and competence
                yield AgencyRow(commune, name, competence, tuple(codes))

    def _options(self, rows: list[_Row]) -> Iterator[DialogueOptionRow]:
        for row in rows:
            place = self._place(row)
            kind = row.get("kind", _choice("options", "kind"))
            code = row.code("code", underscore=True)
            name = row.text("name")
            if place is None or kind is None or code is None:
                continue
            commune, known = place
            other_row = known.options.setdefault((kind, code), row.number)
            if other_row != row.number:
                row.report("code", "duplicate_code", value=code, other_row=str(other_row))
            if not row.troubled:
                assert name
                yield DialogueOptionRow(commune, kind, code, name)


def _field_of(sheet: Sheet, value: object) -> str | None:
    """Which column a header cell names, with or without accents, in any order."""
    if not isinstance(value, str):
        return None
    key = header_key(value)
    for column in sheet.columns:
        if key in {header_key(name) for name in (column.header, *column.aliases)}:
            return column.field
    return None
