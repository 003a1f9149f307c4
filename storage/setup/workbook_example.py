"""The example in the commune workbook's template: xã Minh Tiến, tỉnh Lạng Sơn (seed 000).

The commune and its province are real; its hamlets, units, delegates and phone numbers are
invented for the example (the numbers are not anyone's). The office overwrites these rows with
its own.
"""

from __future__ import annotations

from storage.setup.workbook import (
    AgencyRow,
    CommuneRow,
    DialogueOptionRow,
    FieldRow,
    HamletRow,
    SeatRow,
    UnitRow,
    Workbook,
)

_COMMUNE = "minh-tien"

_HAMLETS = (  # (code, name, electoral unit, households)
    ("minh-tien-dong-buc", "Thôn Đồng Bục", 1, 212),
    ("minh-tien-na-lua", "Thôn Nà Lừa", 1, 148),
    ("minh-tien-khuon-pinh", "Thôn Khuôn Pinh", 2, 175),
    ("minh-tien-ban-hau", "Thôn Bản Hấu", 2, 96),
    ("minh-tien-lang-ca", "Thôn Làng Cà", 3, 131),
    ("minh-tien-dong-tan", "Thôn Đồng Tân", 3, 164),
)

_SEATS = (  # (name, unit, phone, title)
    ("Hoàng Văn Thắng", 1, "0912000101", "Chủ tịch HĐND xã"),
    ("Lương Thị Hạnh", 1, None, "Phó Chủ tịch HĐND xã"),
    ("Nông Văn Dũng", 2, "0987000102", "Trưởng thôn Khuôn Pinh"),
    ("Vi Thị Thu", 2, None, "Chủ tịch Hội Liên hiệp Phụ nữ xã"),
    ("Lăng Văn Hòa", 3, "0356000103", "Bí thư chi bộ thôn Làng Cà"),
    ("Triệu Thị Mai", 3, None, "Giáo viên Trường Tiểu học Minh Tiến"),
    ("Chu Văn Khánh", 3, None, "Trưởng Công an xã"),
)

_FIELDS = (  # (code, name, working days to answer when not the commune's)
    ("dat-dai", "Đất đai, tài nguyên, môi trường", 30),
    ("giao-thong", "Giao thông, xây dựng, thủy lợi", None),
    ("nong-nghiep", "Nông nghiệp, lâm nghiệp", None),
    ("chinh-sach", "Chính sách, an sinh xã hội", None),
    ("van-hoa", "Văn hóa, xã hội, giáo dục, y tế", None),
    ("dien", "Điện, viễn thông", 10),
    ("an-ninh", "An ninh, trật tự", None),
    ("thu-tuc", "Thủ tục hành chính", None),
    ("khac", "Lĩnh vực khác", None),
)

_AGENCIES = (
    ("Văn phòng HĐND và UBND xã", "commune", ("thu-tuc", "khac")),
    ("Phòng Kinh tế xã", "commune", ("dat-dai", "giao-thong", "nong-nghiep")),
    ("Phòng Văn hóa - Xã hội xã", "commune", ("chinh-sach", "van-hoa")),
    ("Công an xã", "commune", ("an-ninh",)),
    ("Sở Nông nghiệp và Môi trường tỉnh Lạng Sơn", "province", ("dat-dai", "nong-nghiep")),
    ("Điện lực Hữu Lũng", "utility", ("dien",)),
)

_OPTIONS = (
    ("category", "ho-ngheo", "Hộ nghèo"),
    ("category", "ho-can-ngheo", "Hộ cận nghèo"),
    ("category", "ho-moi-thoat-ngheo", "Hộ mới thoát nghèo"),
    ("topic", "ra-soat-danh-sach", "Rà soát danh sách hộ nghèo, hộ cận nghèo"),
    ("topic", "che-do-chinh-sach", "Chế độ, chính sách chưa được hưởng"),
    ("topic", "hoc-nghe", "Học nghề"),
    ("topic", "vay-von", "Vay vốn tạo việc làm"),
    ("topic", "khac", "Vấn đề khác"),
)

MINH_TIEN = Workbook(
    communes=(CommuneRow(
        province_code="lang-son", province_name="Tỉnh Lạng Sơn", code=_COMMUNE,
        name="Xã Minh Tiến", kind="xa", district="Huyện Hữu Lũng", office_phone="02053825100",
        address="Trụ sở UBND xã, thôn Đồng Bục, xã Minh Tiến, tỉnh Lạng Sơn",
        opening_hours="Sáng 7:30–11:30, chiều 13:30–17:00, thứ Hai đến thứ Sáu",
        reception_schedule=(
            "Thứ Ba hằng tuần, 7:30–11:00, Phòng tiếp công dân, Trụ sở UBND xã.\n"
            "Chủ tịch UBND xã tiếp công dân định kỳ ngày 10 hằng tháng."),
        answer_days=15,
    ),),
    hamlets=tuple(HamletRow(_COMMUNE, code, name, households)
                  for code, name, _unit, households in _HAMLETS),
    units=tuple(
        UnitRow(_COMMUNE, number, f"Đơn vị bầu cử số {number}",
                tuple(code for code, _name, unit, _households in _HAMLETS if unit == number))
        for number in (1, 2, 3)),
    seats=tuple(SeatRow(_COMMUNE, name, unit, phone, title)
                for name, unit, phone, title in _SEATS),
    fields=tuple(FieldRow(_COMMUNE, code, name, days) for code, name, days in _FIELDS),
    agencies=tuple(AgencyRow(_COMMUNE, name, competence, fields)
                   for name, competence, fields in _AGENCIES),
    options=tuple(DialogueOptionRow(_COMMUNE, kind, code, name) for kind, code, name in _OPTIONS),
)
