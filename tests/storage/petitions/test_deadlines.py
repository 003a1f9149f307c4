"""Chasing answers: a reminder before the deadline, a daily nudge after it, never twice a day."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from storage.db import Database
from storage.models import Agency, ChannelIdentity, OutboxMessage, Person, Petition
from storage.petitions.deadlines import remind_petition_deadlines
from storage.petitions.petitions import PetitionDraft, submit_petition
from storage.working_days import add_working_days
from tests.factories import citizen, demo, staff

AGENCY = "Phòng Kinh tế xã"
MONDAY = date(2026, 11, 23)


async def forwarded(db: Database, voter: Person, due_on: date, status: str = "forwarded") -> int:
    async with db.transaction() as session:
        agency = (await session.execute(select(Agency).where(Agency.name == AGENCY))
                  ).scalar_one()
        result = await submit_petition(session, voter, PetitionDraft(agency.commune_id,
                                                                     "Mương nội đồng bị bồi lấp"))
        result.petition.status = status
        result.petition.agency_id = agency.id
        result.petition.due_on = due_on
        return result.petition.id


async def notices(db: Database, person: Person) -> list[tuple[str, int | None]]:
    async with db.transaction() as session:
        rows = (await session.execute(
            select(OutboxMessage).join(ChannelIdentity,
                                       ChannelIdentity.id == OutboxMessage.identity_id)
            .where(ChannelIdentity.person_id == person.id).order_by(OutboxMessage.id)
        )).scalars()
        return [(r.payload["notice"], r.payload["params"].get("id")) for r in rows
                if r.payload.get("notice", "").startswith(("petition_overdue", "petition_due",
                                                           "petitions_overdue"))]


async def chase(db: Database, today: date) -> None:
    async with db.transaction() as session:
        await remind_petition_deadlines(session, today)


async def test_an_overdue_petition_is_chased_once_a_day(db: Database) -> None:
    await demo(db)
    officer = await staff(db, "officer", role="agency", agency_name=AGENCY)
    office = await staff(db, "office")
    voter = await citizen(db, "voter")
    late = await forwarded(db, voter, MONDAY - timedelta(days=3))
    await forwarded(db, voter, MONDAY - timedelta(days=5), status="answered")
    await chase(db, MONDAY)
    await chase(db, MONDAY)  # a restart or a second replica the same morning
    assert await notices(db, officer) == [("petition_overdue", late)]
    assert await notices(db, office) == [("petitions_overdue_digest", None)]
    await chase(db, MONDAY + timedelta(days=1))
    assert await notices(db, officer) == [("petition_overdue", late)] * 2


async def test_the_agency_is_reminded_two_working_days_before_the_deadline(
    db: Database,
) -> None:
    await demo(db)
    officer = await staff(db, "officer", role="agency", agency_name=AGENCY)
    voter = await citizen(db, "voter")
    soon = await forwarded(db, voter, add_working_days(MONDAY, 2))
    await forwarded(db, voter, add_working_days(MONDAY, 5))
    await chase(db, MONDAY)
    assert await notices(db, officer) == [("petition_due_soon", soon)]
    async with db.transaction() as session:
        petition = await session.get(Petition, soon)
        assert petition is not None and petition.status == "forwarded"
