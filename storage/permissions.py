"""Who may do what, decided in one place: staff actions are scoped to their commune."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Person, RoleGrant

BROADCASTERS = ("office", "admin")


class NotAllowed(Exception):
    """The person lacks the role this action needs in this commune."""


async def communes_where(
    db: AsyncSession, person: Person | None, roles: tuple[str, ...]
) -> list[int]:
    if person is None or person.forgotten_at is not None:
        return []
    query = (
        select(RoleGrant.commune_id)
        .where(RoleGrant.person_id == person.id, RoleGrant.role.in_(roles))
        .distinct()
        .order_by(RoleGrant.commune_id)
    )
    return list((await db.execute(query)).scalars())


async def require_role(
    db: AsyncSession, person: Person | None, commune_id: int, roles: tuple[str, ...]
) -> Person:
    if commune_id not in await communes_where(db, person, roles):
        raise NotAllowed(f"needs one of {roles} in commune {commune_id}")
    assert person is not None
    return person
