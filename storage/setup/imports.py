"""A commune workbook sent in the chat: queued, checked in the background, applied on "Áp dụng".

The conversation only records the request (fetching the file is slow network work); a
background job fetches and reads it, plans it against the database and tells the sender what
would change, or every problem. The checked workbook waits as a short-lived personal file
(it holds delegates' phones) until the sender applies it; applying plans it again and removes
only what the sender saw listed for removal.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.files import file_by_token, store_file
from storage.messaging.notify import notify_person
from storage.messaging.outbox import REPLY
from storage.models import Commune, Person, SetupImport, StoredFile
from storage.models.base import utcnow
from storage.permissions import communes_where
from storage.refusals import Refused
from storage.setup.workbook import (
    AgencyRow,
    CommuneRow,
    DialogueOptionRow,
    FieldRow,
    HamletRow,
    SeatRow,
    SetupProblem,
    UnitRow,
    Workbook,
)
from storage.setup.workbook_apply import (
    Change,
    CommunePlan,
    Kept,
    SetupApplied,
    SetupPlan,
    apply_setup,
    plan_setup,
)

LEASE = timedelta(minutes=5)
MAX_PROBLEMS_SHOWN = 30
SETUP_ROLES = ("admin",)


class SetupRefused(Refused):
    """The upload cannot be applied: gone, not the sender's, or no longer clean."""


# -- values as JSON (notices and the waiting file) -----------------------------------------

_ROWS: dict[str, type[Any]] = {
    "communes": CommuneRow, "hamlets": HamletRow, "units": UnitRow, "seats": SeatRow,
    "fields": FieldRow, "agencies": AgencyRow, "options": DialogueOptionRow,
}
_TUPLES = ("hamlet_codes", "field_codes")


def workbook_to_json(workbook: Workbook) -> dict[str, Any]:
    return asdict(workbook)


def workbook_from_json(data: dict[str, Any]) -> Workbook:
    def row(kind: type[Any], values: dict[str, Any]) -> Any:
        return kind(**{k: tuple(v) if k in _TUPLES else v for k, v in values.items()})

    return Workbook(**{name: tuple(row(kind, values) for values in data.get(name, []))
                       for name, kind in _ROWS.items()})


def plan_to_json(plan: CommunePlan) -> dict[str, Any]:
    return asdict(plan)


def plan_from_json(data: dict[str, Any]) -> CommunePlan:
    def changes(items: list[dict[str, Any]]) -> tuple[Change, ...]:
        return tuple(Change(item["kind"], item["key"], item["label"],
                            tuple(tuple(a) for a in item.get("attributes", ())))
                     for item in items)

    return CommunePlan(
        code=data["code"], name=data["name"], new=bool(data["new"]),
        added=changes(data.get("added", [])), updated=changes(data.get("updated", [])),
        removed=changes(data.get("removed", [])),
        kept=tuple(Kept(k["kind"], k["key"], k["label"], tuple(tuple(u) for u in k["uses"]))
                   for k in data.get("kept", [])))


def problem_to_json(problem: SetupProblem) -> dict[str, Any]:
    return asdict(problem)


def problem_from_json(data: dict[str, Any]) -> SetupProblem:
    return SetupProblem(str(data.get("sheet", "")), int(data.get("row", 0)),
                        str(data.get("column", "")), str(data.get("key", "")),
                        {str(k): str(v) for k, v in dict(data.get("params", {})).items()})


# -- the queue ----------------------------------------------------------------------------


async def administered_codes(db: AsyncSession, person: Person | None) -> list[str]:
    """The codes of the communes `person` administers: what their workbook may touch."""
    ids = await communes_where(db, person, SETUP_ROLES)
    if not ids:
        return []
    query = select(Commune.code).where(Commune.id.in_(ids)).order_by(Commune.code)
    return list((await db.execute(query)).scalars())


async def request_setup_import(
    db: AsyncSession, actor: Person, file_token: str, file_name: str
) -> SetupImport:
    allowed = await administered_codes(db, actor)
    if not allowed:
        raise SetupRefused("not_admin")
    request = SetupImport(person_id=actor.id, allowed=allowed, file_token=file_token,
                          file_name=file_name[:200], status="pending")
    db.add(request)
    await db.flush()
    return request


async def claim_setup_import(db: AsyncSession, *, now: datetime | None = None
                             ) -> SetupImport | None:
    """The oldest waiting request, leased to this worker (another takes it if this one dies)."""
    now = now or utcnow()
    query = (
        select(SetupImport)
        .where((SetupImport.status == "pending")
               | ((SetupImport.status == "working") & (SetupImport.lease_until < now)))
        .order_by(SetupImport.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    request = (await db.execute(query)).scalar_one_or_none()
    if request is not None:
        request.status = "working"
        request.lease_until = now + LEASE
    return request


async def release_setup_import(db: AsyncSession, request_id: int) -> None:
    """Give a request back untouched (its worker is stopping): the next start takes it."""
    request = await db.get(SetupImport, request_id, with_for_update=True)
    if request is not None and request.status == "working":
        request.status = "pending"
        request.lease_until = None


async def finish_setup_import(
    db: AsyncSession, request_id: int, read: tuple[Workbook, tuple[SetupProblem, ...]] | None,
    *, now: datetime | None = None,
) -> str:
    """Tell the sender what the workbook would change, or its problems (None: not fetched)."""
    now = now or utcnow()
    request = await db.get(SetupImport, request_id, with_for_update=True)
    if request is None or request.status != "working":
        return "gone"
    request.finished_at, request.lease_until = now, None
    name = request.file_name
    params: dict[str, Any] = {"file": name, "import_id": request.id}
    if read is None:
        request.status, notice = "failed", "setup_failed"
    else:
        workbook, problems = read
        plan = None
        if not problems:
            plan = await plan_setup(db, workbook, allowed=request.allowed)
            problems = plan.problems
        if plan is None or problems:
            request.status, notice = "refused", "setup_refused"
            params |= {"count": len(problems), "problems": [
                problem_to_json(p) for p in problems[:MAX_PROBLEMS_SHOWN]]}
        else:
            request.status, notice = "checked", "setup_checked"
            waiting = store_file(db, f"{name}.json", json.dumps(
                {"workbook": workbook_to_json(workbook),
                 "plan": [plan_to_json(c) for c in plan.communes]}).encode(),
                owner_id=request.person_id, now=now, personal=True)
            request.workbook_token = waiting.token
            params |= {"changed": plan.changed,
                       "communes": [plan_to_json(c) for c in plan.communes]}
    await notify_person(db, request.person_id, notice, params,
                        dedupe_key=f"setup-import:{request.id}", priority=REPLY)
    return request.status


async def _waiting(db: AsyncSession, actor: Person, request_id: int
                   ) -> tuple[SetupImport, StoredFile]:
    request = await db.get(SetupImport, request_id, with_for_update=True)
    if request is None or request.person_id != actor.id or request.status != "checked":
        raise SetupRefused("gone")
    stored = (await file_by_token(db, request.workbook_token)
              if request.workbook_token else None)
    if stored is None or stored.content is None:
        request.status = "cancelled"
        raise SetupRefused("gone")
    return request, stored


async def apply_setup_import(
    db: AsyncSession, actor: Person, request_id: int, *, now: datetime | None = None
) -> SetupApplied:
    """Apply a checked upload of `actor`'s, within the communes they still administer.

    Raises `SetupRefused` ("gone") when there is nothing to apply, `SetupNotClean` when the
    database changed so that the workbook no longer fits.
    """
    request, stored = await _waiting(db, actor, request_id)
    assert stored.content is not None
    waiting = json.loads(stored.content)
    allowed = set(request.allowed) & set(await administered_codes(db, actor))
    seen = tuple(plan_from_json(item) for item in waiting["plan"])
    plan = SetupPlan(workbook_from_json(waiting["workbook"]), seen, (), frozenset(allowed))
    applied = await apply_setup(db, plan, actor_id=actor.id)
    request.status, request.finished_at = "applied", now or utcnow()
    await _drop(db, request, stored)
    return applied


async def cancel_setup_import(db: AsyncSession, actor: Person, request_id: int) -> None:
    request, stored = await _waiting(db, actor, request_id)
    request.status = "cancelled"
    await _drop(db, request, stored)


async def _drop(db: AsyncSession, request: SetupImport, stored: StoredFile) -> None:
    # The phones it holds go with it.
    await db.delete(stored)
    request.workbook_token = None


