"""Realistic people and places for tests, built on the demo commune Xã Tân Thuận Tây."""

from __future__ import annotations

from sqlalchemy import select

from storage.conversations import ensure_identity
from storage.db import Database
from storage.demo import seed_demo
from storage.models import Agency, Commune, Hamlet, Person
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


async def staff(db: Database, external_id: str, role: str = "office",
                agency_name: str | None = None) -> Person:
    person = await citizen(db, external_id, "Ấp Tân Dân")
    async with db.transaction() as session:
        commune = (await session.execute(select(Commune))).scalars().first()
        assert commune is not None
        agency_id = None
        if agency_name is not None:
            agency_id = (
                await session.execute(select(Agency.id).where(Agency.name == agency_name))
            ).scalar_one()
        await grant_role(session, person, commune, role, actor_id=None, actor_label="test",
                         agency_id=agency_id)
    return person
