"""Looking up places: communes, hamlets, electoral units."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Commune, Hamlet


async def list_communes(db: AsyncSession) -> list[Commune]:
    return list((await db.execute(select(Commune).order_by(Commune.name))).scalars())


async def list_hamlets(db: AsyncSession, commune_id: int) -> list[Hamlet]:
    query = (
        select(Hamlet)
        .where(Hamlet.commune_id == commune_id)
        .order_by(Hamlet.position, Hamlet.name)
    )
    return list((await db.execute(query)).scalars())


async def get_commune(db: AsyncSession, commune_id: int) -> Commune | None:
    return await db.get(Commune, commune_id)


async def get_hamlet(db: AsyncSession, hamlet_id: int) -> Hamlet | None:
    return await db.get(Hamlet, hamlet_id)


async def find_commune_by_code(db: AsyncSession, code: str) -> Commune | None:
    query = select(Commune).where(Commune.code == code)
    return (await db.execute(query)).scalar_one_or_none()


async def find_hamlet_by_code(db: AsyncSession, code: str) -> Hamlet | None:
    query = select(Hamlet).where(Hamlet.code == code.strip().lower())
    return (await db.execute(query)).scalar_one_or_none()
