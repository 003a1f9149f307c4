"""Who may do what, decided in one place: staff actions are scoped to their commune.

A role is held in one commune (`RoleGrant`) or, for a province admin, in every commune of a
province, present and future (`ProvinceGrant`): `communes_where` answers for both, and every
check of a staff action goes through it.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Commune, Person, ProvinceGrant, RoleGrant

# The commune office: who works petitions, plans, dialogues and announcements. In a small
# commune the admin is often the office chief.
OFFICE_ROLES = ("office", "admin")
BROADCASTERS = OFFICE_ROLES
# Roles a province grant gives in each commune of the province.
PROVINCE_ROLES = ("admin",)
# Every role that works for a commune (everything but citizen).
STAFF_ROLES = ("delegate", "office", "agency", "admin")


class NotAllowed(Exception):
    """The person lacks the role this action needs in this commune."""


async def communes_where(
    db: AsyncSession, person: Person | None, roles: tuple[str, ...]
) -> list[int]:
    """The communes where the person holds one of `roles`, by commune or by province."""
    if person is None or person.forgotten_at is not None:
        return []
    direct = select(RoleGrant.commune_id.label("commune_id")).where(
        RoleGrant.person_id == person.id, RoleGrant.role.in_(roles)
    )
    by_province = (
        select(Commune.id.label("commune_id"))
        .join(ProvinceGrant, ProvinceGrant.province_id == Commune.province_id)
        .where(ProvinceGrant.person_id == person.id,
               ProvinceGrant.role.in_([r for r in roles if r in PROVINCE_ROLES]))
    )
    both = union(direct, by_province).subquery()
    query = select(both.c.commune_id).order_by(both.c.commune_id)
    return list((await db.execute(query)).scalars())


async def require_role(
    db: AsyncSession, person: Person | None, commune_id: int, roles: tuple[str, ...]
) -> Person:
    if commune_id not in await communes_where(db, person, roles):
        raise NotAllowed(f"needs one of {roles} in commune {commune_id}")
    assert person is not None
    return person


async def working_commune(
    db: AsyncSession, person: Person | None, roles: tuple[str, ...]
) -> int | None:
    """The commune this person acts in with `roles`: the one they chose, if these roles
    reach it, else the first that the roles reach; None if they reach none."""
    communes = await communes_where(db, person, roles)
    if not communes:
        return None
    assert person is not None
    chosen = person.working_commune_id
    return chosen if chosen in communes else communes[0]


async def choose_working_commune(db: AsyncSession, person: Person, commune_id: int) -> bool:
    """Work in this commune from now on; False (nothing changed) if no role reaches it."""
    if commune_id not in await communes_where(db, person, STAFF_ROLES):
        return False
    person.working_commune_id = commune_id
    return True


async def roles_held(db: AsyncSession, person: Person | None) -> set[str]:
    """Every role the person holds somewhere (what their menu offers), province roles too."""
    if person is None or person.forgotten_at is not None:
        return set()
    return set((await db.execute(_ROLES_HELD, {"person_id": person.id})).scalars())


# Built once: every menu shown asks it, and building it cost more than running it.
_ROLES_HELD = union(
    select(RoleGrant.role).where(RoleGrant.person_id == bindparam("person_id")),
    select(ProvinceGrant.role).where(ProvinceGrant.person_id == bindparam("person_id")),
)


async def provinces_administered(db: AsyncSession, person: Person | None) -> list[int]:
    """The provinces whose every commune this person administers."""
    if person is None or person.forgotten_at is not None:
        return []
    query = (
        select(ProvinceGrant.province_id)
        .where(ProvinceGrant.person_id == person.id, ProvinceGrant.role == "admin")
        .order_by(ProvinceGrant.province_id)
    )
    return list((await db.execute(query)).scalars())


async def office_staff(db: AsyncSession, commune_id: int) -> list[int]:
    """The people who hold an office role in the commune: who the office's notices go to.

    Province admins are left out on purpose: every commune's daily notices would drown them.
    """
    query = (
        select(RoleGrant.person_id)
        .where(RoleGrant.commune_id == commune_id, RoleGrant.role.in_(OFFICE_ROLES))
        .distinct()
        .order_by(RoleGrant.person_id)
    )
    return list((await db.execute(query)).scalars())
