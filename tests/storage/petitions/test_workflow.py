"""The petition workflow: the table of moves, who may make them, and what each move tells."""

from __future__ import annotations

from itertools import product

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import Agency, AuditEntry, Field, OutboxMessage, Person, Petition
from storage.petitions.petitions import PetitionDraft, petition_history, submit_petition
from storage.petitions.workflow import (
    ALLOWED,
    BadMove,
    NotYours,
    Status,
    answer_petition,
    classify_petition,
    forward_petition,
    merge_petitions,
    move_petition,
    own_response,
    respond_to_answer,
)
from tests.factories import citizen, demo, staff

AGENCY = "Phòng Kinh tế xã"


async def submitted(db: Database, person: Person, text: str = "Đường làng bị hỏng") -> int:
    async with db.transaction() as session:
        commune_id = (await session.execute(select(Field.commune_id))).scalars().first()
        assert commune_id is not None
        result = await submit_petition(session, person, PetitionDraft(commune_id, text))
        return result.petition.id


async def notices_for(db: Database, person: Person, notice: str) -> list[dict]:  # type: ignore[type-arg]
    async with db.transaction() as session:
        rows = (await session.execute(select(OutboxMessage))).scalars().all()
        from storage.models import ChannelIdentity
        ids = set((await session.execute(
            select(ChannelIdentity.id).where(ChannelIdentity.person_id == person.id))).scalars())
        return [r.payload["params"] for r in rows
                if r.identity_id in ids and r.payload.get("notice") == notice]


@pytest.mark.parametrize(("before", "after"), list(product(Status, Status)))
async def test_every_move_outside_the_table_is_refused(
    sqlite_db: Database, before: Status, after: Status
) -> None:
    db = sqlite_db
    await demo(db)
    office = await staff(db, "office")
    petitioner = await citizen(db, "voter")
    petition_id = await submitted(db, petitioner)
    async with db.transaction() as session:
        petition = await session.get(Petition, petition_id)
        assert petition is not None
        petition.status = before.value
        petition.agency_id = (await session.execute(select(Agency.id))).scalars().first()
    async with db.transaction() as session:
        petition = await session.get(Petition, petition_id)
        assert petition is not None
        if after in ALLOWED[before]:
            await move_petition(session, petition, after, office, reason="lý do")
            assert petition.status == after.value
        else:
            with pytest.raises(BadMove):
                await move_petition(session, petition, after, office, reason="lý do")
    async with db.transaction() as session:
        petition = await session.get(Petition, petition_id)
        assert petition is not None
        expected = after if after in ALLOWED[before] else before
        assert petition.status == expected.value


async def test_a_petition_goes_from_received_to_closed_and_everyone_hears(db: Database) -> None:
    await demo(db)
    office = await staff(db, "office")
    officer = await staff(db, "officer", role="agency", agency_name=AGENCY)
    voter = await citizen(db, "voter")
    petition_id = await submitted(db, voter)
    assert len(await notices_for(db, office, "petition_new")) == 1
    async with db.transaction() as session:
        petition = await session.get(Petition, petition_id)
        assert petition is not None
        field_id = (await session.execute(select(Field.id).where(Field.code == "transport"))
                    ).scalar_one()
        agency_id = (await session.execute(select(Agency.id).where(Agency.name == AGENCY))
                     ).scalar_one()
        await classify_petition(session, petition, office, field_id=field_id,
                                competence="commune")
        await forward_petition(session, petition, office, agency_id=agency_id)
        assert petition.due_on is not None
    assert len(await notices_for(db, officer, "petition_for_agency")) == 1
    async with db.transaction() as session:
        petition = await session.get(Petition, petition_id)
        assert petition is not None
        await answer_petition(session, petition, officer, text="Sẽ sửa trong tháng 12.")
        await move_petition(session, petition, Status.CLOSED, voter)
        history = [line.action for line in await petition_history(session, petition, voter)]
    assert history == ["petition.submitted", "petition.classified", "petition.forwarded",
                       "petition.answered", "petition.closed"]
    statuses = [n["status"] for n in await notices_for(db, voter, "petition_status")]
    assert statuses == ["classified", "forwarded", "answered", "closed"]


async def test_an_agency_officer_cannot_answer_another_agencys_petition(db: Database) -> None:
    await demo(db)
    office = await staff(db, "office")
    stranger = await staff(db, "police", role="agency", agency_name="Công an xã")
    voter = await citizen(db, "voter")
    petition_id = await submitted(db, voter)
    async with db.transaction() as session:
        petition = await session.get(Petition, petition_id)
        assert petition is not None
        agency_id = (await session.execute(select(Agency.id).where(Agency.name == AGENCY))
                     ).scalar_one()
        field_id = (await session.execute(select(Field.id))).scalars().first()
        assert field_id is not None
        await classify_petition(session, petition, office, field_id=field_id,
                                competence="commune")
        await forward_petition(session, petition, office, agency_id=agency_id)
    async with db.transaction() as session:
        petition = await session.get(Petition, petition_id)
        assert petition is not None
        with pytest.raises(NotYours):
            await answer_petition(session, petition, stranger, text="Không phải việc của tôi")
        with pytest.raises(NotYours):
            await answer_petition(session, petition, voter, text="Tôi tự trả lời")
        assert petition.status == "forwarded"


async def test_reopening_needs_a_reason_and_only_the_petitioner_or_staff(db: Database) -> None:
    await demo(db)
    office = await staff(db, "office")
    voter = await citizen(db, "voter")
    neighbour = await citizen(db, "neighbour")
    petition_id = await submitted(db, voter)
    async with db.transaction() as session:
        petition = await session.get(Petition, petition_id)
        assert petition is not None
        await answer_petition(session, petition, office, text="Đã trả lời tại hội nghị.")
    async with db.transaction() as session:
        petition = await session.get(Petition, petition_id)
        assert petition is not None
        with pytest.raises(BadMove):
            await move_petition(session, petition, Status.REOPENED, voter)
        with pytest.raises(NotYours):
            await move_petition(session, petition, Status.REOPENED, neighbour, reason="chưa")
        await move_petition(session, petition, Status.REOPENED, voter,
                            reason="Đường vẫn chưa sửa")
        entry = (await session.execute(
            select(AuditEntry).where(AuditEntry.action == "petition.reopened"))).scalar_one()
    assert entry.reason == "Đường vẫn chưa sửa"
    assert entry.before is not None and entry.before["status"] == "answered"
    assert len(await notices_for(db, office, "petition_back_to_office")) == 1


async def test_the_answer_reaches_every_petitioner_of_a_merged_group(db: Database) -> None:
    await demo(db)
    office = await staff(db, "office")
    first, second, third = [await citizen(db, f"v{n}") for n in range(3)]
    keep = await submitted(db, first, "Đường làng bị hỏng nặng")
    duplicate = await submitted(db, second, "duong lang bi hong")
    older_duplicate = await submitted(db, third, "Đường ấp Tân Dân hư hỏng")
    async with db.transaction() as session:
        kept, dup, older = [await session.get(Petition, i)
                            for i in (keep, duplicate, older_duplicate)]
        assert kept is not None and dup is not None and older is not None
        await merge_petitions(session, dup, older, office)
        await merge_petitions(session, kept, dup, office)
        with pytest.raises(BadMove):
            await merge_petitions(session, kept, kept, office)
        await answer_petition(session, kept, office, text="Đã đưa vào kế hoạch năm 2027.")
    for person in (first, second, third):
        answers = [n for n in await notices_for(db, person, "petition_status")
                   if n["status"] == "answered"]
        assert [n["answer"] for n in answers] == ["Đã đưa vào kế hoạch năm 2027."]
    # Each petitioner of the group says for themselves whether the answer settles it; none
    # of them, not even the first, closes or reopens it for the others.
    async with db.transaction() as session:
        kept = await session.get(Petition, keep)
        assert kept is not None
        for person in (first, third):
            with pytest.raises(NotYours):
                await move_petition(session, kept, Status.CLOSED, person)
        assert await respond_to_answer(session, kept, third, settles=True) is False
        assert await respond_to_answer(session, kept, first, settles=True) is False
        with pytest.raises(BadMove):
            await respond_to_answer(session, kept, second, settles=False)  # no reason
        assert await respond_to_answer(session, kept, second, settles=False,
                                       reason="Đoạn qua nhà tôi chưa sửa") is False
        assert kept.status == "answered"
        said = [await own_response(session, kept, p) for p in (first, second, third)]
        assert said == ["settled", "reopened", "settled"]
        # A new answer asks everyone again.
        await move_petition(session, kept, Status.REOPENED, office, reason="Sửa tiếp")
        await answer_petition(session, kept, office, text="Đã sửa xong đoạn còn lại.")
        assert [await own_response(session, kept, p) for p in (first, second, third)] == [
            None, None, None]
        await move_petition(session, kept, Status.CLOSED, office)
    assert len(await notices_for(db, office, "petition_not_settled")) == 1
