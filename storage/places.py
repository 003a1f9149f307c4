"""Looking up places and public bodies: communes, hamlets, fields, agencies.

The lists of communes, hamlets and fields are read once per transaction: a transaction of
the conversation core serves many people's updates at once (group commit on SQLite), and
they all ask for the same few lists. The copy lives in the session, so it never outlives the
transaction; any change to a place flushed in that session drops it.
"""

from __future__ import annotations

from collections.abc import Collection
from itertools import chain
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from storage.folding import fold
from storage.models import Agency, Commune, Delegate, Field, Hamlet, Person, Province

_CACHE = "storage.places"
_PLACES = (Province, Commune, Hamlet, Field)
_PLACE_TABLES = frozenset(model.__tablename__ for model in _PLACES)


def _cache(db: AsyncSession) -> dict[Any, Any]:
    if _CACHE in db.info and _places_changed(db.sync_session):
        # Not flushed yet (a cached read runs no query, so no autoflush): read afresh.
        del db.info[_CACHE]
    cache: dict[Any, Any] = db.info.setdefault(_CACHE, {})
    return cache


def _places_changed(session: Session) -> bool:
    return any(
        isinstance(changed, _PLACES)
        for changed in chain(session.new, session.dirty, session.deleted)
    )


@event.listens_for(Session, "after_flush")
def _forget_changed_places(session: Session, _context: Any) -> None:
    if _CACHE in session.info and _places_changed(session):
        del session.info[_CACHE]


@event.listens_for(Session, "do_orm_execute")
def _forget_places_on_write(state: Any) -> None:
    """An INSERT/UPDATE/DELETE statement on a places table (not through the ORM's flush)."""
    if _CACHE in state.session.info and (state.is_insert or state.is_update or state.is_delete):
        table = getattr(state.statement, "table", None)
        if table is None or table.name in _PLACE_TABLES:
            del state.session.info[_CACHE]


async def list_communes(db: AsyncSession) -> list[Commune]:
    cache = _cache(db)
    if "communes" not in cache:
        query = select(Commune).order_by(Commune.name)
        cache["communes"] = list((await db.execute(query)).scalars())
    return list(cache["communes"])


# Words of a commune's or district's name that say its kind, not which one: people leave
# them out, or put them in.
KIND_WORDS = ("xa", "phuong", "dac khu", "thi tran", "huyen", "quan", "thi xa", "thanh pho",
              "tp")
# Below this rapidfuzz score a typed name is not taken for a commune's.
MATCH_CUTOFF = 75


def _bare(name: str) -> str:
    """`"Xã Tân Thuận Tây"` → `"tan thuan tay"`: folded, without the kind word."""
    folded = fold(name)
    for word in KIND_WORDS:
        if folded.startswith(word + " "):
            return folded[len(word) + 1:]
    return folded


async def find_communes(
    db: AsyncSession, text: str, limit: int = 6, *, among: Collection[int] | None = None
) -> list[Commune]:
    """Communes whose name, or former district, is what was typed: without accents, with a
    typo or two, with or without "xã"/"phường". Best first, at most `limit`.

    A district's name brings its communes (after the 2025 merger people still say "huyện
    Tân Hiệp"); `among` keeps to those communes (a staff member's own).
    """
    typed = _bare(text)
    if len(typed) < 2:
        return []
    communes = [c for c in await list_communes(db) if among is None or c.id in among]
    score: dict[int, float] = {}
    names = {c.id: _bare(c.name) for c in communes}
    for commune_id, name in names.items():
        if typed == name:
            score[commune_id] = 200.0
        elif name.startswith(typed) or f" {typed}" in f" {name}":
            score[commune_id] = 150.0 - len(name) / 100
    districts = {c.id: _bare(c.district) for c in communes if c.district}
    for _name, value, commune_id in process.extract(
        typed, districts, scorer=fuzz.ratio, limit=None, score_cutoff=85
    ):
        # Below a commune named like it: "Tân Hiệp" the commune before Tân Hiệp's communes.
        score[commune_id] = max(score.get(commune_id, 0.0), float(value) - 1)
    if not score:
        # Nothing named so: a typo ("tan thuan tai"), judged by rapidfuzz.
        for _name, value, commune_id in process.extract(
            typed, names, scorer=fuzz.WRatio, limit=None, score_cutoff=MATCH_CUTOFF
        ):
            score[commune_id] = float(value)
    by_id = {c.id: c for c in communes}
    best = sorted(score, key=lambda commune_id: (-score[commune_id], by_id[commune_id].name))
    return [by_id[commune_id] for commune_id in best[:limit]]


async def list_hamlets(db: AsyncSession, commune_id: int) -> list[Hamlet]:
    cache = _cache(db)
    key = ("hamlets", commune_id)
    if key not in cache:
        query = (
            select(Hamlet)
            .where(Hamlet.commune_id == commune_id)
            .order_by(Hamlet.position, Hamlet.name)
        )
        cache[key] = list((await db.execute(query)).scalars())
    return list(cache[key])


async def get_commune(db: AsyncSession, commune_id: int) -> Commune | None:
    return await db.get(Commune, commune_id)


async def get_hamlet(db: AsyncSession, hamlet_id: int) -> Hamlet | None:
    return await db.get(Hamlet, hamlet_id)


async def find_commune_by_code(db: AsyncSession, code: str) -> Commune | None:
    query = select(Commune).where(Commune.code == code)
    return (await db.execute(query)).scalar_one_or_none()


async def find_province_by_code(db: AsyncSession, code: str) -> Province | None:
    query = select(Province).where(Province.code == code)
    return (await db.execute(query)).scalar_one_or_none()


async def find_hamlet_by_code(db: AsyncSession, code: str) -> Hamlet | None:
    query = select(Hamlet).where(Hamlet.code == code.strip().lower())
    return (await db.execute(query)).scalar_one_or_none()


async def list_fields(db: AsyncSession, commune_id: int) -> list[Field]:
    cache = _cache(db)
    key = ("fields", commune_id)
    if key not in cache:
        query = (
            select(Field).where(Field.commune_id == commune_id).order_by(Field.position, Field.id)
        )
        cache[key] = list((await db.execute(query)).scalars())
    return list(cache[key])


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
