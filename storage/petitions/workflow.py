"""A petition's life: the one table of allowed moves, who may make them, and `move_petition`.

Every move is checked against `ALLOWED` and against the mover's role, written to the audit
log (who, when, before, after, why) and announced to everyone who asked, through the outbox.

In a merged group, the petitioners do not move the group: each says for themselves whether the
answer settles it (`respond_to_answer`), and only the office decides for everyone.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import desc, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit import record_action
from storage.files import file_by_token
from storage.messaging.notify import notify_person
from storage.models import (
    Agency,
    AuditEntry,
    Commune,
    Delegate,
    Field,
    Meeting,
    MeetingDelegate,
    Person,
    Petition,
    RoleGrant,
)
from storage.models.base import utcnow
from storage.permissions import OFFICE_ROLES, communes_where, office_staff
from storage.petitions.petitions import LOCAL, group_petitioners
from storage.petitions.statuses import OPEN as OPEN
from storage.petitions.statuses import Status as Status
from storage.refusals import Refused
from storage.working_days import add_working_days

S = Status
ALLOWED: dict[Status, frozenset[Status]] = {
    S.RECEIVED: frozenset({S.CLASSIFIED, S.ANSWERED, S.REJECTED, S.MERGED}),
    S.CLASSIFIED: frozenset({S.FORWARDED, S.ANSWERED, S.REJECTED, S.MERGED}),
    # An agency that is not competent sends it back to be classified again.
    S.FORWARDED: frozenset({S.ANSWERED, S.CLASSIFIED, S.MERGED}),
    S.ANSWERED: frozenset({S.CLOSED, S.REOPENED}),
    S.CLOSED: frozenset({S.REOPENED}),
    S.REOPENED: frozenset({S.CLASSIFIED, S.FORWARDED, S.ANSWERED, S.REJECTED, S.MERGED}),
    S.MERGED: frozenset(),
    S.REJECTED: frozenset(),
}
# Moves that need a reason the petitioner will read.
NEEDS_REASON = frozenset({(S.FORWARDED, S.CLASSIFIED)}) | {
    (before, after) for before in S for after in (S.REJECTED, S.REOPENED)
}
COMPETENCES = ("commune", "province", "central", "utility")
# What each kind of actor may do; staff may do every move in the table.
AGENCY_MOVES = frozenset({(S.FORWARDED, S.ANSWERED), (S.FORWARDED, S.CLASSIFIED)})
# The meeting's delegates may answer a voter's question for it themselves.
DELEGATE_MOVES = frozenset(
    {(S.RECEIVED, S.ANSWERED), (S.CLASSIFIED, S.ANSWERED), (S.REOPENED, S.ANSWERED)}
)
PETITIONER_MOVES = frozenset(
    {(S.ANSWERED, S.CLOSED), (S.ANSWERED, S.REOPENED), (S.CLOSED, S.REOPENED)}
)


class BadMove(Refused):
    """The move is not in the table, or lacks what it needs (a reason, an agency...)."""


class NotYours(Exception):
    """The actor may not make this move on this petition."""


async def actor_kinds(db: AsyncSession, petition: Petition, actor: Person) -> set[str]:
    """How the actor stands to this petition: staff, agency (its officer), petitioner (who
    sent it), co_petitioner (whose own petition was merged into it)."""
    kinds: set[str] = set()
    if actor.forgotten_at is not None:
        return kinds
    if petition.commune_id in await communes_where(db, actor, OFFICE_ROLES):
        kinds.add("staff")  # by a role in the commune, or as the province's admin
    if petition.agency_id is not None:
        officer = await db.execute(
            select(RoleGrant.id).where(
                RoleGrant.person_id == actor.id, RoleGrant.commune_id == petition.commune_id,
                RoleGrant.role == "agency", RoleGrant.agency_id == petition.agency_id,
            ).limit(1)
        )
        if officer.first() is not None:
            kinds.add("agency")
    if await is_meeting_delegate(db, petition, actor):
        kinds.add("meeting_delegate")
    if petition.person_id == actor.id:
        kinds.add("petitioner")
    elif actor.id in await group_petitioners(db, petition):
        kinds.add("co_petitioner")
    return kinds


async def is_meeting_delegate(db: AsyncSession, petition: Petition, actor: Person) -> bool:
    """The actor is a delegate of the meeting this voter's question was sent for."""
    if petition.source != "question" or petition.meeting_id is None:
        return False
    found = await db.execute(
        select(MeetingDelegate.id)
        .join(Delegate, Delegate.id == MeetingDelegate.delegate_id)
        .where(MeetingDelegate.meeting_id == petition.meeting_id,
               Delegate.person_id == actor.id)
        .limit(1)
    )
    return found.first() is not None


async def take_question_to_meeting(db: AsyncSession, petition: Petition, actor: Person) -> bool:
    """The meeting's delegate will answer this voter's question at the meeting: the voter is
    told when and where, once. False if it was already taken, or is closed.

    The question stays open as one of the meeting's opinions: the delegate's dossier and the
    report-back after the session list it with the answer it gets there.
    """
    if not await is_meeting_delegate(db, petition, actor):
        raise NotYours("not a delegate of this question's meeting")
    meeting = await db.get(Meeting, petition.meeting_id)
    if meeting is None or petition.status not in OPEN:
        return False
    taken = await db.execute(select(AuditEntry.id).where(
        AuditEntry.action == "question.taken_to_meeting", AuditEntry.subject_type == "petition",
        AuditEntry.subject_id == petition.id).limit(1))
    if taken.first() is not None:
        return False
    record_action(db, action="question.taken_to_meeting", subject_type="petition",
                  subject_id=petition.id, actor_id=actor.id)
    for person_id in await group_petitioners(db, petition):
        await notify_person(
            db, person_id, "question_taken_to_meeting",
            {"code": petition.code, "starts_at": meeting.starts_at.isoformat(),
             "place": meeting.place},
            dedupe_key=f"question-taken:{petition.id}:{person_id}", about=[person_id])
    return True


async def _alone_in_group(db: AsyncSession, petition: Petition, person: Person) -> bool:
    """No one else asked this: the petitioner's say is the petition's fate."""
    return await group_petitioners(db, petition) == [person.id]


async def allowed_moves(db: AsyncSession, petition: Petition, actor: Person) -> set[Status]:
    """Every status this actor may move the petition to now (one look at their roles)."""
    before = Status(petition.status)
    kinds = await actor_kinds(db, petition, actor)
    # In a merged group a petitioner answers only for themselves (`respond_to_answer`).
    decides = "petitioner" in kinds and await _alone_in_group(db, petition, actor)
    return {
        to for to in ALLOWED[before]
        if "staff" in kinds
        or ("agency" in kinds and (before, to) in AGENCY_MOVES)
        or ("meeting_delegate" in kinds and (before, to) in DELEGATE_MOVES)
        or (decides and (before, to) in PETITIONER_MOVES)
    }


async def may_move(db: AsyncSession, petition: Petition, actor: Person, to: Status) -> bool:
    return to in await allowed_moves(db, petition, actor)


def _snapshot(petition: Petition) -> dict[str, Any]:
    return {
        "status": petition.status,
        "field_id": petition.field_id,
        "competence": petition.competence,
        "agency_id": petition.agency_id,
        "due_on": petition.due_on.isoformat() if petition.due_on else None,
    }


async def move_petition(
    db: AsyncSession,
    petition: Petition,
    to: Status,
    actor: Person,
    *,
    reason: str | None = None,
    changes: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """The one way a petition changes status. Raises BadMove or NotYours and changes nothing."""
    before_status = Status(petition.status)
    if to not in ALLOWED[before_status]:
        raise BadMove("not_allowed")
    reason = (reason or "").strip() or None
    if (before_status, to) in NEEDS_REASON and reason is None:
        raise BadMove("needs_reason")
    if not await may_move(db, petition, actor, to):
        raise NotYours(f"{actor.id} may not move petition {petition.id} to {to}")
    now = now or utcnow()
    before = _snapshot(petition)
    for name, value in (changes or {}).items():
        setattr(petition, name, value)
    petition.status = to.value
    petition.status_at = now
    petition.version += 1
    record_action(
        db,
        action=f"petition.{to.value}",
        subject_type="petition",
        subject_id=petition.id,
        actor_id=actor.id,
        before=before,
        after=_snapshot(petition),
        reason=reason,
    )
    await _announce(db, petition, to, reason)


async def _announce(db: AsyncSession, petition: Petition, to: Status, reason: str | None) -> None:
    params: dict[str, Any] = {"id": petition.id, "code": petition.code, "status": to.value}
    if reason:
        params["reason"] = reason
    if to is S.ANSWERED:
        params["answer"] = petition.answer or ""
        attached = await file_by_token(db, petition.answer_file) if petition.answer_file else None
        if attached is not None:
            params["file"] = [attached.token, attached.name]
    if to is S.MERGED and petition.merged_into_id is not None:
        into = await db.get(Petition, petition.merged_into_id)
        params["into"] = into.code if into else ""
    if to is S.FORWARDED and petition.agency_id is not None:
        agency = await db.get(Agency, petition.agency_id)
        params["agency"] = agency.name if agency else ""
    for person_id in await group_petitioners(db, petition):
        await notify_person(
            db, person_id, "petition_status", params,
            dedupe_key=f"petition:{petition.id}:v{petition.version}:{person_id}",
        )
    if to is S.FORWARDED:
        await _tell_agency(db, petition)
    if to is S.REOPENED or (to is S.CLASSIFIED and "reason" in params):
        await _tell_office(db, petition, params)


async def _tell_agency(db: AsyncSession, petition: Petition) -> None:
    officers = await db.execute(
        select(RoleGrant.person_id).where(
            RoleGrant.role == "agency", RoleGrant.agency_id == petition.agency_id
        )
    )
    for person_id in set(officers.scalars()):
        await notify_person(
            db, person_id, "petition_for_agency",
            {"id": petition.id, "code": petition.code,
             "due_on": petition.due_on.isoformat() if petition.due_on else None},
            dedupe_key=f"petition-agency:{petition.id}:v{petition.version}:{person_id}",
        )


async def _tell_office(db: AsyncSession, petition: Petition, params: dict[str, Any]) -> None:
    for person_id in await office_staff(db, petition.commune_id):
        await notify_person(
            db, person_id, "petition_back_to_office", params,
            dedupe_key=f"petition-office:{petition.id}:v{petition.version}:{person_id}",
        )


async def classify_petition(
    db: AsyncSession, petition: Petition, actor: Person, *, field_id: int, competence: str
) -> None:
    found = await db.get(Field, field_id)
    if found is None or found.commune_id != petition.commune_id:
        raise BadMove("bad_field")
    if competence not in COMPETENCES:
        raise BadMove("bad_competence")
    await move_petition(
        db, petition, S.CLASSIFIED, actor,
        changes={"field_id": field_id, "competence": competence},
    )


async def answer_days_for(db: AsyncSession, petition: Petition) -> int:
    if petition.field_id is not None:
        found = await db.get(Field, petition.field_id)
        if found is not None and found.answer_days is not None:
            return found.answer_days
    commune = await db.get(Commune, petition.commune_id)
    return commune.answer_days if commune is not None else 15


async def expected_answer_on(db: AsyncSession, petition: Petition, today: date
                             ) -> date | None:
    """The day the petitioner can expect an answer by: the agency's deadline once forwarded,
    before that the commune's working days from the day it was sent. None when no answer is
    awaited, or when that day has passed (a reopened petition): a past date promises nothing.
    """
    if petition.status not in OPEN:
        return None
    if petition.status == S.FORWARDED and petition.due_on is not None:
        expected = petition.due_on
    else:
        sent_on = petition.created_at.astimezone(LOCAL).date()
        expected = add_working_days(sent_on, await answer_days_for(db, petition))
    return expected if expected >= today else None


async def forward_petition(
    db: AsyncSession, petition: Petition, actor: Person, *, agency_id: int,
    now: datetime | None = None,
) -> None:
    """Send to the agency that can act; the answer is due in the commune's working days."""
    agency = await db.get(Agency, agency_id)
    if agency is None or agency.commune_id != petition.commune_id:
        raise BadMove("bad_agency")
    now = now or utcnow()
    due = add_working_days(now.astimezone(LOCAL).date(), await answer_days_for(db, petition))
    await move_petition(
        db, petition, S.FORWARDED, actor, now=now,
        changes={"agency_id": agency_id, "forwarded_at": now, "due_on": due,
                 "competence": petition.competence or agency.competence},
    )


async def answer_petition(
    db: AsyncSession, petition: Petition, actor: Person, *, text: str,
    file_ref: str | None = None, now: datetime | None = None,
) -> None:
    text = text.strip()
    if not text:
        raise BadMove("empty_answer")
    now = now or utcnow()
    await move_petition(
        db, petition, S.ANSWERED, actor, now=now,
        changes={"answer": text, "answer_file": file_ref, "answered_at": now},
    )


async def merge_petitions(
    db: AsyncSession, keep: Petition, duplicate: Petition, actor: Person
) -> None:
    """Fold a duplicate into the petition that goes on; its petitioner will get the answer."""
    if keep.id == duplicate.id or keep.commune_id != duplicate.commune_id:
        raise BadMove("bad_merge")
    if Status(keep.status) not in OPEN:
        raise BadMove("merge_into_closed")
    await move_petition(db, duplicate, S.MERGED, actor, changes={"merged_into_id": keep.id})
    # Petitions merged earlier into the duplicate follow it.
    await db.execute(
        update(Petition).where(Petition.merged_into_id == duplicate.id).values(
            merged_into_id=keep.id
        )
    )


SETTLED_OWN = "petition.settled_own"
REOPENED_OWN = "petition.reopened_own"


async def respond_to_answer(
    db: AsyncSession, petition: Petition, person: Person, *, settles: bool,
    reason: str | None = None, now: datetime | None = None,
) -> bool:
    """A petitioner says whether the answer settles it. Returns whether the petition moved.

    Alone with the petition, their word closes or reopens it (through `move_petition`). In a
    merged group it is their own say: written to the audit log for this answer (the petition's
    version), and a "not settled" goes to the office with the reason; the group's status is the
    office's to change.
    """
    to = S.CLOSED if settles else S.REOPENED
    group = await group_petitioners(db, petition)
    if group == [person.id] and petition.person_id == person.id:
        await move_petition(db, petition, to, person, reason=reason, now=now)
        return True
    if person.id not in group or person.forgotten_at is not None:
        raise NotYours(f"{person.id} did not ask petition {petition.id}")
    # The same moves a lone petitioner may make, with the same reasons, said for oneself.
    move = (Status(petition.status), to)
    if move not in PETITIONER_MOVES:
        raise BadMove("not_allowed")
    reason = (reason or "").strip() or None
    if move in NEEDS_REASON and reason is None:
        raise BadMove("needs_reason")
    record_action(
        db, action=SETTLED_OWN if settles else REOPENED_OWN, subject_type="petition",
        subject_id=petition.id, actor_id=person.id, after={"version": petition.version},
        reason=reason,
    )
    if not settles:
        params = {"id": petition.id, "code": petition.code, "reason": reason}
        for person_id in await office_staff(db, petition.commune_id):
            await notify_person(
                db, person_id, "petition_not_settled", params,
                dedupe_key=f"petition-not-settled:{petition.id}:v{petition.version}:"
                           f"{person.id}:{person_id}",
            )
    return False


async def own_response(db: AsyncSession, petition: Petition, person: Person) -> str | None:
    """What this petitioner of a merged group said of the current answer: settled, reopened."""
    query = (
        select(AuditEntry.action, AuditEntry.after)
        .where(AuditEntry.subject_type == "petition", AuditEntry.subject_id == petition.id,
               AuditEntry.actor_id == person.id,
               AuditEntry.action.in_((SETTLED_OWN, REOPENED_OWN)))
        .order_by(desc(AuditEntry.id))
        .limit(1)
    )
    found = (await db.execute(query)).first()
    if found is None or (found.after or {}).get("version") != petition.version:
        return None  # nothing said, or said of an earlier answer
    return "settled" if found.action == SETTLED_OWN else "reopened"
