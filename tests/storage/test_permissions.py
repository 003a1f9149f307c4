"""Who may act where: a commune's roles, a province admin's every commune, the working commune."""

from __future__ import annotations

from sqlalchemy import select

from storage.conversations import ensure_identity
from storage.db import Database
from storage.models import Person, Province
from storage.people.people import forget_person
from storage.people.roles import create_province_admin
from storage.permissions import (
    OFFICE_ROLES,
    choose_working_commune,
    communes_where,
    roles_held,
    working_commune,
)
from tests.factories import demo, make_commune, staff


async def province_admin(db: Database, external_id: str = "tinh-1") -> Person:
    async with db.transaction() as session:
        province = (await session.execute(select(Province).order_by(Province.id))
                    ).scalars().first()
        assert province is not None
        return await create_province_admin(session, province, "telegram", external_id)


async def test_a_province_admin_administers_every_commune_of_it_even_new_ones(
    db: Database,
) -> None:
    first = await demo(db)
    second = await make_commune(db, "Xã Tân Hiệp", ["Ấp Đông Hòa"])
    admin = await province_admin(db)
    async with db.transaction() as session:
        assert await communes_where(session, admin, ("admin",)) == [first, second]
        assert await communes_where(session, admin, OFFICE_ROLES) == [first, second]
        # A province grant is an admin's, not a delegate's or an agency's.
        assert await communes_where(session, admin, ("delegate", "agency")) == []
        assert await roles_held(session, admin) == {"admin"}
    later = await make_commune(db, "Xã Thạnh Đông", ["Ấp Thạnh Hòa"])
    elsewhere = await make_commune(db, "Xã Ở Tỉnh Khác", ["Ấp Một"], province_code="khac")
    async with db.transaction() as session:
        where = await communes_where(session, admin, ("admin",))
    assert later in where and elsewhere not in where


async def test_a_forgotten_province_admin_administers_nothing(db: Database) -> None:
    await demo(db)
    admin = await province_admin(db, "tinh-2")
    async with db.transaction() as session:
        identity = await ensure_identity(session, "telegram", "tinh-2")
        await forget_person(session, identity)
    async with db.transaction() as session:
        person = await session.get(Person, admin.id)
        assert await communes_where(session, person, ("admin",)) == []


async def test_the_working_commune_is_the_chosen_one_among_those_the_roles_reach(
    db: Database,
) -> None:
    first = await demo(db)
    second = await make_commune(db, "Xã Tân Hiệp", ["Ấp Đông Hòa"])
    elsewhere = await make_commune(db, "Xã Ở Tỉnh Khác", ["Ấp Một"], province_code="khac")
    admin = await province_admin(db)
    clerk = await staff(db, "clerk", role="office", commune_id=first)
    async with db.transaction() as session:
        admin = await session.get(Person, admin.id) or admin
        assert await working_commune(session, admin, OFFICE_ROLES) == first
        assert await choose_working_commune(session, admin, second)
        assert await working_commune(session, admin, OFFICE_ROLES) == second
        # Nothing changes for a commune the roles do not reach.
        assert not await choose_working_commune(session, admin, elsewhere)
        assert admin.working_commune_id == second
        clerk = await session.get(Person, clerk.id) or clerk
        assert not await choose_working_commune(session, clerk, second)
        assert await working_commune(session, clerk, OFFICE_ROLES) == first
        assert await working_commune(session, clerk, ("agency",)) is None
