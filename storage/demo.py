"""Demo data built from the seed plans: a commune a newcomer can explore at once.

Tân Thuận Tây's hamlets and dialogue quotas come from seed 003; the fields are the ones used
in real consolidated reports (domain.md §2); delegate names are invented.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Agency,
    Commune,
    Delegate,
    ElectoralUnit,
    Field,
    Hamlet,
    Person,
    Province,
    RoleGrant,
)

PROVINCE = ("dong-thap", "Tỉnh Đồng Tháp")
COMMUNE = ("tan-thuan-tay", "Xã Tân Thuận Tây")
# The law has the commune chairman receive citizens at least one day a month, and the
# reception office every working week; the days here are invented.
RECEPTION = (
    "Thứ Năm hằng tuần, 7:30–11:00, Phòng tiếp công dân, Trụ sở UBND xã. "
    "Chủ tịch UBND xã tiếp công dân định kỳ ngày 15 hằng tháng."
)
HAMLETS = [  # (code, name, electoral unit number)
    ("ttt-tan-dan", "Ấp Tân Dân", 1),
    ("ttt-tan-hung", "Ấp Tân Hùng", 2),
    ("ttt-tan-chu", "Ấp Tân Chủ", 3),
    ("ttt-tan-hau", "Ấp Tân Hậu", 4),
]
FIELDS = [
    ("land", "Đất đai, tài nguyên, môi trường"),
    ("transport", "Giao thông, xây dựng, thủy lợi"),
    ("agriculture", "Nông nghiệp, lâm nghiệp"),
    ("social", "Chính sách, an sinh xã hội"),
    ("culture", "Văn hóa, xã hội, giáo dục, y tế"),
    ("power", "Điện, viễn thông"),
    ("security", "An ninh, trật tự"),
    ("admin", "Thủ tục hành chính"),
    ("other", "Lĩnh vực khác"),
]
AGENCIES = [
    ("Văn phòng HĐND và UBND xã", "commune"),
    ("Phòng Kinh tế xã", "commune"),
    ("Phòng Văn hóa - Xã hội xã", "commune"),
    ("Công an xã", "commune"),
    ("Sở Nông nghiệp và Môi trường tỉnh", "province"),
    ("Điện lực khu vực", "utility"),
]
DELEGATES = [  # (name, electoral unit number)
    ("Nguyễn Văn Hùng", 1),
    ("Trần Thị Lan", 1),
    ("Lê Văn Bình", 2),
    ("Phạm Thị Hoa", 2),
    ("Võ Minh Tâm", 3),
    ("Huỳnh Thị Mai", 3),
    ("Đặng Văn Phúc", 4),
    ("Bùi Thị Thu", 4),
]


async def has_any_commune(db: AsyncSession) -> bool:
    return (await db.execute(select(func.count()).select_from(Commune))).scalar_one() > 0


async def seed_demo(db: AsyncSession) -> Commune:
    """Load the demo commune; running it twice changes nothing."""
    existing = (
        await db.execute(select(Commune).where(Commune.code == COMMUNE[0]))
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    province = Province(code=PROVINCE[0], name=PROVINCE[1])
    db.add(province)
    await db.flush()
    commune = Commune(province_id=province.id, code=COMMUNE[0], name=COMMUNE[1], kind="xa",
                      reception_schedule=RECEPTION)
    db.add(commune)
    await db.flush()
    units = {}
    for number in sorted({unit for _, _, unit in HAMLETS}):
        unit = ElectoralUnit(
            commune_id=commune.id, number=number, name=f"Đơn vị bầu cử số {number}"
        )
        db.add(unit)
        units[number] = unit
    await db.flush()
    for position, (code, name, unit_number) in enumerate(HAMLETS):
        db.add(
            Hamlet(
                commune_id=commune.id,
                code=code,
                name=name,
                electoral_unit_id=units[unit_number].id,
                position=position,
            )
        )
    for position, (code, name) in enumerate(FIELDS):
        db.add(Field(commune_id=commune.id, code=code, name=name, position=position))
    for name, competence in AGENCIES:
        db.add(Agency(commune_id=commune.id, name=name, competence=competence))
    for name, unit_number in DELEGATES:
        person = Person(full_name=name)
        db.add(person)
        await db.flush()
        db.add(
            Delegate(
                person_id=person.id,
                commune_id=commune.id,
                electoral_unit_id=units[unit_number].id,
                title="Đại biểu HĐND xã",
            )
        )
        db.add(RoleGrant(person_id=person.id, commune_id=commune.id, role="delegate"))
    await db.flush()
    return commune
