"""Report-back plans: only the office plans one, only for a meeting held, and a merged opinion
reports its group's answer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import Meeting, Person, Petition
from storage.models.base import utcnow
from storage.permissions import NotAllowed
from storage.petitions.workflow import answer_petition, merge_petitions
from storage.voter_contact.report_back import (
    BadReportBack,
    meeting_opinions,
    schedule_report_back,
)
from tests.factories import citizen, demo
from tests.storage.voter_contact.unit_history import OPINION_ANSWER, unit_history


async def test_a_merged_opinion_reports_the_answer_of_the_petition_it_joined(
        db: Database) -> None:
    await demo(db)
    history = await unit_history(db, await citizen(db, "9000", name="Nguyễn Văn Hùng"))
    answered, second = history.opinions
    async with db.transaction() as session:
        office = await session.get(Person, history.office.id)
        keep = (await session.execute(select(Petition).where(
            Petition.code == history.overdue))).scalar_one()
        duplicate = (await session.execute(select(Petition).where(Petition.code == second))
                     ).scalar_one()
        assert office is not None
        await merge_petitions(session, keep, duplicate, office)
        await answer_petition(session, keep, office, text="Cầu sẽ được sửa trong quý tới.")
    async with db.transaction() as session:
        opinions = {o.code: o for o in await meeting_opinions(session,
                                                               history.earlier_meeting_id)}
    assert opinions[second].merged_into == history.overdue
    assert opinions[second].answer == "Cầu sẽ được sửa trong quý tới."
    assert opinions[second].status == "answered" and opinions[second].agency
    assert opinions[answered].answer == OPINION_ANSWER

async def test_only_the_office_plans_and_only_for_a_meeting_held(db: Database) -> None:
    await demo(db)
    delegate = await citizen(db, "9000", name="Nguyễn Văn Hùng")
    history = await unit_history(db, delegate)
    now = utcnow()
    async with db.transaction() as session:
        office = await session.get(Person, history.office.id)
        held = await session.get(Meeting, history.earlier_meeting_id)
        coming = await session.get(Meeting, history.coming_meeting_id)
        assert office is not None and held is not None and coming is not None
        with pytest.raises(NotAllowed):
            await schedule_report_back(session, delegate, held, send_at=now)
        with pytest.raises(BadReportBack):
            await schedule_report_back(session, office, coming, send_at=now)
        with pytest.raises(BadReportBack):
            await schedule_report_back(session, office, held, send_at=now - timedelta(days=1))
        with pytest.raises(BadReportBack):
            await schedule_report_back(session, office, held)
        plan = await schedule_report_back(session, office, held, with_next_meeting=True)
        assert plan.status == "planned" and plan.send_at is None
        # Planned again, it replaces the earlier plan.
        again = await schedule_report_back(session, office, held,
                                           send_at=now + timedelta(hours=2))
        assert again.id == plan.id and not again.with_next_meeting
