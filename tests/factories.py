"""Realistic people and places for tests, built on the demo commune Xã Tân Thuận Tây."""

from __future__ import annotations

from sqlalchemy import select

from storage.conversations import ensure_identity
from storage.db import Database
from storage.demo import seed_demo
from storage.folding import fold
from storage.models import Agency, Commune, Hamlet, Person, Province
from storage.people.people import give_consent
from storage.people.roles import grant_role


async def demo(db: Database) -> int:
    async with db.transaction() as session:
        return (await seed_demo(session)).id


async def citizen(db: Database, external_id: str, hamlet_name: str = "Ấp Tân Dân",
                  channel: str = "telegram", name: str | None = None) -> Person:
    async with db.transaction() as session:
        identity = await ensure_identity(session, channel, external_id)
        person = await give_consent(session, identity)
        hamlet = (
            await session.execute(select(Hamlet).where(Hamlet.name == hamlet_name))
        ).scalar_one()
        person.hamlet_id = hamlet.id
        person.full_name = name
        return person


async def make_commune(db: Database, name: str, hamlets: list[str], *,
                       district: str | None = None, province_code: str | None = None) -> int:
    """Another commune of the demo's province (or of `province_code`, made if new)."""
    async with db.transaction() as session:
        query = select(Province).order_by(Province.id)
        if province_code is not None:
            query = query.where(Province.code == province_code)
        province = (await session.execute(query)).scalars().first()
        if province is None:
            province = Province(code=province_code or "tinh", name=f"Tỉnh {province_code}")
            session.add(province)
            await session.flush()
        code = fold(name).removeprefix("xa ").replace(" ", "-")
        commune = Commune(province_id=province.id, code=code, name=name, district=district)
        session.add(commune)
        await session.flush()
        for position, hamlet in enumerate(hamlets):
            session.add(Hamlet(commune_id=commune.id, name=hamlet, position=position,
                               code=f"{code}-{fold(hamlet).replace(' ', '-')}"))
        return commune.id


async def staff(db: Database, external_id: str, role: str = "office",
                agency_name: str | None = None, commune_id: int | None = None,
                hamlet_name: str = "Ấp Tân Dân") -> Person:
    person = await citizen(db, external_id, hamlet_name)
    async with db.transaction() as session:
        query = select(Commune).order_by(Commune.id)
        if commune_id is not None:
            query = query.where(Commune.id == commune_id)
        commune = (await session.execute(query)).scalars().first()
        assert commune is not None
        agency_id = None
        if agency_name is not None:
            agency_id = (
                await session.execute(select(Agency.id).where(Agency.name == agency_name))
            ).scalar_one()
        await grant_role(session, person, commune, role, actor_id=None, actor_label="test",
                         agency_id=agency_id)
    return person
