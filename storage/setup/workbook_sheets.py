"""The commune workbook's layout: its sheets, their columns, the fixed lists and the limits.

One description serves the reader (which headers to recognise, which cells are required), the
writer (headers, widths, drop-down lists) and the guide sheet (one line per column), so the
three cannot drift apart. The office reads the Vietnamese here; field names are the values'
attribute names in `storage.setup.workbook`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from storage.folding import fold

MAX_BYTES = 10 * 1024 * 1024
# Data rows per sheet: a province of a few hundred communes stays well below it.
MAX_ROWS = 20_000
MAX_ANSWER_DAYS = 60
MAX_UNIT_NUMBER = 999
MAX_HOUSEHOLDS = 100_000
DEFAULT_ANSWER_DAYS = 15

GUIDE_SHEET = "Hướng dẫn"

# Value as stored → what the office reads and picks in the drop-down list.
COMMUNE_KINDS = {"xa": "Xã", "phuong": "Phường", "dac_khu": "Đặc khu"}
COMPETENCES = {"commune": "Xã", "province": "Tỉnh", "utility": "Điện nước"}
OPTION_KINDS = {"category": "Đối tượng", "topic": "Chủ đề"}

# Other ways offices write the same choice (compared folded); the stored values are accepted
# too, so an export from another tool reads back.
_KIND_WORDS = {"xa": "xa", "phuong": "phuong", "dac khu": "dac_khu", "dac_khu": "dac_khu"}
_COMPETENCE_WORDS = {
    "xa": "commune", "cap xa": "commune", "phuong": "commune", "dac khu": "commune",
    "commune": "commune",
    "tinh": "province", "cap tinh": "province", "province": "province",
    "dien nuoc": "utility", "dien": "utility", "dien luc": "utility", "nuoc": "utility",
    "cap nuoc": "utility", "vien thong": "utility", "doanh nghiep": "utility",
    "utility": "utility",
}
_OPTION_KIND_WORDS = {
    "doi tuong": "category", "loai ho": "category", "nhom ho": "category",
    "category": "category",
    "chu de": "topic", "noi dung": "topic", "topic": "topic",
}


def choice_of(words: dict[str, str], text: str) -> str | None:
    """The stored value a cell means (`"Điện lực"` → `"utility"`), or None."""
    return words.get(header_key(text))


def header_key(text: str) -> str:
    """`"Huyện cũ (trước sáp nhập) "` → `"huyen cu truoc sap nhap"`; underscores kept."""
    return re.sub(r"[^a-z0-9_]+", " ", fold(text)).strip()


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    required: bool
    width: int
    guide: str  # its line on the guide sheet
    aliases: tuple[str, ...] = ()  # other headers offices write for it
    text: bool = False  # formatted as text, so Excel keeps a code's or phone's leading zeros


@dataclass(frozen=True)
class Sheet:
    kind: str  # the `Workbook` attribute it fills
    title: str
    required: bool
    about: str  # what one row is, for the guide
    columns: tuple[Column, ...]
    aliases: tuple[str, ...] = ()

    def column(self, field: str) -> Column:
        return next(column for column in self.columns if column.field == field)


def _commune_code(about: str) -> Column:
    return Column("commune_code", "Mã xã", True, 14,
                  f"Mã của xã {about}, như đã ghi ở trang «Xã».",
                  aliases=("Mã xã, phường", "Mã phường"), text=True)


_CODE_RULE = "chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang"

COMMUNES = Sheet("communes", "Xã", True, "Mỗi dòng là một xã, phường hoặc đặc khu.", (
    Column("province_code", "Mã tỉnh", True, 12,
           f"Mã của tỉnh, {_CODE_RULE}, ví dụ lang-son.", text=True),
    Column("province_name", "Tên tỉnh", True, 18,
           "Tên đầy đủ, ví dụ: Tỉnh Lạng Sơn. Các xã cùng tỉnh ghi giống nhau."),
    Column("code", "Mã xã", True, 14,
           f"Mã của xã, {_CODE_RULE}, ví dụ minh-tien; không trùng với xã khác.",
           aliases=("Mã xã, phường", "Mã phường"), text=True),
    Column("name", "Tên xã", True, 20,
           "Tên đầy đủ, ví dụ: Xã Minh Tiến (tối đa 200 ký tự).",
           aliases=("Tên xã, phường", "Tên phường")),
    Column("kind", "Loại", False, 10,
           "Xã, Phường hoặc Đặc khu; để trống là Xã."),
    Column("district", "Huyện cũ (trước sáp nhập)", False, 18,
           "Huyện trước ngày 1/7/2025, giúp người dân tìm xã của mình.",
           aliases=("Huyện cũ", "Huyện")),
    Column("office_phone", "Điện thoại văn phòng", False, 16,
           "Số điện thoại của văn phòng HĐND và UBND, đủ 10 hoặc 11 chữ số.",
           aliases=("Điện thoại", "Số điện thoại"), text=True),
    Column("address", "Địa chỉ", False, 30,
           "Địa chỉ trụ sở (tối đa 300 ký tự)."),
    Column("opening_hours", "Giờ làm việc", False, 28,
           "Ví dụ: Sáng 7:30–11:30, chiều 13:30–17:00, thứ Hai đến thứ Sáu."),
    Column("reception_schedule", "Lịch tiếp công dân", False, 36,
           "Nơi, ngày giờ và người tiếp công dân (tối đa 2000 ký tự)."),
    Column("answer_days", "Số ngày làm việc trả lời", False, 14,
           f"Số ngày làm việc để trả lời kiến nghị, từ 1 đến "
           f"{MAX_ANSWER_DAYS}; để trống là {DEFAULT_ANSWER_DAYS} ngày.",
           aliases=("Số ngày trả lời",)),
), aliases=("Xã, phường", "Xã phường", "Danh sách xã"))

HAMLETS = Sheet("hamlets", "Thôn, ấp", True,
                "Mỗi dòng là một thôn, ấp, bản hoặc tổ dân phố, nơi người dân đang ở.", (
    _commune_code("có thôn này"),
    Column("code", "Mã thôn", True, 22,
           f"{_CODE_RULE.capitalize()}. Không được trùng trong cả tỉnh: nên ghi mã "
           "xã ở đầu, ví dụ minh-tien-na-lua. Mã này in trên mã QR dán ở thôn.",
           aliases=("Mã thôn, ấp", "Mã ấp", "Mã"), text=True),
    Column("name", "Tên", True, 26,
           "Tên như người dân vẫn gọi, ví dụ: Thôn Nà Lừa; không trùng trong một xã.",
           aliases=("Tên thôn", "Tên thôn, ấp", "Tên ấp")),
    Column("households", "Số hộ", False, 10,
           f"Số hộ gia đình đang sống ở thôn, từ 1 đến {MAX_HOUSEHOLDS}; để trống nếu chưa "
           "có. Văn phòng xã dùng số này để xem thôn nào còn ít người dân tham gia.",
           aliases=("Số hộ gia đình", "Tổng số hộ")),
), aliases=("Thôn", "Ấp", "Thôn ấp", "Thôn, ấp, bản", "Thôn, tổ dân phố"))

UNITS = Sheet("units", "Đơn vị bầu cử", True,
              "Mỗi dòng là một đơn vị bầu cử đại biểu HĐND xã và các thôn thuộc đơn vị.", (
    _commune_code("có đơn vị này"),
    Column("number", "Số", True, 8,
           f"Số thứ tự của đơn vị trong xã, từ 1 đến {MAX_UNIT_NUMBER}.",
           aliases=("Số đơn vị", "Đơn vị số")),
    Column("name", "Tên", False, 26,
           "Ví dụ: Đơn vị bầu cử số 1; để trống thì ghi theo số.",
           aliases=("Tên đơn vị",)),
    Column("hamlets", "Các thôn", True, 48,
           "Tên hoặc mã các thôn của đơn vị, cách nhau bằng dấu phẩy hoặc dấu chấm "
           "phẩy; mỗi thôn chỉ thuộc một đơn vị.",
           aliases=("Thôn", "Các thôn, ấp", "Thôn, ấp")),
), aliases=("Đơn vị", "Đơn vị bầu cử HĐND"))

SEATS = Sheet("seats", "Đại biểu", True, "Mỗi dòng là một đại biểu HĐND xã.", (
    _commune_code("của đại biểu"),
    Column("name", "Họ tên", True, 24,
           "Họ và tên đầy đủ, ví dụ: Hoàng Văn Thắng.",
           aliases=("Họ và tên", "Tên", "Tên đại biểu")),
    Column("unit_number", "Đơn vị số", True, 10,
           "Số của đơn vị bầu cử nơi đại biểu được bầu, như ở trang «Đơn vị bầu cử».",
           aliases=("Đơn vị", "Đơn vị bầu cử", "Số đơn vị")),
    Column("phone", "Điện thoại (không bắt buộc)", False, 16,
           "Số điện thoại của đại biểu, đủ 10 hoặc 11 chữ số.",
           aliases=("Điện thoại", "Số điện thoại"), text=True),
    Column("title", "Chức danh", False, 32,
           "Ví dụ: Chủ tịch HĐND xã; Bí thư chi bộ thôn Nà Lừa.",
           aliases=("Chức vụ",)),
), aliases=("Đại biểu HĐND", "Đại biểu HĐND xã"))

FIELDS = Sheet("fields", "Lĩnh vực", True,
               "Mỗi dòng là một lĩnh vực để phân loại ý kiến, kiến nghị của cử tri.", (
    _commune_code("dùng lĩnh vực này"),
    Column("code", "Mã", True, 16,
           f"{_CODE_RULE.capitalize()}, ví dụ dat-dai; không trùng trong một xã.",
           aliases=("Mã lĩnh vực",), text=True),
    Column("name", "Tên", True, 34,
           "Ví dụ: Đất đai, tài nguyên, môi trường.", aliases=("Tên lĩnh vực",)),
    Column("answer_days", "Số ngày trả lời", False, 12,
           f"Số ngày làm việc để trả lời kiến nghị thuộc lĩnh vực này, từ 1 "
           f"đến {MAX_ANSWER_DAYS}; để trống là theo số ngày chung của xã.",
           aliases=("Số ngày làm việc trả lời",)),
), aliases=("Lĩnh vực kiến nghị",))

AGENCIES = Sheet("agencies", "Cơ quan", True,
                 "Mỗi dòng là một cơ quan, đơn vị giải quyết kiến nghị của cử tri.", (
    _commune_code("gửi kiến nghị đến cơ quan này"),
    Column("name", "Tên", True, 34,
           "Ví dụ: Phòng Kinh tế xã; không trùng trong một xã.",
           aliases=("Tên cơ quan",)),
    Column("competence", "Cấp", True, 12,
           "Xã (cơ quan của xã), Tỉnh (sở, ngành của tỉnh) hoặc Điện nước (điện "
           "lực, cấp nước, viễn thông).", aliases=("Thẩm quyền",)),
    Column("fields", "Lĩnh vực", False, 40,
           "Mã hoặc tên các lĩnh vực cơ quan thường giải quyết, cách nhau bằng "
           "dấu chấm phẩy.", aliases=("Các lĩnh vực",)),
), aliases=("Cơ quan giải quyết", "Cơ quan, đơn vị"))

OPTIONS = Sheet("options", "Đối thoại", False,
                "Mỗi dòng là một đối tượng hộ hoặc một chủ đề hỏi trong đối thoại chính sách "
                "giảm nghèo. Để trống cả trang thì dùng danh sách chung.", (
    _commune_code("có đối thoại"),
    Column("kind", "Loại", True, 12,
           "Đối tượng (ví dụ hộ nghèo) hoặc Chủ đề (ví dụ vay vốn)."),
    Column("code", "Mã", True, 24,
           f"{_CODE_RULE.capitalize()}, ví dụ ho-ngheo; không trùng trong cùng loại.",
           text=True),
    Column("name", "Tên", True, 40, "Ví dụ: Hộ nghèo."),
), aliases=("Đối thoại chính sách", "Đối thoại giảm nghèo"))

SHEETS = (COMMUNES, HAMLETS, UNITS, SEATS, FIELDS, AGENCIES, OPTIONS)

CHOICES = {
    ("communes", "kind"): (COMMUNE_KINDS, _KIND_WORDS),
    ("agencies", "competence"): (COMPETENCES, _COMPETENCE_WORDS),
    ("options", "kind"): (OPTION_KINDS, _OPTION_KIND_WORDS),
}

# Text limits, as the database holds them.
LENGTHS = {
    ("communes", "province_code"): 32, ("communes", "province_name"): 200,
    ("communes", "code"): 32, ("communes", "name"): 200, ("communes", "district"): 200,
    ("communes", "address"): 300, ("communes", "opening_hours"): 300,
    ("communes", "reception_schedule"): 2000,
    ("hamlets", "code"): 48, ("hamlets", "name"): 200,
    ("units", "name"): 200,
    ("seats", "name"): 200, ("seats", "title"): 200,
    ("fields", "code"): 32, ("fields", "name"): 200,
    ("agencies", "name"): 200,
    ("options", "code"): 48, ("options", "name"): 200,
}


def sheet_named(title: str) -> Sheet | None:
    """Which of our sheets a sheet of the file is, by its name with or without accents."""
    key = header_key(title)
    for sheet in SHEETS:
        if key in {header_key(name) for name in (sheet.title, *sheet.aliases)}:
            return sheet
    return None
