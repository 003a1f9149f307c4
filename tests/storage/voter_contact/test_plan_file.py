"""The voter-contact plan file: a real year plan reads as meetings, every mistake is pointed at."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from storage.voter_contact.plan_file import (
    MAX_ROWS,
    PlannedMeeting,
    PlanProblem,
    build_plan_template_xlsx,
    read_plan,
)

# Xã Tân Thuận Tây: one electoral unit per hamlet, two delegates each.
UNITS = {1: "Ấp Tân Dân", 2: "Ấp Tân Hùng", 3: "Ấp Tân Chủ", 4: "Ấp Tân Hậu"}
DELEGATES = ["Nguyễn Văn Hùng", "Trần Thị Lan", "Lê Văn Bình", "Phạm Thị Hoa", "Võ Minh Tâm",
             "Huỳnh Thị Mai", "Đặng Văn Phúc", "Bùi Thị Thu"]
GROUPS = {1: "Nguyễn Văn Hùng; Trần Thị Lan", 2: "Lê Văn Bình; Phạm Thị Hoa",
          3: "Võ Minh Tâm; Huỳnh Thị Mai", 4: "Đặng Văn Phúc; Bùi Thị Thu"}
# The unit column as offices write it: a number, "Đơn vị số 2", "ĐV 3", or the name.
UNIT_WRITTEN = {1: "1", 2: "Đơn vị số 2", 3: "ĐV 3", 4: "Ấp Tân Hậu"}

HEADERS = ["Kỳ họp", "Ngày khai mạc", "Ngày bế mạc", "Đợt", "Từ ngày", "Đến ngày",
           "Đơn vị bầu cử", "Địa điểm", "Ngày", "Giờ", "Nội dung", "Số cử tri dự kiến",
           "Đại biểu", "Gửi tài liệu trước (ngày)", "Gửi ý kiến sau (ngày)", "Hạn báo cáo MTTQ"]

MID_YEAR = "Kỳ họp thường lệ giữa năm 2026"
YEAR_END = "Kỳ họp thường lệ cuối năm 2026"
# Seed 000's windows: before the session from the 5th to before the 20th; after it, within
# 15 days of the closing day.
ROUNDS = [
    (MID_YEAR, "08/07/2026", "09/07/2026", "Trước kỳ họp", "05/06/2026", "19/06/2026"),
    (MID_YEAR, "08/07/2026", "09/07/2026", "Sau kỳ họp", "10/07/2026", "24/07/2026"),
    (YEAR_END, "09/12/2026", "10/12/2026", "Trước kỳ họp", "05/11/2026", "19/11/2026"),
    (YEAR_END, "09/12/2026", "10/12/2026", "Sau kỳ họp", "11/12/2026", "25/12/2026"),
]


def meeting(unit: int = 1, day: str = "10/06/2026", hour: str = "7h30", round_: int = 0, *,
            cells: dict[str, str] | None = None) -> dict[str, str]:
    """One row of the plan, in the mid-year before-round unless told otherwise."""
    session, opens, closes, timing, start, end = ROUNDS[round_]
    row = {
        "Kỳ họp": session, "Ngày khai mạc": opens, "Ngày bế mạc": closes, "Đợt": timing,
        "Từ ngày": start, "Đến ngày": end, "Đơn vị bầu cử": UNIT_WRITTEN[unit],
        "Địa điểm": f"Nhà văn hóa ấp {UNITS[unit].removeprefix('Ấp ')}",
        "Ngày": day, "Giờ": hour,
        "Nội dung": "Thông báo dự kiến chương trình kỳ họp; báo cáo kết quả giải quyết kiến "
                    "nghị của cử tri",
        "Số cử tri dự kiến": "80", "Đại biểu": GROUPS[unit],
        "Gửi tài liệu trước (ngày)": "5", "Gửi ý kiến sau (ngày)": "5", "Hạn báo cáo MTTQ": "",
    }
    row.update(cells or {})
    return row


def year_plan() -> list[dict[str, str]]:
    """Four rounds, one meeting per unit each, on consecutive days of the window."""
    rows = []
    for round_, (*_, start, _end) in enumerate(ROUNDS):
        first = datetime.strptime(start, "%d/%m/%Y").date()
        for unit in UNITS:
            day = (first + timedelta(days=unit)).strftime("%d/%m/%Y")
            rows.append(meeting(unit, day, "7h30" if unit % 2 else "14h", round_))
    return rows


def table(rows: list[dict[str, str]], headers: list[str] = HEADERS) -> list[list[str]]:
    return [headers, *([row.get(header, "") for header in headers] for row in rows)]


def csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue()


def windows_1258(text: str) -> bytes:
    """Text as Vietnamese Windows saves it: letters like ơ, â precomposed, tone marks apart."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = []
    for char in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(p for p in parts if p not in tones))
        out.append(base + "".join(p for p in parts if p in tones))
    return "".join(out).encode("cp1258")


def xlsx(rows: Sequence[Sequence[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read_csv(text: str) -> tuple[list[PlannedMeeting], list[PlanProblem]]:
    parsed = read_plan(text.encode(), "ke-hoach.csv", units=UNITS, delegates=DELEGATES)
    return list(parsed.meetings), list(parsed.problems)


# --- A clean plan in every format ------------------------------------------------------------


def test_a_clean_year_plan_reads_as_sixteen_meetings() -> None:
    data = csv_text(table(year_plan())).encode()

    plan = read_plan(data, "ke-hoach-txct-2026.csv", units=UNITS, delegates=DELEGATES)

    assert plan.problems == ()
    assert plan.ok
    assert len(plan.meetings) == 16
    assert {(m.session_title, m.timing) for m in plan.meetings} == {
        (MID_YEAR, "before"), (MID_YEAR, "after"), (YEAR_END, "before"), (YEAR_END, "after")}
    assert sorted({m.unit_number for m in plan.meetings}) == [1, 2, 3, 4]
    first = plan.meetings[0]
    assert first == PlannedMeeting(
        row=2, session_title=MID_YEAR, session_opens=date(2026, 7, 8),
        session_closes=date(2026, 7, 9), timing="before", window_start=date(2026, 6, 5),
        window_end=date(2026, 6, 19), unit_number=1, place="Nhà văn hóa ấp Tân Dân",
        day=date(2026, 6, 6), time=time(7, 30),
        agenda="Thông báo dự kiến chương trình kỳ họp; báo cáo kết quả giải quyết kiến nghị "
               "của cử tri",
        expected_voters=80, delegates=("Nguyễn Văn Hùng", "Trần Thị Lan"), documents_days=5,
        opinions_days=5, front_report_by=None)
    last = plan.meetings[-1]
    assert (last.row, last.unit_number, last.day, last.time) == (
        17, 4, date(2026, 12, 15), time(14, 0))
    assert last.delegates == ("Đặng Văn Phúc", "Bùi Thị Thu")


def test_a_semicolon_csv_saved_by_vietnamese_windows_reads_the_same() -> None:
    data = windows_1258(csv_text(table(year_plan()), delimiter=";"))
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")

    plan = read_plan(data, "KE HOACH.CSV", units=UNITS, delegates=DELEGATES)

    assert plan.ok, plan.problems
    assert len(plan.meetings) == 16
    assert plan.meetings[0].session_title == MID_YEAR  # composed again, as typed
    assert plan.meetings[0].delegates == ("Nguyễn Văn Hùng", "Trần Thị Lan")


def test_a_utf8_csv_with_a_byte_order_mark_reads_the_same() -> None:
    data = "\ufeff".encode() + csv_text(table(year_plan())).encode()

    plan = read_plan(data, "ke-hoach.csv", units=UNITS, delegates=DELEGATES)

    assert plan.ok, plan.problems
    assert len(plan.meetings) == 16


def test_an_excel_file_with_real_date_and_time_cells_reads_the_same() -> None:
    rows: list[list[object]] = [list(HEADERS)]
    for row in year_plan():
        cells: list[object] = [row[header] for header in HEADERS]
        for index in (1, 2, 4, 5, 8, 15):
            if cells[index]:
                cells[index] = datetime.strptime(str(cells[index]), "%d/%m/%Y")
        cells[9] = time(7, 30) if cells[9] == "7h30" else time(14, 0)
        cells[11] = 80
        cells[13] = 5
        rows.append(cells)

    plan = read_plan(xlsx(rows), "ke-hoach.xlsx", units=UNITS, delegates=DELEGATES)

    assert plan.ok, plan.problems
    assert len(plan.meetings) == 16
    assert plan.meetings[1].day == date(2026, 6, 7)
    assert plan.meetings[1].time == time(14, 0)
    assert plan.meetings[1].expected_voters == 80


def test_an_excel_file_is_recognised_by_its_content_whatever_its_name() -> None:
    data = xlsx(table(year_plan()[:2]))

    plan = read_plan(data, "ke-hoach", units=UNITS, delegates=DELEGATES)

    assert plan.ok, plan.problems


def test_a_date_cell_that_lost_its_format_is_read_from_the_excel_day_number() -> None:
    cells: list[object] = [meeting()[header] for header in HEADERS]
    # What Excel shows for 10/06/2026 without a date format: days since 30/12/1899.
    cells[8] = (date(2026, 6, 10) - date(1899, 12, 30)).days

    plan = read_plan(xlsx([HEADERS, cells]), "ke-hoach.xlsx", units=UNITS, delegates=DELEGATES)

    assert plan.ok, plan.problems
    assert plan.meetings[0].day == date(2026, 6, 10)


def test_the_separator_line_excel_writes_is_obeyed_and_not_counted_as_a_row() -> None:
    text = "sep=;\r\n" + csv_text(table([meeting()]), delimiter=";")

    meetings, problems = read_csv(text)

    assert problems == []
    assert [m.row for m in meetings] == [2]


def test_headers_are_matched_loosely_and_other_columns_ignored() -> None:
    headers = ["STT", " kỳ HỌP ", "NGAY KHAI MAC", "Ngày  bế mạc", "đợt", "tu ngay",
               "Đến ngày", "Địa điểm", "Đơn vị bầu cử", "Ngày", "Giờ", "Ghi chú"]
    row = meeting()
    values = ["1", *(row[h] for h in ["Kỳ họp", "Ngày khai mạc", "Ngày bế mạc", "Đợt",
                                      "Từ ngày", "Đến ngày", "Địa điểm", "Đơn vị bầu cử",
                                      "Ngày", "Giờ"]), "mời thêm trưởng ấp"]
    # The plan's title above the header, and numbered rows left empty below the meetings.
    text = csv_text([["KẾ HOẠCH TIẾP XÚC CỬ TRI NĂM 2026"], [], headers, values, ["2"], ["3"]])

    meetings, problems = read_csv(text)

    assert problems == []
    assert [(m.row, m.unit_number, m.place) for m in meetings] == [
        (4, 1, "Nhà văn hóa ấp Tân Dân")]
    assert meetings[0].delegates == ()
    assert meetings[0].documents_days == 5


# --- Mistakes ------------------------------------------------------------------------------


def test_a_malformed_plan_reports_every_problem_where_it_is() -> None:
    rows = [
        meeting(1, "10/06/2026"),                                   # row 2: fine
        meeting(2, "31/02/2026"),                                   # row 3
        meeting(1, "11/06/2026", cells={"Đơn vị bầu cử": "9"}),         # row 4
        meeting(3, "15/07/2026", round_=1,                          # row 5
                cells={"Từ ngày": "24/07/2026", "Đến ngày": "10/07/2026"}),
        meeting(1, "10/06/2026"),                                   # row 6: same as row 2
        meeting(2, "12/06/2026", "25:00"),                          # row 7
        meeting(3, "12/06/2026", cells={"Đại biểu": "Võ Minh Tâm; Lý Văn Tư"}),  # row 8
        meeting(4, "25/06/2026"),                                   # row 9
    ]

    meetings, problems = read_csv(csv_text(table(rows)))

    assert problems == [
        PlanProblem(3, "Ngày", "bad_date", {"value": "31/02/2026"}),
        PlanProblem(4, "Đơn vị bầu cử", "unknown_unit", {"value": "9", "known": "1, 2, 3, 4"}),
        PlanProblem(5, "Đến ngày", "window_reversed", {"start": "24/07/2026",
                                                        "end": "10/07/2026"}),
        PlanProblem(6, "", "duplicate_row", {"other_row": "2"}),
        PlanProblem(7, "Giờ", "bad_time", {"value": "25:00"}),
        PlanProblem(8, "Đại biểu", "unknown_delegate", {"value": "Lý Văn Tư",
                                                         "suggestion": ""}),
        PlanProblem(9, "Ngày", "outside_window", {"value": "25/06/2026", "start": "05/06/2026",
                                                  "end": "19/06/2026"}),
    ]
    # Only the good row is understood; the caller imports nothing from a plan that is not ok.
    assert [m.row for m in meetings] == [2]
    assert not read_plan(csv_text(table(rows)).encode(), "x.csv", units=UNITS,
                         delegates=DELEGATES).ok


def test_rows_of_one_round_agree_on_its_window_and_rows_of_one_session_on_its_dates() -> None:
    rows = [
        meeting(1, "10/06/2026"),
        meeting(2, "11/06/2026", cells={"Đến ngày": "18/06/2026"}),
        meeting(3, "15/07/2026", round_=1, cells={"Ngày khai mạc": "07/07/2026"}),
    ]

    _, problems = read_csv(csv_text(table(rows)))

    assert problems == [
        PlanProblem(3, "Đến ngày", "conflicting_round", {
            "other_row": "2", "value": "18/06/2026", "other_value": "19/06/2026"}),
        PlanProblem(4, "Ngày khai mạc", "conflicting_session", {
            "other_row": "2", "value": "07/07/2026", "other_value": "08/07/2026"}),
    ]


def test_a_round_before_the_session_ends_by_its_opening_and_one_after_starts_at_its_close(
) -> None:
    rows = [
        meeting(1, "10/06/2026", cells={"Đến ngày": "10/07/2026"}),
        meeting(1, "09/07/2026", round_=1, cells={"Từ ngày": "01/07/2026"}),
    ]

    _, problems = read_csv(csv_text(table(rows)))

    window = {"session_opens": "08/07/2026", "session_closes": "09/07/2026"}
    assert problems == [
        PlanProblem(2, "Đến ngày", "round_timing", {
            "timing": "before", "window_start": "05/06/2026", "window_end": "10/07/2026",
            **window}),
        PlanProblem(3, "Từ ngày", "round_timing", {
            "timing": "after", "window_start": "01/07/2026", "window_end": "24/07/2026",
            **window}),
    ]


def test_a_round_closing_exactly_on_the_session_days_is_fine() -> None:
    rows = [
        meeting(1, "08/07/2026", cells={"Đến ngày": "08/07/2026"}),
        meeting(1, "09/07/2026", round_=1, cells={"Từ ngày": "09/07/2026"}),
    ]

    meetings, problems = read_csv(csv_text(table(rows)))

    assert problems == []
    assert len(meetings) == 2


def test_each_cell_is_checked_against_its_format() -> None:
    rows = [meeting(1, "10/06/2026", cells={
        "Kỳ họp": "K" * 201, "Ngày bế mạc": "05/07/2026", "Đợt": "giữa kỳ",
        "Địa điểm": "", "Nội dung": "x" * 2001, "Số cử tri dự kiến": "0",
        "Gửi tài liệu trước (ngày)": "61", "Gửi ý kiến sau (ngày)": "năm",
        "Hạn báo cáo MTTQ": "01/06/2026"}),
        meeting(2, "05/06/26", cells={"Ngày khai mạc": "#REF!"})]

    _, problems = read_csv(csv_text(table(rows)))

    assert problems == [
        PlanProblem(2, "Kỳ họp", "too_long", {"max": "200", "length": "201"}),
        PlanProblem(2, "Ngày bế mạc", "session_reversed", {"opens": "08/07/2026",
                                                            "closes": "05/07/2026"}),
        PlanProblem(2, "Đợt", "bad_timing", {"value": "giữa kỳ"}),
        PlanProblem(2, "Địa điểm", "missing", {}),
        PlanProblem(2, "Nội dung", "too_long", {"max": "2000", "length": "2001"}),
        PlanProblem(2, "Số cử tri dự kiến", "bad_number", {"value": "0", "min": "1",
                                                           "max": "100000"}),
        PlanProblem(2, "Gửi tài liệu trước (ngày)", "bad_number", {
            "value": "61", "min": "0", "max": "60"}),
        PlanProblem(2, "Gửi ý kiến sau (ngày)", "bad_number", {
            "value": "năm", "min": "0", "max": "60"}),
        PlanProblem(2, "Hạn báo cáo MTTQ", "report_before_window", {
            "value": "01/06/2026", "window_start": "05/06/2026"}),
        PlanProblem(3, "Ngày khai mạc", "cell_error", {"value": "#REF!"}),
        PlanProblem(3, "Ngày", "short_year", {"value": "05/06/26"}),
    ]


def test_a_misspelt_delegate_comes_with_the_name_meant() -> None:
    _, problems = read_csv(csv_text(table([meeting(cells={"Đại biểu": "Trần Thị Lann"})])))

    assert problems == [PlanProblem(2, "Đại biểu", "unknown_delegate", {
        "value": "Trần Thị Lann", "suggestion": "Trần Thị Lan"})]


def test_namesakes_among_delegates_must_be_told_apart() -> None:
    plan = read_plan(csv_text(table([meeting(cells={"Đại biểu": "Nguyen Van Hung"})])).encode(),
                     "x.csv", units=UNITS, delegates=[*DELEGATES, "Nguyễn Văn Hưng"])

    assert plan.problems == (PlanProblem(2, "Đại biểu", "ambiguous_delegate", {
        "value": "Nguyen Van Hung"}),)


# --- Ways of writing the same thing --------------------------------------------------------


@pytest.mark.parametrize(("written", "meant"), [
    ("7:30", time(7, 30)), ("07:30", time(7, 30)), ("7h30", time(7, 30)), ("7g30", time(7, 30)),
    ("14h", time(14, 0)), ("14H00", time(14, 0)), ("7 giờ 30", time(7, 30)),
    ("2h chiều", time(14, 0)), ("07:30:00", time(7, 30)),
])
def test_meeting_times_are_read_as_offices_write_them(written: str, meant: time) -> None:
    meetings, problems = read_csv(csv_text(table([meeting(hour=written)])))

    assert problems == []
    assert meetings[0].time == meant


@pytest.mark.parametrize(("written", "start", "end"), [
    ("7h30-10h30", time(7, 30), time(10, 30)), ("7h30 - 10h30", time(7, 30), time(10, 30)),
    ("7:30 – 10:30", time(7, 30), time(10, 30)), ("8h đến 10h", time(8), time(10)),
    ("2h-4h chiều", time(14), time(16)), ("10h-2h chiều", time(10), time(14)),
    ("14h00-16h30", time(14), time(16, 30)), ("7h30", time(7, 30), None),
])
def test_a_meeting_end_is_read_as_plans_write_it(written: str, start: time, end: time | None
                                                 ) -> None:
    meetings, problems = read_csv(csv_text(table([meeting(hour=written)])))

    assert problems == []
    assert (meetings[0].time, meetings[0].end_time) == (start, end)


def test_the_end_may_have_its_own_column_but_must_follow_the_start_and_agree() -> None:
    headers = [*HEADERS, "Giờ kết thúc"]
    rows = [meeting(cells={"Giờ kết thúc": "10:30"}),
            meeting(2, cells={"Giờ kết thúc": "6h"}),
            meeting(3, hour="7h30-10h30", cells={"Giờ kết thúc": "11h"}),
            meeting(4, hour="9h-8h"),
            meeting(4, day="11/06/2026", hour="6h-19h")]
    meetings, problems = read_csv(csv_text(table(rows, headers)))

    assert [(m.unit_number, m.end_time) for m in meetings] == [(1, time(10, 30))]
    assert problems == [
        PlanProblem(3, "Giờ kết thúc", "end_before_start", {"start": "07:30", "end": "06:00"}),
        PlanProblem(4, "Giờ kết thúc", "end_twice", {"value": "11:00", "other_value": "10:30"}),
        PlanProblem(5, "Giờ", "end_before_start", {"start": "09:00", "end": "08:00"}),
        PlanProblem(6, "Giờ", "meeting_too_long", {"start": "06:00", "end": "19:00"}),
    ]


@pytest.mark.parametrize("written", ["25:00", "7:75", "sáng", "7h3", "15h sáng", "7h-9h-10h",
                                     "7h-"])
def test_impossible_times_are_refused(written: str) -> None:
    _, problems = read_csv(csv_text(table([meeting(hour=written)])))

    assert problems == [PlanProblem(2, "Giờ", "bad_time", {"value": written})]


@pytest.mark.parametrize("written", [
    "10/06/2026", "10/6/2026", "10-06-2026", "10.06.2026", "ngày 10 tháng 6 năm 2026"])
def test_dates_are_read_day_first_in_any_usual_spelling(written: str) -> None:
    meetings, problems = read_csv(csv_text(table([meeting(day=written)])))

    assert problems == []
    assert meetings[0].day == date(2026, 6, 10)


@pytest.mark.parametrize(("written", "key"), [
    ("31/02/2026", "bad_date"), ("10/13/2026", "bad_date"), ("10/06/26", "short_year"),
    ("mười tháng sáu", "bad_date"), ("10/06/2206", "bad_date")])
def test_impossible_or_ambiguous_dates_are_refused(written: str, key: str) -> None:
    _, problems = read_csv(csv_text(table([meeting(day=written)])))

    assert problems == [PlanProblem(2, "Ngày", key, {"value": written})]


@pytest.mark.parametrize(("written", "unit"), [
    ("1", 1), ("01", 1), ("Đơn vị số 2", 2), ("đơn vị bầu cử số 3", 3), ("ĐV 3", 3),
    ("DV4", 4), ("Ấp Tân Hậu", 4), ("ap tan hau", 4), ("Tân Chủ", 3),
    ("Đơn vị số 2 (ấp Tân Hùng)", 2)])
def test_an_electoral_unit_is_known_by_its_number_or_its_name(written: str, unit: int) -> None:
    meetings, problems = read_csv(csv_text(table([meeting(cells={"Đơn vị bầu cử": written})])))

    assert problems == []
    assert meetings[0].unit_number == unit


@pytest.mark.parametrize("written", ["9", "Ấp Tân Thành", "Tân", "Đơn vị số 0"])
def test_a_unit_the_commune_does_not_have_is_refused(written: str) -> None:
    _, problems = read_csv(csv_text(table([meeting(cells={"Đơn vị bầu cử": written})])))

    assert [(p.key, p.params["value"]) for p in problems] == [("unknown_unit", written)]


@pytest.mark.parametrize("written", ["Trước kỳ họp", "trước", "TRUOC KY HOP", "truoc",
                                     "Đợt trước kỳ họp"])
def test_a_round_before_the_session_is_recognised_with_or_without_accents(written: str) -> None:
    meetings, problems = read_csv(csv_text(table([meeting(cells={"Đợt": written})])))

    assert problems == []
    assert meetings[0].timing == "before"


def test_delegates_are_matched_whatever_their_accents_case_spacing_or_separator() -> None:
    written = "nguyen van hung ,  TRẦN THỊ  LAN\n- Lê Văn Bình; Ông Võ Minh Tâm; Trần Thị Lan"

    meetings, problems = read_csv(csv_text(table([meeting(cells={"Đại biểu": written})])))

    assert problems == []
    assert meetings[0].delegates == ("Nguyễn Văn Hùng", "Trần Thị Lan", "Lê Văn Bình",
                                     "Võ Minh Tâm")


def test_round_deadlines_written_on_one_row_apply_to_the_whole_round() -> None:
    rows = [
        meeting(1, "10/06/2026"),
        meeting(2, "11/06/2026", cells={"Gửi tài liệu trước (ngày)": "7",
                                    "Hạn báo cáo MTTQ": "22/06/2026"}),
        meeting(3, "15/07/2026", round_=1),
    ]
    for row in rows:
        if row["Gửi tài liệu trước (ngày)"] == "5":
            row["Gửi tài liệu trước (ngày)"] = ""
        row["Gửi ý kiến sau (ngày)"] = ""

    meetings, problems = read_csv(csv_text(table(rows)))

    assert problems == []
    assert [(m.documents_days, m.opinions_days, m.front_report_by) for m in meetings] == [
        (7, 5, date(2026, 6, 22)), (7, 5, date(2026, 6, 22)), (5, 5, None)]


def test_a_session_title_typed_differently_is_the_same_session() -> None:
    rows = [meeting(1, "10/06/2026"),
            meeting(2, "11/06/2026", cells={"Kỳ họp": "ky hop thuong le giua nam 2026 "})]

    meetings, problems = read_csv(csv_text(table(rows)))

    assert problems == []
    assert {m.session_title for m in meetings} == {MID_YEAR}


def test_the_same_unit_meeting_at_the_same_time_in_another_round_is_no_duplicate() -> None:
    rows = [meeting(1, "10/06/2026"), meeting(1, "10/06/2026", "14h"),
            meeting(1, "10/11/2026", round_=2)]

    meetings, problems = read_csv(csv_text(table(rows)))

    assert problems == []
    assert len(meetings) == 3


# --- Files that cannot be a plan ------------------------------------------------------------


def test_a_corrupt_excel_file_is_unreadable_not_an_error() -> None:
    template = build_plan_template_xlsx(units=UNITS, example_year=2026)

    for data in (template[: len(template) // 2], b"PK\x03\x04" + b"\x00" * 100):
        plan = read_plan(data, "ke-hoach.xlsx", units=UNITS, delegates=DELEGATES)
        assert plan.problems == (PlanProblem(0, "", "unreadable", {}),)
        assert plan.meetings == ()


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=400) | st.text(max_size=400).map(str.encode),
       filename=st.sampled_from(["ke-hoach.csv", "ke-hoach.xlsx", "ke-hoach.xls", "ke-hoach"]))
def test_no_file_makes_the_reader_fail(data: bytes, filename: str) -> None:
    plan = read_plan(data, filename, units=UNITS, delegates=DELEGATES)

    assert plan.problems or plan.meetings


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.text(max_size=12) | st.sampled_from(
    ["10/06/2026", "31/02/2026", "7h30", "1", "Trước", "Sau kỳ họp", MID_YEAR, "", "0"]),
    min_size=16, max_size=16), min_size=1, max_size=6))
def test_any_cells_under_the_plan_headers_give_meetings_or_problems(
        cells: list[list[str]]) -> None:
    plan = read_plan(csv_text([HEADERS, *cells]).encode(), "ke-hoach.csv", units=UNITS,
                     delegates=DELEGATES)

    assert plan.problems or plan.meetings
    assert all(p.row >= 0 and p.key for p in plan.problems)


def test_an_old_excel_97_file_asks_to_be_saved_again() -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512

    plan = read_plan(data, "ke-hoach.xls", units=UNITS, delegates=DELEGATES)

    assert plan.problems == (PlanProblem(0, "", "unsupported_format",
                                         {"filename": "ke-hoach.xls"}),)


@pytest.mark.parametrize("data", [b"", b"\n\n  \n", csv_text([HEADERS]).encode(),
                                  xlsx([HEADERS])])
def test_a_file_without_meetings_has_no_rows(data: bytes) -> None:
    plan = read_plan(data, "ke-hoach.csv", units=UNITS, delegates=DELEGATES)

    assert plan.problems == (PlanProblem(0, "", "no_rows", {}),)
    assert not plan.ok


def test_a_file_without_the_plan_header_says_which_columns_are_expected() -> None:
    plan = read_plan("Họ tên,Số điện thoại\nNguyễn Văn A,0912345678\n".encode(), "danh-ba.csv",
                     units=UNITS, delegates=DELEGATES)

    assert [p.key for p in plan.problems] == ["no_header"]
    assert plan.problems[0].params["expected"].startswith("Kỳ họp, Ngày khai mạc, Ngày bế mạc")


def test_a_missing_required_column_is_named_once_not_on_every_row() -> None:
    headers = [header for header in HEADERS if header != "Giờ"]

    meetings, problems = read_csv(csv_text(table(year_plan()[:3], headers)))

    assert problems == [PlanProblem(1, "", "missing_column", {"column": "Giờ"})]
    assert meetings == []


def test_a_column_given_twice_is_pointed_at() -> None:
    headers = [*HEADERS, "ngày"]

    _, problems = read_csv(csv_text(table([meeting()], headers)))

    assert problems == [PlanProblem(1, "ngày", "duplicate_column", {"column": "Ngày"})]


def test_a_file_longer_than_the_limit_is_refused() -> None:
    rows = [meeting(1 + n % 4, "10/06/2026", f"{7 + n // 60 % 12}:{n % 60:02d}",
                    cells={"Kỳ họp": f"Kỳ họp {n // 720}"}) for n in range(MAX_ROWS + 1)]

    _, problems = read_csv(csv_text(table(rows)))

    assert problems == [PlanProblem(0, "", "too_many_rows", {"limit": str(MAX_ROWS)})]


# --- The template -----------------------------------------------------------------------------


def test_the_template_reads_back_as_a_valid_plan() -> None:
    data = build_plan_template_xlsx(units=UNITS, example_year=2027)

    plan = read_plan(data, "mau-ke-hoach-txct.xlsx", units=UNITS, delegates=DELEGATES)

    assert plan.ok, plan.problems
    assert [(m.unit_number, m.timing, m.day, m.time, m.end_time, m.place)
            for m in plan.meetings] == [
        (1, "before", date(2027, 6, 10), time(7, 30), time(10, 30), "Nhà văn hóa ấp Tân Dân"),
        (2, "before", date(2027, 6, 11), time(14, 0), time(16, 30), "Nhà văn hóa ấp Tân Hùng"),
    ]
    assert plan.meetings[0].session_title == "Kỳ họp thường lệ giữa năm 2027"
    assert plan.meetings[0].session_opens == date(2027, 7, 7)


def test_the_template_has_a_frozen_bold_header_and_a_guide_listing_the_units() -> None:
    book = load_workbook(io.BytesIO(build_plan_template_xlsx(units=UNITS, example_year=2026)))

    assert book.sheetnames == ["Kế hoạch TXCT", "Hướng dẫn"]
    sheet, guide = book["Kế hoạch TXCT"], book["Hướng dẫn"]
    with_end = [*HEADERS[:HEADERS.index("Giờ") + 1], "Giờ kết thúc",
                *HEADERS[HEADERS.index("Giờ") + 1:]]
    assert [cell.value for cell in sheet[1]] == with_end
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width > 20
    assert sheet["B2"].number_format == "dd/mm/yyyy"
    explained = {row[0] for row in guide.iter_rows(values_only=True)}
    assert set(with_end) <= explained
    units = [(row[0], row[1]) for row in guide.iter_rows(values_only=True)
             if isinstance(row[0], int)]
    assert units == sorted(UNITS.items())


def test_a_template_for_a_single_unit_still_reads_back_as_valid() -> None:
    units = {5: "Đơn vị bầu cử số 5 (ấp Tân Hòa)"}

    plan = read_plan(build_plan_template_xlsx(units=units, example_year=2026), "mau.xlsx",
                     units=units, delegates=[])

    assert plan.ok, plan.problems
    assert {m.unit_number for m in plan.meetings} == {5}
    assert plan.meetings[0].place == "Nhà văn hóa ấp Tân Hòa"
