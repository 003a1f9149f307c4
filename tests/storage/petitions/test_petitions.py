"""Submitting petitions: rules on the draft, codes unique per commune and year, /forget."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from storage.conversations import ensure_identity
from storage.db import Database
from storage.models import Petition
from storage.people.people import forget_person
from storage.petitions.petitions import (
    MAX_CONTENT,
    Attachment,
    BadPetition,
    PetitionDraft,
    petitions_of,
    submit_petition,
)
from storage.working_days import add_working_days, is_working_day, working_days_between
from tests.factories import citizen, demo


async def test_codes_count_up_per_commune_and_start_again_each_year(db: Database) -> None:
    commune_id = await demo(db)
    voter = await citizen(db, "voter")
    codes = []
    for moment in (datetime(2026, 12, 31, 16, 0, tzinfo=UTC),  # 23:00 in Hà Nội: still 2026
                   datetime(2026, 12, 31, 17, 30, tzinfo=UTC),  # 00:30 on 1 January 2027
                   datetime(2027, 1, 2, tzinfo=UTC)):
        async with db.transaction() as session:
            result = await submit_petition(
                session, voter, PetitionDraft(commune_id, "Xin sửa đèn đường"), now=moment)
            codes.append(result.petition.code)
    assert codes == ["KN-2026-00001", "KN-2027-00001", "KN-2027-00002"]


async def test_fifty_petitions_at_once_get_fifty_different_codes(db: Database) -> None:
    commune_id = await demo(db)
    voters = [await citizen(db, f"v{n}") for n in range(50)]

    async def send(voter: object) -> str:
        async with db.transaction() as session:
            result = await submit_petition(
                session, voter, PetitionDraft(commune_id, "Cống thoát nước bị tắc"))  # type: ignore[arg-type]
            return result.petition.code

    codes = await asyncio.gather(*(send(v) for v in voters))
    assert len(set(codes)) == 50
    assert max(codes).endswith("00050")


@pytest.mark.parametrize(
    ("draft_text", "attachments", "reason"),
    [
        ("   ", 0, "empty"),
        ("x" * (MAX_CONTENT + 1), 0, "too_long"),
        ("Có ảnh", 6, "too_many_attachments"),
    ],
)
async def test_a_bad_draft_is_refused_and_nothing_is_kept(
    db: Database, draft_text: str, attachments: int, reason: str
) -> None:
    commune_id = await demo(db)
    voter = await citizen(db, "voter")
    files = tuple(Attachment("photo", "telegram", f"file-{n}") for n in range(attachments))
    with pytest.raises(BadPetition) as refused:
        async with db.transaction() as session:
            await submit_petition(session, voter, PetitionDraft(commune_id, draft_text,
                                                                attachments=files))
    assert refused.value.reason == reason
    async with db.transaction() as session:
        assert (await session.execute(select(func.count()).select_from(Petition))).scalar() == 0


async def test_forgetting_keeps_the_petition_without_what_identifies_the_voter(
    db: Database,
) -> None:
    commune_id = await demo(db)
    voter = await citizen(db, "voter", name="Nguyễn Thị Bảy")
    async with db.transaction() as session:
        await submit_petition(session, voter, PetitionDraft(
            commune_id, "Xin hỗ trợ sửa nhà", show_name=True, address="123 tổ 4, ấp Tân Dân",
            latitude=10.5, longitude=105.6))
    async with db.transaction() as session:
        identity = await ensure_identity(session, "telegram", "voter")
        await forget_person(session, identity)
    async with db.transaction() as session:
        petition = (await session.execute(select(Petition))).scalar_one()
        assert petition.content == "Xin hỗ trợ sửa nhà"
        assert (petition.show_name, petition.address, petition.latitude) == (False, None, None)
        assert await petitions_of(session, voter) != []


def test_working_days_skip_weekends_and_tet() -> None:
    assert not is_working_day(date(2026, 2, 17))  # Tết
    assert not is_working_day(date(2026, 11, 28))  # a Saturday
    # Friday 13 Feb 2026 + 1 working day jumps the Tết holiday week to Monday 23 Feb.
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    assert working_days_between(date(2026, 2, 13), date(2026, 2, 23)) == 1
    assert add_working_days(date(2026, 11, 20), 15) > date(2026, 12, 10)
