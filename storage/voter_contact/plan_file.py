"""The voter-contact plan file: its blank template, and reading a filled one into meetings.

The commune office plans the year's voter-contact meetings (tiếp xúc cử tri) in Excel, one row
per meeting, and sends the file to the bot. `read_plan` reads it (XLSX or CSV), checks every
row against the commune's electoral units and delegates, and returns the meetings together with
every problem it found, each with its row and column, so the office fixes the whole file in one
go. A problem is a message key with parameters: the caller words it. Nothing here touches the
database or the network; the caller imports the meetings only when the plan is `ok`.

Rows of one round (a session, before or after it) must agree on the session's dates and on the
round's window. The round's deadlines (documents, opinions, the Front's report) may be written
on one of its rows only: the other rows of the round take them from there.

`build_plan_template_xlsx` makes the workbook the office starts from; it reads back as `ok`.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import islice
from typing import Literal, TypeVar

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from rapidfuzz import fuzz, process

from storage.folding import fold

Timing = Literal["before", "after"]

MAX_ROWS = 5000
DEFAULT_NOTICE_DAYS = 5
PLAN_SHEET = "Kế hoạch TXCT"
GUIDE_SHEET = "Hướng dẫn"


@dataclass(frozen=True)
class PlanProblem:
    """Something the office must fix; `key` names the message and `params` fill it in.

    `row` is the spreadsheet row as the user sees it (the header is row 1), 0 for the whole
    file; `column` is the header as written in the file, "" for a whole row or file.
    """

    row: int
    column: str
    key: str
    params: dict[str, str] = field(default_factory=dict)


# Inside the classes below, `time` names a field.
TimeOfDay = time


@dataclass(frozen=True)
class PlannedMeeting:
    row: int
    session_title: str
    session_opens: date
    session_closes: date
    timing: Timing
    window_start: date
    window_end: date
    unit_number: int
    place: str
    day: date
    time: time
    agenda: str
    expected_voters: int | None
    delegates: tuple[str, ...]
    documents_days: int
    opinions_days: int
    front_report_by: date | None
    end_time: TimeOfDay | None = None  # none given: the meeting is planned for two hours


@dataclass(frozen=True)
class ParsedPlan:
    """The meetings of the rows without problems, and all the problems.

    Meetings come back even when other rows have problems (to show what was understood);
    nothing should be imported unless the plan is `ok`.
    """

    meetings: tuple[PlannedMeeting, ...]
    problems: tuple[PlanProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.meetings)


@dataclass(frozen=True)
class _Column:
    field: str
    header: str
    required: bool
    width: int
    guide: str  # its line on the template's guide sheet


_COLUMNS = (
    _Column("session_title", "Kỳ họp", True, 34,
            "Bắt buộc. Tên kỳ họp, ví dụ: Kỳ họp thường lệ giữa năm 2026 (tối đa 200 ký tự)."),
    _Column("session_opens", "Ngày khai mạc", True, 14,
            "Bắt buộc. Ngày khai mạc kỳ họp, ghi dạng ngày/tháng/năm, ví dụ 07/7/2026."),
    _Column("session_closes", "Ngày bế mạc", True, 14,
            "Bắt buộc. Ngày bế mạc kỳ họp, không trước ngày khai mạc."),
    _Column("timing", "Đợt", True, 14,
            "Bắt buộc. «Trước kỳ họp» hoặc «Sau kỳ họp»."),
    _Column("window_start", "Từ ngày", True, 13,
            "Bắt buộc. Ngày bắt đầu đợt tiếp xúc cử tri; đợt sau kỳ họp bắt đầu từ ngày bế mạc."),
    _Column("window_end", "Đến ngày", True, 13,
            "Bắt buộc. Ngày kết thúc đợt; đợt trước kỳ họp kết thúc chậm nhất ngày khai mạc."),
    _Column("unit", "Đơn vị bầu cử", True, 26,
            "Bắt buộc. Số đơn vị (ví dụ 1 hoặc «Đơn vị số 1») hoặc tên đơn vị như danh sách "
            "bên dưới."),
    _Column("place", "Địa điểm", True, 30,
            "Bắt buộc. Nơi tổ chức hội nghị, ví dụ: Nhà văn hóa ấp Tân Dân (tối đa 300 ký tự)."),
    _Column("day", "Ngày", True, 13,
            "Bắt buộc. Ngày tổ chức hội nghị, trong khoảng từ ngày đến ngày của đợt."),
    _Column("time", "Giờ", True, 11,
            "Bắt buộc. Giờ bắt đầu, ví dụ 7:30, 7h30 hoặc 14h; có thể ghi cả giờ kết thúc như "
            "kế hoạch thường ghi: 7h30-10h30."),
    _Column("end_time", "Giờ kết thúc", False, 9,
            "Không bắt buộc. Giờ kết thúc, ví dụ 10:30 (hoặc ghi ở cột Giờ: 7h30-10h30); để "
            "trống là 2 tiếng sau giờ bắt đầu."),
    _Column("agenda", "Nội dung", False, 40,
            "Không bắt buộc. Nội dung hội nghị (tối đa 2000 ký tự)."),
    _Column("expected_voters", "Số cử tri dự kiến", False, 12,
            "Không bắt buộc. Số cử tri dự kiến tham dự, từ 1 đến 100000."),
    _Column("delegates", "Đại biểu", False, 30,
            "Không bắt buộc. Họ tên các đại biểu HĐND dự hội nghị, cách nhau bằng dấu chấm "
            "phẩy (;)."),
    _Column("documents_days", "Gửi tài liệu trước (ngày)", False, 14,
            "Không bắt buộc. Gửi tài liệu cho đại biểu bao nhiêu ngày trước hội nghị, từ 0 "
            "đến 60; để trống là 5 ngày; ghi một dòng là đủ cho cả đợt."),
    _Column("opinions_days", "Gửi ý kiến sau (ngày)", False, 14,
            "Không bắt buộc. Đại biểu gửi ý kiến cử tri về Thường trực HĐND trong bao nhiêu "
            "ngày sau hội nghị, từ 0 đến 60; để trống là 5 ngày; ghi một dòng là đủ cho cả đợt."),
    _Column("front_report_by", "Hạn báo cáo MTTQ", False, 14,
            "Không bắt buộc. Hạn Ủy ban MTTQ gửi báo cáo tổng hợp ý kiến cử tri của đợt, không "
            "trước ngày bắt đầu đợt; ghi một dòng là đủ cho cả đợt."),
)
_BY_FIELD = {column.field: column for column in _COLUMNS}

# What every row of one session, and of one round, must agree on.
_SESSION_FIELDS = ("session_opens", "session_closes")
_ROUND_FIELDS = ("window_start", "window_end", "documents_days", "opinions_days",
                 "front_report_by")

# A header row is looked for among the first rows with anything in them: offices often put
# the plan's title above it. Rows are kept by their real number, so messages still match.
_HEADER_SEARCH = 10
# Rows with anything in them (even only in columns we ignore) read before giving up; and the
# last row number looked at, so a sheet formatted down to row 1,048,576 is not walked.
_RAW_ROWS = 4 * MAX_ROWS
_LAST_ROW = 20 * MAX_ROWS

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls), old Word
_EXCEL_ERRORS = frozenset({"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!"})
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))

T = TypeVar("T")
_RawRow = tuple[int, Sequence[object]]
# Where a problem about a whole row sorts among that row's cell problems: after them.
_AFTER_CELLS = 1 << 30


class _Unreadable(Exception):
    """The file as a whole cannot be read: a file-level problem's key and parameters."""

    def __init__(self, key: str = "unreadable", **params: str) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class _Bad(Exception):
    """One cell's value cannot be used: the problem's key and parameters."""

    def __init__(self, key: str, **params: str) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def read_plan(
    data: bytes, filename: str, *, units: Mapping[int, str], delegates: Sequence[str]
) -> ParsedPlan:
    """The meetings planned in an uploaded XLSX or CSV file, and every problem in it.

    `units` maps the commune's electoral unit numbers to their names; `delegates` are the
    canonical names of its council delegates. Never raises on a bad file.
    """
    try:
        rows, truncated = _read_rows(data, filename)
    except _Unreadable as failure:
        return ParsedPlan((), (PlanProblem(0, "", failure.key, failure.params),))
    return _PlanReader(units, delegates).read(rows, truncated=truncated)


# --- Reading the file into rows -----------------------------------------------------------


def _read_rows(data: bytes, filename: str) -> tuple[list[_RawRow], bool]:
    """The rows with anything in them, by row number; True when rows were left unread."""
    name = filename.lower()
    if data.startswith(_ZIP_MAGIC) or name.endswith((".xlsx", ".xlsm")):
        return _xlsx_rows(data)
    if data.startswith(_OLE_MAGIC) or name.endswith(".xls"):
        raise _Unreadable("unsupported_format", filename=filename)
    return _csv_rows(data)


def _xlsx_rows(data: bytes) -> tuple[list[_RawRow], bool]:
    rows: list[_RawRow] = []
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True,
                             keep_links=False)
    # openpyxl reports a damaged file with many exception types (zip, XML, key, value...).
    except Exception as error:
        raise _Unreadable() from error
    try:
        if not book.worksheets:
            raise _Unreadable()
        sheet = book.worksheets[0]
        if isinstance(sheet, ReadOnlyWorksheet):
            # Files written by other programs often declare a wrong used range; read them all.
            sheet.reset_dimensions()
        for number, values in enumerate(
            sheet.iter_rows(min_row=1, max_row=_LAST_ROW, values_only=True), start=1
        ):
            if not any(not _is_blank(value) for value in values):
                continue
            if len(rows) == _RAW_ROWS:
                return rows, True
            rows.append((number, values))
    except _Unreadable:
        raise
    except Exception as error:  # a broken sheet shows only when its rows are read
        raise _Unreadable() from error
    finally:
        book.close()
    return rows, False


def _csv_rows(data: bytes) -> tuple[list[_RawRow], bool]:
    text = _decode(data)
    if "\x00" in text:  # not text at all
        raise _Unreadable()
    first_line, _, rest = text.partition("\n")
    # Excel writes and hides a "sep=;" line; the row numbers the user sees start after it.
    declared = re.fullmatch(r"sep=(.)", first_line.rstrip("\r"))
    if declared:
        delimiter, text = declared.group(1), rest
    else:
        delimiter = _sniff_delimiter(text)
    rows: list[_RawRow] = []
    try:
        records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for number, record in enumerate(records, start=1):
            if not any(not _is_blank(value) for value in record):
                continue
            if len(rows) == _RAW_ROWS:
                return rows, True
            rows.append((number, record))
    except csv.Error as error:
        raise _Unreadable() from error
    return rows, False


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else the Vietnamese Windows code page, else Western."""
    # Excel's "Unicode text" is UTF-16 with a byte-order mark.
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise _Unreadable() from error
    for encoding in ("utf-8-sig", "cp1258", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _Unreadable()


def _sniff_delimiter(text: str) -> str:
    """The delimiter under which the most of our headers appear in one of the first rows.

    Vietnamese Excel saves CSV with ";" (the comma is the decimal separator there).
    """
    sample = text[:65536]
    first_line = next((line for line in sample.splitlines() if line.strip()), "")
    best, best_score = ",", (-1, -1)
    for delimiter in (",", ";", "\t"):
        try:
            records = list(islice(
                csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter),
                _HEADER_SEARCH))
        except csv.Error:
            continue
        recognised = max((len(_recognised(record)) for record in records), default=0)
        score = (recognised, first_line.count(delimiter))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _header_key(text: str) -> str:
    """`"Gửi tài liệu trước (ngày) "` → `"gui tai lieu truoc ngay"`."""
    return re.sub(r"[^a-z0-9]+", " ", fold(text)).strip()


_BY_HEADER = {_header_key(column.header): column for column in _COLUMNS}


def _recognised(values: Sequence[object]) -> set[str]:
    return {_BY_HEADER[key].field for value in values
            if isinstance(value, str) and (key := _header_key(value)) in _BY_HEADER}


# --- Checking the rows ----------------------------------------------------------------------


@dataclass
class _Draft:
    """One data row's values as far as they could be read."""

    row: int
    session_title: str | None = None
    session_opens: date | None = None
    session_closes: date | None = None
    timing: Timing | None = None
    window_start: date | None = None
    window_end: date | None = None
    unit: int | None = None
    place: str | None = None
    day: date | None = None
    time: time | None = None
    end_time: TimeOfDay | None = None
    agenda: str | None = None
    expected_voters: int | None = None
    delegates: tuple[str, ...] = ()
    documents_days: int | None = None
    opinions_days: int | None = None
    front_report_by: date | None = None


class _PlanReader:
    def __init__(self, units: Mapping[int, str], delegates: Sequence[str]) -> None:
        self._units = dict(units)
        self._unit_names = {_header_key(name): number for number, name in units.items()}
        self._delegates: dict[str, list[str]] = {}
        for name in delegates:
            self._delegates.setdefault(_delegate_key(name), []).append(name)
        self._delegate_folds = {name: fold(name) for name in delegates}
        self._problems: list[tuple[int, PlanProblem]] = []  # (column position, problem)
        self._positions: dict[str, int] = {}  # field → column index
        self._written: dict[str, str] = {}  # field → header as written

    def read(self, rows: list[_RawRow], *, truncated: bool) -> ParsedPlan:
        header = self._find_header(rows)
        if header is None:
            if rows:
                self._file_problem("no_header", expected=", ".join(
                    column.header for column in _COLUMNS if column.required))
            else:
                self._file_problem("no_rows")
            return self._result(())
        header_row, header_values = rows[header]
        self._read_header(header_row, header_values)
        drafts: list[_Draft] = []
        for number, values in rows[header + 1:]:
            if all(_is_blank(_at(values, position)) for position in self._positions.values()):
                continue  # e.g. a row with only its ordinal number filled in
            if len(drafts) == MAX_ROWS:
                truncated = True
                break
            drafts.append(self._draft(number, values))
        if truncated:
            self._file_problem("too_many_rows", limit=str(MAX_ROWS))
        if not drafts:
            self._file_problem("no_rows")
        meetings = self._check_together(drafts)
        return self._result(meetings)

    def _result(self, meetings: Sequence[PlannedMeeting]) -> ParsedPlan:
        ordered = sorted(self._problems, key=lambda item: (item[1].row, item[0]))
        return ParsedPlan(tuple(meetings), tuple(problem for _, problem in ordered))

    # Problems -------------------------------------------------------------------------

    def _file_problem(self, key: str, **params: str) -> None:
        self._problems.append((-1, PlanProblem(0, "", key, params)))

    def _report(self, row: int, field_name: str | None, key: str, params: dict[str, str]
                ) -> None:
        if field_name is None:
            position, column = _AFTER_CELLS, ""
        else:
            position, column = self._positions[field_name], self._written[field_name]
        self._problems.append((position, PlanProblem(row, column, key, params)))

    def _rows_with_problems(self) -> set[int]:
        return {problem.row for _, problem in self._problems}

    # The header ----------------------------------------------------------------------

    @staticmethod
    def _find_header(rows: list[_RawRow]) -> int | None:
        best, best_count = None, 0
        for index, (_, values) in enumerate(rows[:_HEADER_SEARCH]):
            count = len(_recognised(values))
            if count > best_count:
                best, best_count = index, count
        return best

    def _read_header(self, row: int, values: Sequence[object]) -> None:
        for position, value in enumerate(values):
            if not isinstance(value, str) or (key := _header_key(value)) not in _BY_HEADER:
                continue  # columns of the office's own are allowed and ignored
            column = _BY_HEADER[key]
            if column.field in self._positions:
                self._problems.append((position, PlanProblem(
                    row, _line(value), "duplicate_column", {"column": column.header})))
                continue
            self._positions[column.field] = position
            self._written[column.field] = _line(value)
        for column in _COLUMNS:
            if column.required and column.field not in self._positions:
                self._problems.append((_AFTER_CELLS, PlanProblem(
                    row, "", "missing_column", {"column": column.header})))

    # One row -------------------------------------------------------------------------

    def _draft(self, row: int, values: Sequence[object]) -> _Draft:
        def get(field_name: str, parse: Callable[[object], T]) -> T | None:
            position = self._positions.get(field_name)
            if position is None:
                return None  # the missing column is reported once, on the header row
            value = _at(values, position)
            if _is_blank(value):
                if _BY_FIELD[field_name].required:
                    self._report(row, field_name, "missing", {})
                return None
            if isinstance(value, str) and value.strip() in _EXCEL_ERRORS:
                self._report(row, field_name, "cell_error", {"value": value.strip()})
                return None
            try:
                return parse(value)
            except _Bad as bad:
                self._report(row, field_name, bad.key, bad.params)
                return None

        draft = _Draft(row)
        draft.session_title = get("session_title", _single_line(200))
        draft.session_opens = get("session_opens", _parse_date)
        draft.session_closes = get("session_closes", _parse_date)
        draft.timing = get("timing", _parse_timing)
        draft.window_start = get("window_start", _parse_date)
        draft.window_end = get("window_end", _parse_date)
        draft.unit = get("unit", self._parse_unit)
        draft.place = get("place", _single_line(300))
        draft.day = get("day", _parse_date)
        span = get("time", _parse_time_span)
        draft.time, spanned_end = span if span is not None else (None, None)
        end_time = get("end_time", _parse_time)
        self._check_end(draft, spanned_end, end_time)
        draft.agenda = get("agenda", _paragraph(2000))
        draft.expected_voters = get("expected_voters", _integer(1, 100_000))
        names = get("delegates", _split_names)
        draft.delegates = self._known_delegates(row, names or ())
        draft.documents_days = get("documents_days", _integer(0, 60))
        draft.opinions_days = get("opinions_days", _integer(0, 60))
        draft.front_report_by = get("front_report_by", _parse_date)
        self._check_dates(draft)
        return draft

    def _check_end(self, draft: _Draft, spanned: time | None, column: time | None) -> None:
        """The end from "7h30-10h30" or from its own column: after the start, given once."""
        if spanned is not None and column is not None and spanned != column:
            self._report(draft.row, "end_time", "end_twice", {
                "value": column.strftime("%H:%M"), "other_value": spanned.strftime("%H:%M")})
            return
        end = column or spanned
        if end is not None and draft.time is not None:
            where = "end_time" if column else "time"
            times = {"start": draft.time.strftime("%H:%M"), "end": end.strftime("%H:%M")}
            if end <= draft.time:
                self._report(draft.row, where, "end_before_start", times)
                return
            # The same limit as a meeting added in the bot (storage.voter_contact.meetings).
            if (end.hour * 60 + end.minute) - (draft.time.hour * 60 + draft.time.minute) > 720:
                self._report(draft.row, where, "meeting_too_long", times)
                return
        draft.end_time = end

    def _check_dates(self, draft: _Draft) -> None:
        """The dates of one row against each other; checks needing a missing date are skipped."""
        row, opens, closes = draft.row, draft.session_opens, draft.session_closes
        session: tuple[date, date] | None = None
        if opens is not None and closes is not None:
            if closes < opens:
                self._report(row, "session_closes", "session_reversed",
                             {"opens": _day(opens), "closes": _day(closes)})
            else:
                session = (opens, closes)
        start, end = draft.window_start, draft.window_end
        if start is None or end is None:
            return
        if end < start:
            self._report(row, "window_end", "window_reversed",
                         {"start": _day(start), "end": _day(end)})
            return
        if draft.day is not None and not start <= draft.day <= end:
            self._report(row, "day", "outside_window", {
                "value": _day(draft.day), "start": _day(start), "end": _day(end)})
        if draft.front_report_by is not None and draft.front_report_by < start:
            self._report(row, "front_report_by", "report_before_window", {
                "value": _day(draft.front_report_by), "window_start": _day(start)})
        if session is None or draft.timing is None:
            return
        early = draft.timing == "before" and end > session[0]
        late = draft.timing == "after" and start < session[1]
        if early or late:
            self._report(row, "window_end" if early else "window_start", "round_timing", {
                "timing": draft.timing, "window_start": _day(start), "window_end": _day(end),
                "session_opens": _day(session[0]), "session_closes": _day(session[1])})

    def _parse_unit(self, value: object) -> int:
        number = self._unit_number(value)
        if number is None or number not in self._units:
            raise _Bad("unknown_unit", value=_shown(value),
                       known=", ".join(str(known) for known in sorted(self._units)))
        return number

    def _unit_number(self, value: object) -> int | None:
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            return int(value) if float(value).is_integer() else None
        key = _header_key(_text_of(value))
        if key in self._unit_names:
            return self._unit_names[key]
        # "1", "Đơn vị số 1", "ĐV 1", "ĐVBC số 01", "Đơn vị số 1 (ấp Tân Dân)"
        without_note = _header_key(re.sub(r"\(.*\)\s*$", "", fold(_text_of(value))))
        for candidate in (key, without_note):
            found = re.fullmatch(r"(?:(?:don vi(?: bau cu)?|dvbc|dv) ?)?(?:so ?)?0*(\d{1,4})",
                                 candidate)
            if found:
                return int(found.group(1))
        # A part of exactly one unit's name, such as its hamlet: "Tân Dân".
        if len(key) >= 3 and not key.isdigit():
            matches = {number for name, number in self._unit_names.items()
                       if f" {key} " in f" {name} "}
            if len(matches) == 1:
                return matches.pop()
        return None

    def _known_delegates(self, row: int, names: Sequence[str]) -> tuple[str, ...]:
        found: list[str] = []
        for name in names:
            canonical = self._delegate(name)
            if canonical is None:
                continue
            if isinstance(canonical, _Bad):
                self._report(row, "delegates", canonical.key, canonical.params)
            elif canonical not in found:
                found.append(canonical)
        return tuple(found)

    def _delegate(self, name: str) -> str | _Bad | None:
        key = _delegate_key(name)
        if key not in self._delegates:
            # "Ông Nguyễn Văn Hùng", "Đ/c Trần Thị Lan"
            bare = re.sub(r"^(?:ong|ba|d/c|dc|dong chi)\s+", "", fold(name))
            key = _delegate_key(bare)
        same = self._delegates.get(key, [])
        if len(same) == 1:
            return same[0]
        exact = [canonical for canonical in same if _line(canonical) == name]
        if len(exact) == 1:
            return exact[0]
        if same:
            return _Bad("ambiguous_delegate", value=name)
        close = process.extractOne(fold(name), self._delegate_folds, scorer=fuzz.ratio,
                                   score_cutoff=80)
        return _Bad("unknown_delegate", value=name, suggestion=close[2] if close else "")

    # Rows together -------------------------------------------------------------------

    def _check_together(self, drafts: list[_Draft]) -> list[PlannedMeeting]:
        titles: dict[str, str] = {}  # first spelling of each session's title
        shared: dict[tuple[object, str], tuple[object, int]] = {}  # first value, its row
        seen: dict[tuple[object, ...], int] = {}
        for draft in drafts:
            if draft.session_title is None:
                continue
            session = fold(draft.session_title)
            titles.setdefault(session, draft.session_title)
            for name in _SESSION_FIELDS:
                self._agree(shared, draft, session, name, "conflicting_session")
            if draft.timing is None:
                continue
            for name in _ROUND_FIELDS:
                self._agree(shared, draft, (session, draft.timing), name, "conflicting_round")
            if draft.unit is None or draft.day is None or draft.time is None:
                continue
            meeting = (session, draft.timing, draft.unit, draft.day, draft.time)
            if meeting in seen:
                self._report(draft.row, None, "duplicate_row", {"other_row": str(seen[meeting])})
            else:
                seen[meeting] = draft.row

        def of_round(draft: _Draft, name: str) -> object:
            key = ((fold(draft.session_title or ""), draft.timing), name)
            return getattr(draft, name) if key not in shared else shared[key][0]

        if any(column.required and column.field not in self._positions for column in _COLUMNS):
            return []  # no row is complete; the missing column is the problem
        troubled = self._rows_with_problems()
        meetings: list[PlannedMeeting] = []
        for draft in drafts:
            if draft.row in troubled:
                continue
            # With every required column there, a row without problems has all its values.
            assert draft.session_title is not None and draft.session_opens is not None
            assert draft.session_closes is not None and draft.timing is not None
            assert draft.window_start is not None and draft.window_end is not None
            assert draft.unit is not None and draft.place is not None
            assert draft.day is not None and draft.time is not None
            documents = of_round(draft, "documents_days")
            opinions = of_round(draft, "opinions_days")
            report_by = of_round(draft, "front_report_by")
            meetings.append(PlannedMeeting(
                row=draft.row, session_title=titles[fold(draft.session_title)],
                session_opens=draft.session_opens, session_closes=draft.session_closes,
                timing=draft.timing, window_start=draft.window_start,
                window_end=draft.window_end, unit_number=draft.unit, place=draft.place,
                day=draft.day, time=draft.time, end_time=draft.end_time,
                agenda=draft.agenda or "",
                expected_voters=draft.expected_voters, delegates=draft.delegates,
                documents_days=documents if isinstance(documents, int) else DEFAULT_NOTICE_DAYS,
                opinions_days=opinions if isinstance(opinions, int) else DEFAULT_NOTICE_DAYS,
                front_report_by=report_by if isinstance(report_by, date) else None,
            ))
        return meetings

    def _agree(self, shared: dict[tuple[object, str], tuple[object, int]], draft: _Draft,
               scope: object, name: str, key: str) -> None:
        """The first row that gives a session's or round's value sets it; others must agree."""
        value = getattr(draft, name)
        if value is None:
            return
        first = shared.setdefault((scope, name), (value, draft.row))
        if first[0] != value:
            self._report(draft.row, name, key, {
                "other_row": str(first[1]), "value": _shown(value),
                "other_value": _shown(first[0])})


# --- Reading one cell -------------------------------------------------------------------------


def _at(values: Sequence[object], position: int) -> object:
    return values[position] if position < len(values) else None


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not _line(value))


def _line(text: str) -> str:
    """The text on one line: composed accents, no invisible characters, single spaces."""
    return " ".join(unicodedata.normalize("NFC", text).translate(_INVISIBLE).split())


def _text_of(value: object) -> str:
    if isinstance(value, datetime):
        return _day(value.date()) if value.time() == time() else value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return _day(value)
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _shown(value: object) -> str:
    """A value as it may appear in a message: one line, not too long."""
    text = _line(_text_of(value))
    return text if len(text) <= 100 else text[:99] + "…"


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def _single_line(limit: int) -> Callable[[object], str]:
    def parse(value: object) -> str:
        text = _line(_text_of(value))
        if len(text) > limit:
            raise _Bad("too_long", max=str(limit), length=str(len(text)))
        return text
    return parse


def _paragraph(limit: int) -> Callable[[object], str]:
    def parse(value: object) -> str:
        raw = unicodedata.normalize("NFC", _text_of(value)).translate(_INVISIBLE)
        lines = (" ".join(line.split()) for line in raw.replace("\r\n", "\n").split("\n"))
        text = "\n".join(lines).strip()
        if len(text) > limit:
            raise _Bad("too_long", max=str(limit), length=str(len(text)))
        return text
    return parse


_DMY = re.compile(r"(\d{1,2}) ?([/.-]) ?(\d{1,2}) ?\2 ?(\d+)(?: \d{1,2}:\d{2}(?::\d{2})?)?")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2})?)?")
_WORDS = re.compile(r"(?:ngay ?)?(\d{1,2}) ?thang ?(\d{1,2}) ?,? ?(?:nam ?)?(\d+)")


def _parse_date(value: object) -> date:
    """A real date cell, or dd/mm/yyyy, d-m-yyyy, dd.mm.yyyy, "ngày 5 tháng 6 năm 2026"."""
    if isinstance(value, datetime):
        return _plausible(value.date(), value)
    if isinstance(value, date):
        return _plausible(value, value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A date cell that lost its date format shows as Excel's day number.
        if 1 <= value < 2958466:
            serial = from_excel(value)
            if isinstance(serial, datetime):
                return _plausible(serial.date(), value)
        raise _Bad("bad_date", value=_shown(value))
    text = fold(_text_of(value))
    if found := _DMY.fullmatch(text):
        day, month, year = found.group(1), found.group(3), found.group(4)
    elif found := _ISO.fullmatch(text):
        year, month, day = found.groups()
    elif found := _WORDS.fullmatch(text):
        day, month, year = found.groups()
    else:
        raise _Bad("bad_date", value=_shown(value))
    if len(year) == 2:
        raise _Bad("short_year", value=_shown(value))
    if len(year) != 4:
        raise _Bad("bad_date", value=_shown(value))
    try:
        parsed = date(int(year), int(month), int(day))
    except ValueError:
        raise _Bad("bad_date", value=_shown(value)) from None
    return _plausible(parsed, value)


def _plausible(parsed: date, value: object) -> date:
    # Year 2206 or 1926 in a plan is a typing slip, not a plan.
    if not 2000 <= parsed.year <= 2099:
        raise _Bad("bad_date", value=_shown(value))
    return parsed


_TIME = re.compile(
    r"(\d{1,2}) ?(?:(?:[:hg.]|gio) ?(?:(\d{2})(?: ?: ?\d{2})? ?)?)?(?:phut ?)?"
    r"(sang|chieu|toi|am|pm)?")


def _parse_time(value: object) -> time:
    """A time cell, or 7:30, 07:30, 7h30, 7g30, 14h, "7 giờ 30 sáng", "2h chiều"."""
    if isinstance(value, datetime):
        return _minute(value.hour * 3600 + value.minute * 60 + value.second, value)
    if isinstance(value, time):
        return _minute(value.hour * 3600 + value.minute * 60 + value.second
                       + value.microsecond / 1e6, value)
    if isinstance(value, timedelta):
        return _minute(value.total_seconds(), value)
    if isinstance(value, float) and 0 <= value < 1:
        return _minute(value * 86400, value)  # a time cell that lost its format
    found = _TIME.fullmatch(fold(_text_of(value)))
    if found is None:
        raise _Bad("bad_time", value=_shown(value))
    hour, minute, part = int(found.group(1)), int(found.group(2) or 0), found.group(3)
    if part in ("chieu", "toi", "pm") and 1 <= hour < 12:
        hour += 12
    elif part in ("sang", "am") and hour > 12:
        raise _Bad("bad_time", value=_shown(value))
    if hour > 23 or minute > 59:
        raise _Bad("bad_time", value=_shown(value))
    return time(hour, minute)


def _parse_time_span(value: object) -> tuple[time, time | None]:
    """A start, or a start and an end as plans write them: "7h30-10h30", "14h - 16h30 chiều",
    "8h đến 10h". An afternoon said once at the end is the start's too when it fits ("2h-4h
    chiều" is 14:00–16:00; "10h-2h chiều" is 10:00–14:00)."""
    if not isinstance(value, str):
        return _parse_time(value), None
    parts = re.split(r" ?(?:-|–|\bden\b) ?", fold(_line(value)))
    if len(parts) == 1:
        return _parse_time(value), None
    if len(parts) != 2:
        raise _Bad("bad_time", value=_shown(value))
    try:
        start, end = _parse_time(parts[0]), _parse_time(parts[1])
    except _Bad:
        raise _Bad("bad_time", value=_shown(value)) from None
    afternoon_at_end = re.search(r"(chieu|toi|pm)$", parts[1]) is not None
    start_said_alone = re.search(r"(sang|trua|chieu|toi|am|pm)$", parts[0]) is None
    if afternoon_at_end and start_said_alone and start.hour + 12 <= end.hour:
        start = start.replace(hour=start.hour + 12)
    return start, end


def _minute(seconds: float, value: object) -> time:
    """To the nearest minute: Excel stores 7:30 as a fraction of a day, a hair off."""
    minutes = round(seconds / 60)
    if not 0 <= minutes < 24 * 60:
        raise _Bad("bad_time", value=_shown(value))
    return time(minutes // 60, minutes % 60)


def _parse_timing(value: object) -> Timing:
    text = re.sub(r"^dot ", "", fold(_text_of(value)))  # "Đợt trước kỳ họp"
    if text.startswith(("truoc", "before")):
        return "before"
    if text.startswith(("sau", "after")):
        return "after"
    raise _Bad("bad_timing", value=_shown(value))


def _integer(low: int, high: int) -> Callable[[object], int]:
    def parse(value: object) -> int:
        number: int | None = None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int):
            number = value
        elif isinstance(value, float):
            number = int(value) if value.is_integer() else None
        else:
            # "120", "1.200" (Vietnamese thousands), "5 ngày", "80 người"
            found = re.fullmatch(r"(\d{1,3}(?:[., ]\d{3})+|\d+) ?(?:ngay|nguoi|cu tri)?",
                                 fold(_text_of(value)))
            number = int(re.sub(r"\D", "", found.group(1))) if found else None
        if number is None or not low <= number <= high:
            raise _Bad("bad_number", value=_shown(value), min=str(low), max=str(high))
        return number
    return parse


def _split_names(value: object) -> list[str]:
    """Names separated by ";", "," or new lines, with list bullets or numbers dropped."""
    names = []
    for part in re.split(r"[;,\n\r]+", _text_of(value)):
        name = _line(re.sub(r"^\s*(?:[-•+*]|\d+[.)])\s*", "", part))
        if name:
            names.append(name)
    return names


def _delegate_key(name: str) -> str:
    return fold(name).replace(" ", "")


# --- The template ---------------------------------------------------------------------------


def build_plan_template_xlsx(*, units: Mapping[int, str], example_year: int) -> bytes:
    """The workbook the office fills in: the plan sheet with two example rows, and a guide.

    The examples are a before-round in mid June for a mid-year session in early July, in the
    commune's own units, so the file reads back as a valid plan.
    """
    if not units:
        raise ValueError("a plan template needs at least one electoral unit")
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.title = PLAN_SHEET
    guide = book.create_sheet(GUIDE_SHEET)

    bold = Font(bold=True)
    for position, column in enumerate(_COLUMNS, start=1):
        cell = sheet.cell(row=1, column=position)
        _put(cell, column.header)
        cell.font = bold
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        sheet.column_dimensions[get_column_letter(position)].width = column.width
    sheet.freeze_panes = "A2"
    sheet.row_dimensions[1].height = 32

    example = Font(italic=True, color="595959")  # grey: rows to overwrite, not real meetings
    for offset, values in enumerate(_example_rows(units, example_year), start=2):
        for position, column in enumerate(_COLUMNS, start=1):
            cell = sheet.cell(row=offset, column=position)
            _put(cell, values.get(column.field))
            cell.font = example
            cell.alignment = Alignment(wrap_text=column.field == "agenda", vertical="top")

    last_unit_row = _write_guide(guide, units)
    first_unit_row = last_unit_row - len(units) + 1
    letters = {column.field: get_column_letter(position)
               for position, column in enumerate(_COLUMNS, start=1)}
    # Drop-down lists that still accept anything typed: a unit number is fine too.
    timing_list = DataValidation(type="list", formula1='"Trước kỳ họp,Sau kỳ họp"',
                                 allowBlank=True)
    timing_list.add(f"{letters['timing']}2:{letters['timing']}{MAX_ROWS + 1}")
    unit_list = DataValidation(
        type="list", allowBlank=True,
        formula1=f"'{GUIDE_SHEET}'!$B${first_unit_row}:$B${last_unit_row}")
    unit_list.add(f"{letters['unit']}2:{letters['unit']}{MAX_ROWS + 1}")
    sheet.add_data_validation(timing_list)
    sheet.add_data_validation(unit_list)

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _example_rows(units: Mapping[int, str], year: int) -> list[dict[str, object]]:
    numbers = sorted(units)[:2]
    if len(numbers) == 1:
        numbers *= 2
    common: dict[str, object] = {
        "session_title": f"Kỳ họp thường lệ giữa năm {year}",
        "session_opens": date(year, 7, 7),
        "session_closes": date(year, 7, 8),
        "timing": "Trước kỳ họp",
        "window_start": date(year, 6, 5),
        "window_end": date(year, 6, 19),
        "agenda": (f"Thông báo dự kiến chương trình kỳ họp thường lệ giữa năm {year}; "
                   "báo cáo kết quả giải quyết kiến nghị của cử tri"),
        "documents_days": DEFAULT_NOTICE_DAYS,
        "opinions_days": DEFAULT_NOTICE_DAYS,
        "front_report_by": date(year, 6, 24),
    }
    return [
        common | {"unit": units[number], "place": _example_place(units[number]),
                  "day": date(year, 6, 10 + index), "time": moment, "end_time": end,
                  "expected_voters": voters}
        for index, (number, moment, end, voters) in enumerate(
            zip(numbers, (time(7, 30), time(14, 0)), (time(10, 30), time(16, 30)), (80, 120),
                strict=True))
    ]


def _example_place(unit_name: str) -> str:
    """`"Nhà văn hóa ấp Tân Dân"` for a unit named after its hamlet, as plans usually read."""
    hamlet = re.search(r"\b(ấp|thôn|bản|làng|tổ dân phố|khu phố)\s+([^(),;]+)", unit_name,
                       re.IGNORECASE)
    if hamlet:
        return f"Nhà văn hóa {hamlet.group(1).lower()} {hamlet.group(2).strip()}"
    return "Nhà văn hóa khu dân cư"


def _write_guide(guide: Worksheet, units: Mapping[int, str]) -> int:
    """Writes the guide sheet; returns the row of its last electoral unit."""
    bold = Font(bold=True)
    lines: list[tuple[object, object, bool]] = [
        ("Hướng dẫn lập kế hoạch tiếp xúc cử tri", None, True),
        (f"Mỗi dòng ở trang «{PLAN_SHEET}» là một hội nghị tiếp xúc cử tri; dòng 2 và 3 là "
         "ví dụ, hãy sửa hoặc xóa trước khi gửi.", None, False),
        ("Các dòng cùng một kỳ họp và một đợt ghi giống nhau ngày khai mạc, ngày bế mạc, từ "
         "ngày và đến ngày. Ngày ghi dạng ngày/tháng/năm, năm đủ 4 chữ số.", None, False),
        (None, None, False),
        ("Cột", "Cách ghi", True),
        *((column.header, column.guide, False) for column in _COLUMNS),
        (None, None, False),
        ("Đơn vị bầu cử", None, True),
        ("Số", "Tên", True),
        *((number, name, False) for number, name in sorted(units.items())),
    ]
    for row, (first, second, strong) in enumerate(lines, start=1):
        for position, value in enumerate((first, second), start=1):
            cell = guide.cell(row=row, column=position)
            _put(cell, value)
            if strong:
                cell.font = bold
    guide.column_dimensions["A"].width = 26
    guide.column_dimensions["B"].width = 110
    return len(lines)


def _put(cell: Cell | MergedCell, value: object) -> None:
    """Stores `value`; strings always as text (a name starting with "=" is not a formula)."""
    if value is None:
        return
    cell.value = value  # type: ignore[assignment]
    if isinstance(value, str):
        cell.data_type = "s"
    elif isinstance(value, date):
        cell.number_format = "dd/mm/yyyy"
    elif isinstance(value, time):
        cell.number_format = "hh:mm"
