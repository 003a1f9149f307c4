"""The panel's table of a commune's petitions: its filters, its sort orders and its pages.

A commune keeps every petition for years, so the table is read the way a large one must be
(bench/petitions, 1,000,000 petitions): the ids of one page are found first and only then its
rows are read; the count stops at `COUNT_CAP` ("more than 10,000"), and so do the pages, which
asks the office to narrow the filter rather than page through a year; a text search reads the
trigram index on the folded text (migration 0023pt) on PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.folding import fold
from storage.models import Agency, Field, Hamlet, Petition
from storage.petitions.petitions import LOCAL
from storage.petitions.statuses import OPEN, Status

# The table's sort orders; `received` is the default, newest first.
SORTS = ("received", "due", "status", "field", "hamlet")
# Counting stops here: the office does not page through ten thousand petitions, it filters.
COUNT_CAP = 10_000
# A search counts its matches up to here (a common word is found in thousands).
SEARCH_COUNT_CAP = 500
WHOLE_CODE = re.compile(r"kn-\d{4}-\d{5}")
# How many of the newest petitions (under the other filters) a search first reads.
SEARCH_WINDOW = 5_000
# Found this often among them, words are common: a page of them is found there.
COMMON_HITS = 25


@dataclass(frozen=True)
class PetitionQuery:
    """The panel's filters of a commune's petitions and their order; empty ones do not filter."""

    status: str = ""  # a status, or "open" (every open status), or "" for all
    field_id: int | None = None
    hamlet_id: int | None = None
    agency_id: int | None = None
    overdue: bool = False
    text: str = ""  # searched without accents in the content and the code
    received_from: date | None = None  # local days, both included
    received_to: date | None = None
    sort: str = "received"  # one of SORTS
    descending: bool = True


@dataclass(frozen=True)
class PetitionRow:
    id: int
    code: str
    status: str
    created_at: datetime
    hamlet: str | None
    field: str | None
    agency: str | None
    content: str
    due_on: date | None
    overdue: bool


@dataclass(frozen=True)
class PetitionPage:
    rows: list[PetitionRow]
    total: int  # how many match, up to a cap
    more: bool  # more than `total` match


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), LOCAL).astimezone(UTC)


def _whole_code(wanted: PetitionQuery) -> str | None:
    """The code searched for, when a whole one was typed: found by its unique index."""
    needle = fold(wanted.text).strip()
    return needle.upper() if WHOLE_CODE.fullmatch(needle) else None


def _pattern(wanted: PetitionQuery) -> str | None:
    """The text search as a LIKE pattern, or None when nothing (or a whole code) was typed."""
    needle = fold(wanted.text)[:200]
    if not needle.strip() or _whole_code(wanted) is not None:
        return None
    # LIKE's own wildcards in what was typed are matched as themselves.
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matching(content: Any, code: Any, pattern: str) -> ColumnElement[bool]:
    """The search's words in the folded text or the code."""
    return or_(content.like(pattern, escape="\\"),
               func.lower(code).like(pattern, escape="\\"))


def _conditions(commune_id: int, wanted: PetitionQuery, today: date) -> list[ColumnElement[bool]]:
    """Every filter but the text search's."""
    where: list[ColumnElement[bool]] = [Petition.commune_id == commune_id]
    if wanted.status == "open":
        where.append(Petition.status.in_([s.value for s in OPEN]))
    elif wanted.status:
        where.append(Petition.status == wanted.status)
    if wanted.field_id is not None:
        where.append(Petition.field_id == wanted.field_id)
    if wanted.hamlet_id is not None:
        where.append(Petition.hamlet_id == wanted.hamlet_id)
    if wanted.agency_id is not None:
        where.append(Petition.agency_id == wanted.agency_id)
    if wanted.overdue:
        where += [Petition.status == "forwarded", Petition.due_on < today]
    if wanted.received_from is not None:
        where.append(Petition.created_at >= _local_midnight(wanted.received_from))
    if wanted.received_to is not None:
        where.append(Petition.created_at < _local_midnight(wanted.received_to + timedelta(1)))
    code = _whole_code(wanted)
    if code is not None:
        where.append(Petition.code == code)
    return where


def _rank(column: Any, ids_in_order: Sequence[object]) -> ColumnElement[int]:
    """A column's values as their place in the order the office reads them (the filters'
    lists), the missing ones last."""
    return case({value: n for n, value in enumerate(ids_in_order) if value is not None},
                value=column, else_=len(ids_in_order))


@dataclass(frozen=True)
class Segment:
    """Part of the table in its order: the petitions of one status, field or hamlet, say."""

    where: ColumnElement[bool] | None
    order: list[ColumnElement[Any]]


def _newest(descending: bool = True) -> list[ColumnElement[Any]]:
    if descending:
        return [Petition.created_at.desc(), Petition.id.desc()]
    return [Petition.created_at.asc(), Petition.id.asc()]


async def _groups(db: AsyncSession, commune_id: int, sort: str) -> tuple[Any, list[Any]]:
    """The column a grouping order sorts by and its values in the office's order."""
    if sort == "status":
        return Petition.status, [s.value for s in Status]
    table = Field if sort == "field" else Hamlet
    ids = list((await db.execute(
        select(table.id).where(table.commune_id == commune_id)
        .order_by(table.position, table.name, table.id))).scalars())
    return (Petition.field_id if sort == "field" else Petition.hamlet_id), [*ids, None]


async def _segments(db: AsyncSession, commune_id: int, wanted: PetitionQuery) -> list[Segment]:
    """The table's order as segments read one after the other, each in the order of an index
    (migration 0023pt), so that a page is found without sorting the whole commune."""
    if wanted.sort == "due":
        due = Petition.due_on.desc() if wanted.descending else Petition.due_on.asc()
        return [Segment(Petition.due_on.is_not(None), [due, *_newest()]),
                Segment(Petition.due_on.is_(None), _newest())]
    if wanted.sort in ("status", "field", "hamlet"):
        column, values = await _groups(db, commune_id, wanted.sort)
        if wanted.descending:
            values.reverse()
        return [Segment(column.is_(None) if value is None else column == value, _newest())
                for value in values]
    return [Segment(None, _newest(wanted.descending))]


async def _order(db: AsyncSession, commune_id: int, wanted: PetitionQuery
                 ) -> list[ColumnElement[Any]]:
    """The table's order as one ORDER BY, for a text search: its matches are few enough to
    sort, and the trigram index is read once rather than once a segment."""
    if wanted.sort == "due":
        due = Petition.due_on.desc() if wanted.descending else Petition.due_on.asc()
        return [due.nulls_last(), *_newest()]
    if wanted.sort in ("status", "field", "hamlet"):
        column, values = await _groups(db, commune_id, wanted.sort)
        rank = _rank(column, values)
        return [rank.desc() if wanted.descending else rank.asc(), *_newest()]
    return _newest(wanted.descending)


async def _count(db: AsyncSession, where: list[ColumnElement[bool]], cap: int) -> int:
    query = select(Petition.id).where(*where).limit(cap)
    return (await db.execute(select(func.count()).select_from(query.subquery()))).scalar_one()


async def _page_ids(db: AsyncSession, commune_id: int, wanted: PetitionQuery,
                    where: list[ColumnElement[bool]], offset: int, limit: int, *,
                    sort_matches: bool = False) -> list[int]:
    if sort_matches:
        order = await _order(db, commune_id, wanted)
        query = select(Petition.id).where(*where).order_by(*order).offset(offset).limit(limit)
        return list((await db.execute(query)).scalars())
    ids: list[int] = []
    for segment in await _segments(db, commune_id, wanted):
        if len(ids) == limit:
            break
        part = where if segment.where is None else [*where, segment.where]
        if offset:
            # Segments wholly before the page are only counted, up to where the page starts.
            before = await _count(db, part, offset)
            if before < offset:
                offset -= before
                continue
        query = (select(Petition.id).where(*part).order_by(*segment.order)
                 .offset(offset).limit(limit - len(ids)))
        ids += (await db.execute(query)).scalars()
        offset = 0
    return ids


async def _plan_for_these_words(db: AsyncSession) -> None:
    """A text search is planned for the words typed, not once for any words: whether to read
    the trigram index or the commune's newest petitions depends on how common they are."""
    if (await db.connection()).dialect.name == "postgresql":
        await db.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


@dataclass(frozen=True)
class Counted:
    count: int
    more: bool  # there are more than `count`
    rare: bool  # too rare among the newest petitions to look for them there
    # Common: a page is found reading the table's order; else the matches are sorted.
    common: bool = False


async def _count_matches(db: AsyncSession, where: list[ColumnElement[bool]], pattern: str
                         ) -> Counted:
    """How many petitions the search finds, or at least how many.

    The newest SEARCH_WINDOW petitions under the other filters are read first, in index
    order. Words found there often enough are common: the trigram index would read posting
    lists as long as the whole country's petitions (half a second at 1,000,000,
    bench/petitions), so the count says "more than" what the newest ones hold, and the pages,
    newest first, are found among them. Rarer words are counted with the trigram index, which
    finds them quickly."""
    newest = (select(Petition.content_folded, Petition.code).where(*where)
              .order_by(*_newest()).limit(SEARCH_WINDOW).subquery())
    matched = _matching(newest.c.content_folded, newest.c.code, pattern)
    seen, hits = (await db.execute(select(
        func.count(), func.coalesce(func.sum(case((matched, 1), else_=0)), 0)
    ).select_from(newest))).one()
    if seen < SEARCH_WINDOW:
        return Counted(min(hits, SEARCH_COUNT_CAP), hits > SEARCH_COUNT_CAP, rare=False)
    if hits >= COMMON_HITS:
        return Counted(min(hits, SEARCH_COUNT_CAP), True, rare=False, common=True)
    found = await _count(db, [*where, _matching(Petition.content_folded, Petition.code,
                                                 pattern)], SEARCH_COUNT_CAP + 1)
    return Counted(min(found, SEARCH_COUNT_CAP), found > SEARCH_COUNT_CAP, rare=True)


async def _newest_matches(db: AsyncSession, where: list[ColumnElement[bool]], pattern: str,
                          offset: int, limit: int) -> list[int]:
    newest = (select(Petition.id, Petition.created_at, Petition.content_folded, Petition.code)
              .where(*where).order_by(*_newest()).limit(SEARCH_WINDOW).subquery())
    query = (select(newest.c.id)
             .where(_matching(newest.c.content_folded, newest.c.code, pattern))
             .order_by(newest.c.created_at.desc(), newest.c.id.desc())
             .offset(offset).limit(limit))
    return list((await db.execute(query)).scalars())


async def _read_words(db: AsyncSession, common: bool) -> None:
    """Common words are found reading the table's order, never through the trigram index
    (its estimates of them are far too low); rare words are looked up in the trigram index
    and their few matches sorted, never by reading the whole commune in order."""
    if (await db.connection()).dialect.name == "postgresql":
        setting = "enable_bitmapscan" if common else "enable_indexscan"
        await db.execute(text(f"SET LOCAL {setting} = off"))


async def find_petitions(
    db: AsyncSession, commune_id: int, wanted: PetitionQuery, today: date, *,
    offset: int = 0, limit: int = 25,
) -> PetitionPage:
    """One page of a commune's petitions under the panel's filters and order, and how many
    match: up to COUNT_CAP, or for a text search up to SEARCH_COUNT_CAP or what the newest
    petitions hold (`_count_matches`). A page past that count is empty."""
    where = _conditions(commune_id, wanted, today)
    pattern = _pattern(wanted)
    sort_matches = False
    if pattern is None:
        counted = await _count(db, where, COUNT_CAP + 1)
        total, more = min(counted, COUNT_CAP), counted > COUNT_CAP
    else:
        await _plan_for_these_words(db)
        matches = await _count_matches(db, where, pattern)
        total, more = matches.count, matches.more
        if matches.rare or matches.common:
            await _read_words(db, matches.common)
        sort_matches = not matches.common
        where = [*where, _matching(Petition.content_folded, Petition.code, pattern)]
    if offset >= total:
        return PetitionPage([], total, more)
    if pattern is not None and not sort_matches and wanted.sort == "received" and (
            wanted.descending):
        # Newest first, every page the count allows lies among the newest petitions read.
        ids = await _newest_matches(db, where[:-1], pattern, offset, limit)
    else:
        ids = await _page_ids(db, commune_id, wanted, where, offset, limit,
                              sort_matches=sort_matches)
    position = {pid: n for n, pid in enumerate(ids)}
    query = (
        select(Petition.id, Petition.code, Petition.status, Petition.created_at, Hamlet.name,
               Field.name, Agency.name, Petition.content, Petition.due_on)
        .outerjoin(Hamlet, Hamlet.id == Petition.hamlet_id)
        .outerjoin(Field, Field.id == Petition.field_id)
        .outerjoin(Agency, Agency.id == Petition.agency_id)
        .where(Petition.id.in_(ids))
    )
    rows = [
        PetitionRow(pid, code, status, created, hamlet, field, agency, content, due,
                    status == "forwarded" and due is not None and due < today)
        for pid, code, status, created, hamlet, field, agency, content, due in (
            await db.execute(query)).all()
    ]
    rows.sort(key=lambda row: position[row.id])
    return PetitionPage(rows, total, more)
