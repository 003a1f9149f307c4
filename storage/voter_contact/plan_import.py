"""Importing the year's voter-contact plan: a clean file becomes sessions, rounds and meetings.

Nothing is imported unless the whole file is clean (`ParsedPlan.ok`), and then in one
transaction; importing the same file again changes nothing (sessions by title, rounds by
session and timing, meetings by unit and start).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.folding import fold
from storage.messaging.notify import notify_person
from storage.messaging.outbox import REPLY
from storage.models import (
    ContactRound,
    CouncilSession,
    Delegate,
    ElectoralUnit,
    Meeting,
    Person,
    PlanImport,
)
from storage.models.base import utcnow
from storage.permissions import OFFICE_ROLES, require_role
from storage.petitions.petitions import LOCAL
from storage.voter_contact.meetings import MeetingDraft, add_meeting, create_round, create_session

if TYPE_CHECKING:
    from storage.voter_contact.plan_file import ParsedPlan


class PlanNotClean(ValueError):
    """The plan has problems; the office must fix the file first."""


@dataclass(frozen=True)
class Imported:
    sessions: int
    rounds: int
    meetings: int
    unchanged: int


async def plan_references(db: AsyncSession, commune_id: int) -> tuple[dict[int, str], list[str]]:
    """What a plan file may name: the commune's electoral units and its delegates."""
    units = dict((await db.execute(
        select(ElectoralUnit.number, ElectoralUnit.name).where(
            ElectoralUnit.commune_id == commune_id))).tuples().all())
    names = [name for name in (await db.execute(
        select(Person.full_name).join(Delegate, Delegate.person_id == Person.id)
        .where(Delegate.commune_id == commune_id).order_by(Delegate.id))).scalars() if name]
    return units, names


async def import_plan(
    db: AsyncSession, actor: Person, commune_id: int, plan: ParsedPlan, *,
    now: datetime | None = None,
) -> Imported:
    if not plan.ok:
        raise PlanNotClean(f"{len(plan.problems)} problems")
    units = dict((await db.execute(
        select(ElectoralUnit.number, ElectoralUnit.id).where(
            ElectoralUnit.commune_id == commune_id))).tuples().all())
    seats = {fold(name or ""): delegate_id for delegate_id, name in (await db.execute(
        select(Delegate.id, Person.full_name).join(Person, Person.id == Delegate.person_id)
        .where(Delegate.commune_id == commune_id))).tuples().all()}
    sessions: dict[str, CouncilSession] = {}
    rounds: dict[tuple[str, str], ContactRound] = {}
    counts = {"sessions": 0, "rounds": 0, "meetings": 0, "unchanged": 0}
    for row in plan.meetings:
        session = sessions.get(row.session_title)
        if session is None:
            session = (await db.execute(select(CouncilSession).where(
                CouncilSession.commune_id == commune_id,
                CouncilSession.title == row.session_title))).scalar_one_or_none()
            if session is None:
                session = await create_session(db, actor, commune_id, row.session_title,
                                               row.session_opens, row.session_closes)
                counts["sessions"] += 1
            sessions[row.session_title] = session
        key = (row.session_title, row.timing)
        contact_round = rounds.get(key)
        if contact_round is None:
            contact_round = (await db.execute(select(ContactRound).where(
                ContactRound.session_id == session.id,
                ContactRound.timing == row.timing))).scalar_one_or_none()
            if contact_round is None:
                contact_round = await create_round(
                    db, actor, session, row.timing, row.window_start, row.window_end,
                    documents_days=row.documents_days, opinions_days=row.opinions_days,
                    front_report_by=row.front_report_by, now=now)
                counts["rounds"] += 1
            rounds[key] = contact_round
        starts_at = datetime.combine(row.day, row.time, tzinfo=LOCAL)
        unit_id = units[row.unit_number]
        exists = (await db.execute(select(Meeting.id).where(
            Meeting.round_id == contact_round.id, Meeting.electoral_unit_id == unit_id,
            Meeting.starts_at == starts_at))).scalar_one_or_none()
        if exists is not None:
            counts["unchanged"] += 1
            continue
        ends_at = (datetime.combine(row.day, row.end_time, tzinfo=LOCAL)
                   if row.end_time is not None else None)
        await add_meeting(db, actor, contact_round, MeetingDraft(
            unit_id, row.place, starts_at, ends_at=ends_at, agenda=row.agenda,
            expected_voters=row.expected_voters,
            delegate_ids=tuple(seats[fold(name)] for name in row.delegates
                               if fold(name) in seats)), now=now)
        counts["meetings"] += 1
    return Imported(**counts)


# -- requests from the chat, worked by a background job -----------------------------------

LEASE = timedelta(minutes=5)
MAX_PROBLEMS_SHOWN = 30


async def request_plan_import(
    db: AsyncSession, actor: Person, commune_id: int, file_token: str, file_name: str
) -> PlanImport:
    await require_role(db, actor, commune_id, OFFICE_ROLES)
    request = PlanImport(commune_id=commune_id, person_id=actor.id, file_token=file_token,
                         file_name=file_name[:200], status="pending")
    db.add(request)
    await db.flush()
    return request


async def claim_plan_import(db: AsyncSession, *, now: datetime | None = None
                            ) -> PlanImport | None:
    """The oldest waiting request, leased to this worker (another takes it if this one dies)."""
    now = now or utcnow()
    query = (
        select(PlanImport)
        .where((PlanImport.status == "pending")
               | ((PlanImport.status == "working") & (PlanImport.lease_until < now)))
        .order_by(PlanImport.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    request = (await db.execute(query)).scalar_one_or_none()
    if request is not None:
        request.status = "working"
        request.lease_until = now + LEASE
    return request


async def release_plan_import(db: AsyncSession, request_id: int) -> None:
    """Give a request back untouched (its worker is stopping): the next start takes it at once."""
    request = await db.get(PlanImport, request_id, with_for_update=True)
    if request is not None and request.status == "working":
        request.status = "pending"
        request.lease_until = None


async def finish_plan_import(
    db: AsyncSession, request_id: int, plan: ParsedPlan | None, *,
    now: datetime | None = None,
) -> str:
    """Import a clean plan, or report its problems (None: the file could not be fetched)."""
    now = now or utcnow()
    request = await db.get(PlanImport, request_id, with_for_update=True)
    if request is None or request.status != "working":
        return "gone"
    actor = await db.get(Person, request.person_id) if request.person_id else None
    if plan is None:
        request.status, request.result = "failed", {"reason": "unreachable"}
        notice = "plan_import_failed"
        params: dict[str, Any] = {"file": request.file_name}
    elif plan.ok and actor is not None:
        imported = await import_plan(db, actor, request.commune_id, plan, now=now)
        request.status = "done"
        request.result = {"sessions": imported.sessions, "rounds": imported.rounds,
                          "meetings": imported.meetings, "unchanged": imported.unchanged}
        notice, params = "plan_imported", {"file": request.file_name, **request.result}
    else:
        problems = [{"row": p.row, "column": p.column, "key": p.key, "params": p.params}
                    for p in plan.problems] or [{"row": 0, "column": "", "key": "no_rows",
                                                 "params": {}}]
        request.status, request.result = "refused", {"problems": len(problems)}
        notice, params = "plan_refused", {"file": request.file_name, "count": len(problems),
                                          "problems": problems[:MAX_PROBLEMS_SHOWN]}
    request.finished_at = now
    request.lease_until = None
    await notify_person(db, request.person_id, notice, params,
                        dedupe_key=f"plan-import:{request.id}", priority=REPLY)
    return request.status
