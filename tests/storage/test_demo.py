"""The demo shows everything at once: coming meetings, an open dialogue, petitions in every
status, all made by the product's own operations, and loading it again changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from storage.db import Database
from storage.demo import CITIZENS, load_demo
from storage.dialogues.dialogues import open_dialogues
from storage.models import (
    AuditEntry,
    Base,
    Commune,
    Hamlet,
    HamletQuota,
    Meeting,
    MeetingDelegate,
    OutboxMessage,
    Petition,
    Registration,
    Reminder,
)
from storage.petitions.petitions import LOCAL
from storage.petitions.workflow import Status
from storage.working_days import is_working_day

# A Thursday just before Tết 2027: the next days are holidays, which meetings must skip.
NOW = datetime(2027, 2, 4, 10, 0, tzinfo=LOCAL)


async def loaded(db: Database) -> int:
    async with db.transaction() as session:
        return (await load_demo(session, now=NOW)).commune.id


async def test_demo_has_coming_meetings_in_cultural_houses_with_reminders_planned(
    db: Database,
) -> None:
    await loaded(db)
    async with db.transaction() as session:
        meetings = list((await session.execute(
            select(Meeting).where(Meeting.starts_at > NOW).order_by(Meeting.starts_at)
        )).scalars())
        assert len(meetings) == 4
        for meeting in meetings:
            assert is_working_day(meeting.starts_at.astimezone(LOCAL).date())
            assert meeting.place.startswith("Nhà văn hóa ấp ")
            delegates = (await session.execute(select(func.count()).where(
                MeetingDelegate.meeting_id == meeting.id))).scalar_one()
            assert delegates == 2
            coming = (await session.execute(select(func.count()).where(
                Reminder.subject_type == "meeting", Reminder.subject_id == meeting.id,
                Reminder.status == "planned", Reminder.due_at > NOW))).scalar_one()
            assert coming > 0


async def test_demo_has_an_open_dialogue_with_seed_003_quotas(db: Database) -> None:
    commune_id = await loaded(db)
    async with db.transaction() as session:
        [dialogue] = await open_dialogues(session, commune_id, NOW)
        assert NOW < dialogue.registration_until < dialogue.starts_at
        assert is_working_day(dialogue.starts_at.astimezone(LOCAL).date())
        quotas = dict((await session.execute(
            select(Hamlet.name, HamletQuota.seats).join(
                HamletQuota, HamletQuota.hamlet_id == Hamlet.id)
            .where(HamletQuota.dialogue_id == dialogue.id))).tuples().all())
        assert quotas == {"Ấp Tân Dân": 10, "Ấp Tân Hùng": 10, "Ấp Tân Chủ": 10,
                          "Ấp Tân Hậu": 20}
        seated = (await session.execute(select(func.count()).where(
            Registration.dialogue_id == dialogue.id,
            Registration.status == "registered"))).scalar_one()
        taken = (await session.execute(select(func.sum(HamletQuota.taken)).where(
            HamletQuota.dialogue_id == dialogue.id))).scalar_one()
        assert seated == taken > 0


async def test_demo_has_petitions_in_every_status(db: Database) -> None:
    await loaded(db)
    async with db.transaction() as session:
        petitions = list((await session.execute(select(Petition))).scalars())
        assert {p.status for p in petitions} == {s.value for s in Status}
        forwarded = [p for p in petitions if p.status == Status.FORWARDED]
        assert all(p.agency_id is not None and p.due_on is not None for p in forwarded)
        merged = [p for p in petitions if p.status == Status.MERGED]
        assert all(p.merged_into_id in {f.id for f in forwarded} for p in merged)
        # Closed twice: once as the petitioner said the answer settles it, once by the office.
        closers = (await session.execute(
            select(AuditEntry.actor_id, Petition.person_id)
            .join(Petition, Petition.id == AuditEntry.subject_id)
            .where(AuditEntry.subject_type == "petition", AuditEntry.action == "petition.closed")
        )).tuples().all()
        assert sorted(actor == petitioner for actor, petitioner in closers) == [False, True]
        # Each demo citizen asked something.
        assert len({p.person_id for p in petitions}) == len(CITIZENS)


async def test_demo_messages_go_only_to_the_local_chat(db: Database) -> None:
    await loaded(db)
    async with db.transaction() as session:
        channels = set((await session.execute(select(OutboxMessage.channel))).scalars())
        assert channels == {"local"}


async def test_demo_commune_has_its_office_contact(db: Database) -> None:
    commune_id = await loaded(db)
    async with db.transaction() as session:
        commune = await session.get(Commune, commune_id)
        assert commune is not None
        assert commune.office_phone and commune.address and commune.opening_hours


async def row_counts(db: Database) -> dict[str, int]:
    async with db.transaction() as session:
        return {
            table.name: (await session.execute(
                select(func.count()).select_from(table))).scalar_one()
            for table in Base.metadata.sorted_tables
        }


async def test_loading_the_demo_again_changes_nothing(db: Database) -> None:
    await loaded(db)
    before = await row_counts(db)
    async with db.transaction() as session:
        again = await load_demo(session, now=NOW + timedelta(days=3))
    assert not again.life_added
    assert await row_counts(db) == before
