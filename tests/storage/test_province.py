"""A province admin's overview: every commune's figures, in a few queries whatever their number."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, select

from storage.db import Database
from storage.models import Commune, Hamlet, Person, Petition, Province
from storage.models.base import utcnow
from storage.people.roles import create_province_admin
from storage.permissions import NotAllowed
from storage.province import province_overview
from tests.factories import demo, staff


@contextmanager
def counting_statements(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def test_a_hundred_communes_take_a_few_statements_and_each_gets_its_own_figures(
    db: Database,
) -> None:
    await demo(db)
    today = date(2026, 11, 20)
    async with db.transaction() as session:
        province = (await session.execute(select(Province))).scalars().one()
        admin = await create_province_admin(session, province, "telegram", "tinh")
        await session.execute(insert(Commune), [
            {"province_id": province.id, "code": f"xa-{n:03d}", "name": f"Xã Số {n:03d}"}
            for n in range(99)])
        communes = (await session.execute(select(Commune.id, Commune.code))).all()
        await session.execute(insert(Hamlet), [
            {"commune_id": commune_id, "code": f"{code}-ap", "name": "Ấp Một", "position": 0}
            for commune_id, code in communes if code.startswith("xa-")])
        busy = next(commune_id for commune_id, code in communes if code == "xa-042")
        hamlet = (await session.execute(select(Hamlet.id).where(Hamlet.commune_id == busy))
                  ).scalar_one()
        for n in range(3):
            session.add(Person(full_name=f"Người {n}", hamlet_id=hamlet))
        for n, (status, due) in enumerate([("received", None),
                                           ("forwarded", today - timedelta(days=1)),
                                           ("forwarded", today + timedelta(days=3)),
                                           ("answered", None)]):
            session.add(Petition(commune_id=busy, code=f"KN-2026-{n:05d}", status=status,
                                 content="Đường ấp Một bị sạt lở",
                                 content_folded="duong ap mot bi sat lo", due_on=due))
        admin_id = admin.id
    async with db.transaction() as session:
        reader = await session.get(Person, admin_id)
        with counting_statements(db) as statements:
            overview = await province_overview(session, reader, province.id, today=today,
                                               now=utcnow())
    assert len(overview.communes) == 100
    assert len(statements) <= 6, statements
    figures = next(f for f in overview.communes if f.commune_id == busy)
    assert (figures.people, figures.petitions_open, figures.petitions_overdue,
            figures.petitions_answered, figures.meetings_coming) == (3, 3, 1, 1, 0)
    quiet = next(f for f in overview.communes if f.name == "Xã Số 007")
    assert (quiet.people, quiet.petitions_open, quiet.meetings_coming) == (0, 0, 0)


async def test_only_the_provinces_admin_sees_its_overview(db: Database) -> None:
    commune_id = await demo(db)
    commune_admin = await staff(db, "xa-admin", role="admin", commune_id=commune_id)
    async with db.transaction() as session:
        province = (await session.execute(select(Province))).scalars().one()
        for reader in (commune_admin, None):
            with pytest.raises(NotAllowed):
                await province_overview(session, reader, province.id, today=date.today(),
                                        now=utcnow())
