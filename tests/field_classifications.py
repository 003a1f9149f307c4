"""A commune with field codes of its own and staff who classified its petitions.

Xã Minh Hòa files road holes, culverts and village lanes under "hạ tầng ấp" (its own code,
which the hand-written lexicon does not know), and has a field for power and water and one for
social policy. Its office classified thirty petitions the way a real office would.
"""

from __future__ import annotations

from sqlalchemy import select

from storage.db import Database
from storage.models import Field, Hamlet, Person, Petition
from storage.petitions.petitions import PetitionDraft, submit_petition
from storage.petitions.workflow import classify_petition
from tests.factories import citizen, make_commune, staff

COMMUNE = "Xã Minh Hòa"
CODE = "minh-hoa"
HAMLET = "Ấp Hòa Bình"
FIELDS = [
    ("chinh-sach", "Chính sách, hộ nghèo"),
    ("dien-nuoc", "Điện, nước sinh hoạt"),
    ("ha-tang-ap", "Hạ tầng ấp, đường xóm, cống"),
]
CLASSIFIED = {
    "ha-tang-ap": [
        "Đường vô ấp Hòa Bình có nhiều ổ gà lớn, xe ngã hoài",
        "ổ gà trước chợ sâu quá, mưa xuống đọng nước",
        "cống đầu xóm bị nghẹt, nước tràn vô nhà",
        "xin xã sửa cống thoát nước ngang đường",
        "đường xóm lầy lội, ổ gà khắp nơi",
        "cong bi vo, nuoc thai chay ra duong",
        "o ga o dau cau, ban dem nguy hiem lam",
        "đường đal ấp Hòa Bình bể nhiều chỗ, ổ gà to",
        "nắp cống bị mất, sợ con nít té xuống",
        "xin đổ đá lấp ổ gà con đường ra ruộng",
    ],
    "dien-nuoc": [
        "cúp điện cả buổi chiều không báo trước",
        "nước máy yếu, mấy bữa nay không có nước xài",
        "trụ điện nghiêng sắp ngã ra đường",
        "xin kéo nước sạch về xóm trong",
        "dien chap chon hu het tu lanh",
        "nước máy có mùi, đục ngầu",
        "dây điện võng thấp ngang nhà",
        "đồng hồ nước chạy sai, tiền nước tăng gấp đôi",
        "cup dien hoai, con nho nong qua",
        "xin gắn thêm đèn đường đoạn tối",
    ],
    "chinh-sach": [
        "nhà tui nghèo mà không có tên trong danh sách hộ nghèo",
        "xin hỗ trợ tiền cho mẹ già neo đơn",
        "trợ cấp người khuyết tật chưa nhận mấy tháng nay",
        "xin xét hộ cận nghèo cho gia đình",
        "ba tui 80 tuổi chưa được lãnh tiền già",
        "xin vay vốn ngân hàng chính sách nuôi heo",
        "thẻ bảo hiểm y tế hộ nghèo chưa cấp",
        "nha ngheo xin ho tro sua nha",
        "con tui mồ côi xin được trợ cấp",
        "xin hỗ trợ gạo cứu đói mùa nước nổi",
    ],
}
PROBLEM = "Con đường trước nhà có cái ổ gà bự lắm, cống bên cạnh cũng nghẹt luôn"


async def minh_hoa(db: Database) -> int:
    """The commune and its fields (no petition yet); its id."""
    commune_id = await make_commune(db, COMMUNE, [HAMLET])
    async with db.transaction() as session:
        for position, (code, name) in enumerate(FIELDS):
            session.add(Field(commune_id=commune_id, code=code, name=name, position=position))
    return commune_id


async def field_ids(db: Database, commune_id: int) -> dict[str, int]:
    async with db.transaction() as session:
        return dict((await session.execute(select(Field.code, Field.id).where(
            Field.commune_id == commune_id))).tuples().all())


async def classified_petitions(db: Database, commune_id: int, *, villager: Person | None = None,
                               per_field: int = 10) -> Person:
    """A villager sends the petitions (with no field chosen) and the office classifies them;
    returns the villager."""
    if villager is None:
        villager = await citizen(db, "minh-hoa-villager", HAMLET)
    office = await staff(db, "minh-hoa-office", commune_id=commune_id, hamlet_name=HAMLET)
    ids = await field_ids(db, commune_id)
    async with db.transaction() as session:
        hamlet_id = (await session.execute(select(Hamlet.id).where(Hamlet.name == HAMLET))
                     ).scalar_one()
        for code, texts in CLASSIFIED.items():
            for text in texts[:per_field]:
                sent = await submit_petition(session, villager, PetitionDraft(
                    commune_id, text, hamlet_id=hamlet_id))
                await classify_petition(session, sent.petition, office, field_id=ids[code],
                                        competence="commune")
    return villager


async def petition_ids(db: Database) -> list[int]:
    async with db.transaction() as session:
        return list((await session.execute(select(Petition.id).order_by(Petition.id))).scalars())
