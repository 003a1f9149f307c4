"""Place lists are read once per transaction, and a change to a place is seen at once."""

from __future__ import annotations

from sqlalchemy import update

from storage.db import Database
from storage.demo import seed_demo
from storage.models import Hamlet
from storage.places import list_communes, list_hamlets


async def test_a_hamlet_added_in_the_same_transaction_is_listed(db: Database) -> None:
    async with db.transaction() as session:
        await seed_demo(session)
    async with db.transaction() as session:
        commune = (await list_communes(session))[0]
        before = await list_hamlets(session, commune.id)
        session.add(Hamlet(commune_id=commune.id, code="ap-moi", name="Ấp Mới", position=99))
        after = await list_hamlets(session, commune.id)
    assert [h.code for h in after] == [h.code for h in before] + ["ap-moi"]


async def test_a_hamlet_renamed_by_a_statement_is_listed_with_its_new_name(db: Database) -> None:
    async with db.transaction() as session:
        await seed_demo(session)
    async with db.transaction() as session:
        commune = (await list_communes(session))[0]
        first = (await list_hamlets(session, commune.id))[0]
        await session.execute(
            update(Hamlet).where(Hamlet.id == first.id).values(name="Ấp Đổi Tên")
            .execution_options(synchronize_session="fetch")
        )
        names = [h.name for h in await list_hamlets(session, commune.id)]
    assert "Ấp Đổi Tên" in names
