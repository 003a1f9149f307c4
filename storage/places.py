"""Looking up places and public bodies: communes, hamlets, fields, agencies."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Agency, Commune, Delegate, Field, Hamlet, Person, Province


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


async def list_fields(db: AsyncSession, commune_id: int) -> list[Field]:
    query = select(Field).where(Field.commune_id == commune_id).order_by(Field.position, Field.id)
    return list((await db.execute(query)).scalars())


async def get_field(db: AsyncSession, commune_id: int, field_id: int) -> Field | None:
    found = await db.get(Field, field_id)
    return found if found is not None and found.commune_id == commune_id else None


async def list_agencies(db: AsyncSession, commune_id: int) -> list[Agency]:
    query = select(Agency).where(Agency.commune_id == commune_id).order_by(Agency.id)
    return list((await db.execute(query)).scalars())


async def get_agency(db: AsyncSession, commune_id: int, agency_id: int) -> Agency | None:
    found = await db.get(Agency, agency_id)
    return found if found is not None and found.commune_id == commune_id else None


async def commune_of_person(db: AsyncSession, person: Person | None) -> Commune | None:
    """The commune a citizen lives in, through their hamlet; None until they choose one."""
    if person is None or person.hamlet_id is None:
        return None
    hamlet = await db.get(Hamlet, person.hamlet_id)
    return await db.get(Commune, hamlet.commune_id) if hamlet is not None else None


async def province_of(db: AsyncSession, commune: Commune) -> Province | None:
    return await db.get(Province, commune.province_id)


async def list_delegate_seats(db: AsyncSession, commune_id: int) -> list[tuple[int, str]]:
    """(delegate id, name) of the commune's delegates, as the office entered them."""
    query = (
        select(Delegate.id, Person.full_name)
        .join(Person, Person.id == Delegate.person_id)
        .where(Delegate.commune_id == commune_id)
        .order_by(Delegate.id)
    )
    return [(delegate_id, name or "") for delegate_id, name in (await db.execute(query)).all()]
