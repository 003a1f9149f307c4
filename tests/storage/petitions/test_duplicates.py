"""Duplicate suggestions: the same matter typed with or without accents is found; others not."""

from __future__ import annotations

from storage.db import Database
from storage.petitions.duplicates import find_similar_petitions
from storage.petitions.petitions import PetitionDraft, submit_petition
from tests.factories import citizen, demo

PETITIONS = [
    "đường làng bị hỏng",
    "Trợ cấp hộ nghèo ấp Tân Hậu chậm hai tháng",
    "Điện chập chờn vào buổi tối, xin kiểm tra trạm biến áp",
]


async def test_a_text_typed_without_accents_finds_the_petition_with_them(db: Database) -> None:
    commune_id = await demo(db)
    voter = await citizen(db, "voter")
    async with db.transaction() as session:
        codes = [(await submit_petition(session, voter, PetitionDraft(commune_id, text))
                  ).petition.code for text in PETITIONS]
    async with db.transaction() as session:
        found = await find_similar_petitions(session, commune_id, "duong lang bi hong")
        unrelated = await find_similar_petitions(session, commune_id,
                                                 "xin cap giay chung nhan quyen su dung dat")
    assert [s.code for s in found] == [codes[0]]
    assert found[0].score >= 90
    assert unrelated == []


async def test_a_petition_is_not_its_own_duplicate(db: Database) -> None:
    commune_id = await demo(db)
    voter = await citizen(db, "voter")
    async with db.transaction() as session:
        petition = (await submit_petition(session, voter, PetitionDraft(commune_id, PETITIONS[0]))
                    ).petition
        found = await find_similar_petitions(session, commune_id, petition.content,
                                             exclude_id=petition.id)
    assert found == []
