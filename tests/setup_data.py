"""Big commune workbooks for tests and benches: a province of Vietnamese-looking communes.

`province_workbook(100)` is a province as large as one instance is meant to run: 100 communes
of 6 to 10 hamlets each, 3 or 4 electoral units, about 10 delegates, 9 fields, 6 agencies and 7
dialogue options. The same arguments always give the same workbook, and it is clean: it reads
back (`write_workbook` → `read_workbook`) without a problem.
"""

from __future__ import annotations

from itertools import product

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
from storage.setup.workbook_names import code_form

_PROVINCES = {"lang-son": "Tỉnh Lạng Sơn", "dong-thap": "Tỉnh Đồng Tháp",
              "thai-nguyen": "Tỉnh Thái Nguyên"}
_FIRST = ("Tân", "Minh", "Hòa", "Yên", "Phú", "Thanh", "Bình", "An", "Hưng", "Đồng", "Quang",
          "Vĩnh", "Thịnh", "Xuân", "Hồng", "Long", "Trung", "Đức", "Phúc", "Mỹ")
_SECOND = ("Tiến", "Lộc", "Sơn", "Thủy", "Hòa", "Bình", "Phong", "Thành", "Lợi", "Hưng",
           "Khánh", "Vinh", "Tân", "An", "Lạc")
_DISTRICTS = ("Hữu Lũng", "Chi Lăng", "Cao Lộc", "Văn Quan", "Bình Gia", "Tràng Định",
              "Lộc Bình", "Đình Lập", "Bắc Sơn", "Văn Lãng")
_HAMLETS = ("Nà Lừa", "Khuôn Pinh", "Bản Hấu", "Làng Cà", "Đồng Tân", "Pác Làng", "Còn Quan",
            "Nà Thâm", "Khau Bó", "Bó Củng", "Pò Nhùng", "Đồng Mỏ", "Nà Pàn", "Khòn Tưng",
            "Bản Chắt", "Đồng Bục")
_SURNAMES = ("Hoàng", "Nông", "Lương", "Vi", "Lăng", "Triệu", "Chu", "Nguyễn", "Hà", "Lý",
             "Đinh", "Mã")
_GIVEN = ("Văn Thắng", "Thị Hạnh", "Văn Dũng", "Thị Thu", "Văn Hòa", "Thị Mai", "Văn Khánh",
          "Thị Lan", "Văn Bình", "Thị Hoa", "Văn Tâm", "Thị Nga", "Văn Quân")
_TITLES = ("Chủ tịch HĐND xã", "Phó Chủ tịch HĐND xã", "Trưởng Ban Kinh tế - Xã hội",
           "Trưởng Ban Pháp chế", "Bí thư chi bộ", "Trưởng thôn", "Giáo viên",
           "Chủ tịch Hội Nông dân xã", "Chủ tịch Hội Liên hiệp Phụ nữ xã", "Y sĩ trạm y tế")
_FIELDS = (
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
_OPTIONS = (
    ("category", "ho-ngheo", "Hộ nghèo"),
    ("category", "ho-can-ngheo", "Hộ cận nghèo"),
    ("category", "ho-moi-thoat-ngheo", "Hộ mới thoát nghèo"),
    ("topic", "ra-soat-danh-sach", "Rà soát danh sách hộ nghèo, hộ cận nghèo"),
    ("topic", "vay-von", "Vay vốn tạo việc làm"),
    ("topic", "hoc-nghe", "Học nghề"),
    ("topic", "khac", "Vấn đề khác"),
)


def province_workbook(communes: int, *, province_code: str = "lang-son") -> Workbook:
    """A clean workbook of `communes` communes in one province (commune codes start with the
    province's initials, so two provinces' workbooks can share a database)."""
    province_name = _PROVINCES.get(
        province_code, "Tỉnh " + province_code.replace("-", " ").title())
    initials = "".join(word[0] for word in province_code.split("-"))
    pairs = [(first, second) for first, second in product(_FIRST, _SECOND) if first != second]
    places: list[CommuneRow] = []
    all_hamlets: list[HamletRow] = []
    units: list[UnitRow] = []
    seats: list[SeatRow] = []
    fields: list[FieldRow] = []
    agencies: list[AgencyRow] = []
    options: list[DialogueOptionRow] = []
    for index in range(communes):
        first, second = pairs[(index * 7) % len(pairs)]  # neighbours differ in both words
        name = f"{first} {second}" + (f" {index // len(pairs) + 1}" if index >= len(pairs)
                                      else "")
        code = f"{initials}-{code_form(name)}"
        ward = index % 10 == 9
        district = _DISTRICTS[index % len(_DISTRICTS)]
        places.append(CommuneRow(
            province_code=province_code, province_name=province_name, code=code,
            name=("Phường " if ward else "Xã ") + name, kind="phuong" if ward else "xa",
            district=f"Huyện {district}", office_phone=f"0205{3800000 + index:07d}",
            address=f"Trụ sở UBND, {'phường' if ward else 'xã'} {name}, {province_name.lower()}",
            opening_hours="Sáng 7:30–11:30, chiều 13:30–17:00, thứ Hai đến thứ Sáu",
            reception_schedule="Thứ Ba hằng tuần, 7:30–11:00, Phòng tiếp công dân.",
            answer_days=15 if index % 4 else 10,
        ))
        hamlet_count = 6 + index % 5
        hamlets = [
            HamletRow(code, f"{code}-{code_form(hamlet)}",
                      ("Tổ dân phố " if ward else "Thôn ") + hamlet)
            for hamlet in (_HAMLETS[(index + step) % len(_HAMLETS)]
                           for step in range(hamlet_count))
        ]
        all_hamlets.extend(hamlets)
        unit_count = 3 + index % 2
        for number in range(1, unit_count + 1):
            units.append(UnitRow(
                code, number, f"Đơn vị bầu cử số {number}",
                tuple(hamlet.code for position, hamlet in enumerate(hamlets)
                      if position % unit_count == number - 1)))
        for seat in range(9 + index % 3):
            person = (f"{_SURNAMES[(index + seat) % len(_SURNAMES)]} "
                      f"{_GIVEN[(index * 3 + seat) % len(_GIVEN)]}")
            seats.append(SeatRow(
                code, person, seat % unit_count + 1,
                f"09{index % 1000:03d}{seat:05d}" if seat % 3 == 0 else None,
                _TITLES[seat % len(_TITLES)]))
        fields.extend(FieldRow(code, field, field_name, days)
                              for field, field_name, days in _FIELDS)
        agencies.extend((
            AgencyRow(code, "Văn phòng HĐND và UBND", "commune", ("thu-tuc", "khac")),
            AgencyRow(code, "Phòng Kinh tế", "commune", ("dat-dai", "giao-thong",
                                                         "nong-nghiep")),
            AgencyRow(code, "Phòng Văn hóa - Xã hội", "commune", ("chinh-sach", "van-hoa")),
            AgencyRow(code, "Công an", "commune", ("an-ninh",)),
            AgencyRow(code, f"Sở Nông nghiệp và Môi trường {province_name.lower()}",
                      "province", ("dat-dai", "nong-nghiep")),
            AgencyRow(code, f"Điện lực {district}", "utility", ("dien",)),
        ))
        options.extend(DialogueOptionRow(code, kind, option, option_name)
                               for kind, option, option_name in _OPTIONS)
    return Workbook(tuple(places), tuple(all_hamlets), tuple(units), tuple(seats),
                    tuple(fields), tuple(agencies), tuple(options))
