"""Who may do what, decided in one place: staff actions are scoped to their commune."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Person, RoleGrant

# The commune office: who works petitions, plans, dialogues and announcements. In a small
# commune the admin is often the office chief.
OFFICE_ROLES = ("office", "admin")
BROADCASTERS = OFFICE_ROLES


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


async def office_staff(db: AsyncSession, commune_id: int) -> list[int]:
    """The people who hold an office role in the commune: who the office's notices go to."""
    query = (
        select(RoleGrant.person_id)
        .where(RoleGrant.commune_id == commune_id, RoleGrant.role.in_(OFFICE_ROLES))
        .distinct()
        .order_by(RoleGrant.person_id)
    )
    return list((await db.execute(query)).scalars())
