"""The office's figures: new, overdue, answered this month, where, and how fast answers come."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from storage.db import Database
from storage.models import Field, Hamlet
from storage.petitions.dashboard import petition_figures
from storage.petitions.petitions import LOCAL, PetitionDraft, submit_petition
from tests.factories import demo, make_commune

TODAY = date(2026, 12, 7)


def local(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=LOCAL)


async def test_the_figures_count_each_state_field_hamlet_and_month(db: Database) -> None:
    commune_id = await demo(db)
    other = await make_commune(db, "Xã Tân Hiệp", ["Ấp Một"])
    async with db.transaction() as session:
        hamlets = {h.name: h.id for h in (await session.execute(select(Hamlet))).scalars()}
        fields = {f.code: f.id for f in (await session.execute(
            select(Field).where(Field.commune_id == commune_id))).scalars()}
        made = []
        for text, hamlet, field, sent in (
            ("Đường làng hỏng", "Ấp Tân Dân", "transport", local(TODAY)),
            ("Cầu yếu", "Ấp Tân Dân", "transport", local(date(2026, 11, 20))),
            ("Mất điện", "Ấp Tân Hùng", None, local(date(2026, 10, 2))),
            ("Rác ven kênh", "Ấp Tân Hùng", "land", local(date(2026, 11, 1))),
        ):
            made.append((await submit_petition(session, None, PetitionDraft(
                commune_id, text, hamlet_id=hamlets[hamlet],
                field_id=fields[field] if field else None), now=sent)).petition)
        await submit_petition(session, None, PetitionDraft(other, "Đèn đường ấp Một hỏng"))
        road, bridge, power, waste = made
        bridge.status, bridge.due_on = "forwarded", TODAY - timedelta(days=1)  # overdue
        waste.status, waste.answered_at = "answered", local(date(2026, 12, 3))  # 32 days
        power.status = "closed"
        power.answered_at = local(date(2026, 10, 12))  # 10 days
        del road
    async with db.transaction() as session:
        figures = await petition_figures(session, commune_id, TODAY)
    assert (figures.new, figures.open, figures.overdue, figures.answered_this_month) == (
        1, 2, 1, 1)
    assert [(s.name, s.count) for s in figures.by_field] == [
        ("Giao thông, xây dựng, thủy lợi", 2)]
    assert [(s.name, s.count) for s in figures.by_hamlet] == [("Ấp Tân Dân", 2)]
    assert [(m.first_day.month, m.received, m.answered) for m in figures.months] == [
        (7, 0, 0), (8, 0, 0), (9, 0, 0), (10, 1, 1), (11, 2, 0), (12, 1, 1)]
    assert figures.median_answer_days == 21.0
    assert figures.answered_within_15_days == 0.5
    async with db.transaction() as session:
        empty = await petition_figures(session, other, TODAY)
    assert empty.median_answer_days is None and empty.new == 1  # each commune its own
