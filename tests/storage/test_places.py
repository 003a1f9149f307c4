"""Place lists are read once per transaction, a change to a place is seen at once, and a
commune is found by the name people type."""

from __future__ import annotations

from sqlalchemy import update

from storage.db import Database
from storage.demo import seed_demo
from storage.models import Hamlet
from storage.places import find_communes, list_communes, list_hamlets
from tests.factories import demo, make_commune


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


async def many_communes(db: Database) -> None:
    await demo(db)
    for name, district in [
        ("Xã Tân Hiệp", "Huyện Tân Hiệp"), ("Xã Thạnh Đông", "Huyện Tân Hiệp"),
        ("Xã Tân Hội", "Huyện Tân Hiệp"), ("Phường Rạch Giá", "Thành phố Rạch Giá"),
        ("Xã Vĩnh Hòa Hưng", "Huyện Gò Quao"), ("Xã Định Hòa", "Huyện Gò Quao"),
    ]:
        await make_commune(db, name, [f"Ấp {name.split()[-1]}"], district=district)


async def test_a_commune_is_found_by_its_name_without_accents_or_with_a_typo(
    db: Database,
) -> None:
    await many_communes(db)
    async with db.transaction() as session:
        for typed in ("tan thuan tay", "Tân Thuận Tây", "xa tan thuan tay", "tan thuan tai"):
            found = await find_communes(session, typed)
            assert found and found[0].name == "Xã Tân Thuận Tây", typed
        assert (await find_communes(session, "rach gia"))[0].name == "Phường Rạch Giá"
        assert await find_communes(session, "zzzz qqqq") == []


async def test_a_former_district_brings_its_communes_after_the_commune_named_like_it(
    db: Database,
) -> None:
    await many_communes(db)
    async with db.transaction() as session:
        found = [c.name for c in await find_communes(session, "huyen tan hiep")]
        assert found[0] == "Xã Tân Hiệp"
        assert {"Xã Thạnh Đông", "Xã Tân Hội"} <= set(found)
        go_quao = {c.name for c in await find_communes(session, "go quao")}
        assert go_quao == {"Xã Vĩnh Hòa Hưng", "Xã Định Hòa"}
        mine = [c.id for c in await find_communes(session, "thanh dong")]
        assert await find_communes(session, "thanh dong", among=[]) == []
        assert len(mine) >= 1
