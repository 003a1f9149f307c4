"""The delegate's dossier: exactly the unit's petitions since the last round, read as a delegate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storage.db import Database
from storage.models import AuditEntry, DocumentJob, DossierDelivery, Meeting, Person
from storage.models.base import utcnow
from storage.permissions import NotAllowed
from storage.voter_contact.dossiers import DOSSIER_KIND, plan_dossiers, read_dossier
from tests.factories import citizen, demo
from tests.storage.voter_contact.unit_history import HIDDEN_NAME, SHOWN_NAME, unit_history


async def a_delegate(db: Database) -> Person:
    await demo(db)
    return await citizen(db, "9000", name="Nguyễn Văn Hùng")


async def test_the_dossier_lists_exactly_the_units_petitions_since_the_last_round(
        db: Database) -> None:
    delegate = await a_delegate(db)
    history = await unit_history(db, delegate)
    async with db.transaction() as session:
        dossier = await read_dossier(session, delegate, history.seat_id)
    listed = {line.code: line.status for line in dossier.lines}
    assert listed == history.expected
    assert not history.absent & set(listed)
    assert set(history.expected.values()) >= {
        "received", "classified", "forwarded", "answered", "closed", "reopened", "rejected",
        "merged"}
    assert set(history.opinions) <= set(listed)
    assert dossier.round_id == history.coming_round_id
    assert dossier.lines[0].code == history.overdue and dossier.lines[0].overdue
    assert [line.code for line in dossier.lines if line.overdue] == [history.overdue]


async def test_a_delegate_sees_a_name_only_where_the_petitioner_let_it_be_shown(
        db: Database) -> None:
    delegate = await a_delegate(db)
    history = await unit_history(db, delegate)
    async with db.transaction() as session:
        dossier = await read_dossier(session, delegate, history.seat_id)
    voters = {line.voter for line in dossier.lines}
    assert SHOWN_NAME in voters and HIDDEN_NAME not in voters
    async with db.transaction() as session:
        reads = (await session.execute(select(AuditEntry).where(
            AuditEntry.actor_id == delegate.id, AuditEntry.subject_type == "electoral_unit"))
        ).scalars().all()
    assert [entry.after for entry in reads] == [{"what": "delegate_dossier"}]


async def test_nobody_but_the_seats_delegate_reads_its_dossier(db: Database) -> None:
    delegate = await a_delegate(db)
    history = await unit_history(db, delegate)
    async with db.transaction() as session:
        for reader_id in (history.office.id,):
            reader = await session.get(Person, reader_id)
            assert reader is not None
            with pytest.raises(NotAllowed):
                await read_dossier(session, reader, history.seat_id)


async def test_each_delegate_is_sent_the_dossier_once_some_days_before_the_round(
        db: Database) -> None:
    delegate = await a_delegate(db)
    history = await unit_history(db, delegate)
    async with db.transaction() as session:
        meeting = await session.get(Meeting, history.coming_meeting_id)
        assert meeting is not None
        starts_at = meeting.starts_at
    # Six days ahead with a five-day setting: not yet.
    async with db.transaction() as session:
        assert await plan_dossiers(session, 5, now=starts_at - timedelta(days=6)) == 0
    async with db.transaction() as session:
        # Only the delegate with a chat account can be sent anything.
        assert await plan_dossiers(session, 5, now=starts_at - timedelta(days=4)) == 1
    async with db.transaction() as session:
        assert await plan_dossiers(session, 5, now=starts_at - timedelta(days=3)) == 0
        jobs = (await session.execute(select(DocumentJob).where(
            DocumentJob.kind == DOSSIER_KIND))).scalars().all()
        assert [(job.person_id, job.params) for job in jobs] == [
            (delegate.id, {"delegate_id": history.seat_id,
                           "round_id": history.coming_round_id})]
        assert (await session.execute(select(func.count()).select_from(DossierDelivery))
                ).scalar_one() == 1
    # Once the round's first meeting has begun, nothing more is sent.
    async with db.transaction() as session:
        assert await plan_dossiers(session, 5, now=starts_at + timedelta(minutes=1)) == 0
    assert utcnow() < starts_at
