"""Submitting petitions and reading them back: codes, drafts, a citizen's own list, history.

Moving a petition through its workflow lives in `storage.petitions.workflow`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit import record_action
from storage.db import insert_ignoring_conflicts
from storage.folding import fold
from storage.messaging.notify import notify_person
from storage.models import (
    AuditEntry,
    Delegate,
    Field,
    Hamlet,
    Meeting,
    MeetingDelegate,
    Person,
    Petition,
    PetitionAttachment,
    PetitionCounter,
)
from storage.models.base import utcnow
from storage.permissions import office_staff, require_role
from storage.petitions.duplicates import find_similar_petitions
from storage.refusals import Refused

MAX_CONTENT = 4000
MAX_ATTACHMENTS = 5
ATTACHMENT_KINDS = ("photo", "file", "voice")
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
ENTERERS = ("delegate", "office", "admin")


class BadPetition(Refused):
    """The draft breaks a rule."""


@dataclass(frozen=True)
class Attachment:
    kind: str  # photo, file, voice
    channel: str
    file_ref: str


@dataclass(frozen=True)
class PetitionDraft:
    commune_id: int
    content: str
    field_id: int | None = None
    hamlet_id: int | None = None
    show_name: bool = False
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    attachments: tuple[Attachment, ...] = ()
    # Entered by a delegate or the office for a voter met in person.
    source: str = "chat"
    source_note: str | None = None
    voter_name: str | None = None
    meeting_id: int | None = None


@dataclass(frozen=True)
class Submitted:
    petition: Petition
    attachments: list[PetitionAttachment] = field(default_factory=list)


async def _check_draft(db: AsyncSession, draft: PetitionDraft) -> None:
    content = draft.content.strip()
    if not content:
        raise BadPetition("empty")
    if len(content) > MAX_CONTENT:
        raise BadPetition("too_long")
    if len(draft.attachments) > MAX_ATTACHMENTS:
        raise BadPetition("too_many_attachments")
    if any(a.kind not in ATTACHMENT_KINDS for a in draft.attachments):
        raise BadPetition("bad_attachment")
    if draft.field_id is not None:
        found = await db.get(Field, draft.field_id)
        if found is None or found.commune_id != draft.commune_id:
            raise BadPetition("bad_field")
    if draft.hamlet_id is not None:
        hamlet = await db.get(Hamlet, draft.hamlet_id)
        if hamlet is None or hamlet.commune_id != draft.commune_id:
            raise BadPetition("bad_hamlet")


async def next_petition_code(db: AsyncSession, commune_id: int, now: datetime) -> str:
    """`KN-2026-00042`: numbered per commune and (local) year, never reused.

    The counter row is updated in place, so its row lock serialises two submissions in one
    commune; the unique (commune, code) key backs it up.
    """
    year = now.astimezone(LOCAL).year
    await db.execute(
        insert_ignoring_conflicts(db, PetitionCounter, commune_id=commune_id, year=year, last=0)
    )
    number = (
        await db.execute(
            update(PetitionCounter)
            .where(PetitionCounter.commune_id == commune_id, PetitionCounter.year == year)
            .values(last=PetitionCounter.last + 1)
            .returning(PetitionCounter.last)
        )
    ).scalar_one()
    return f"KN-{year}-{number:05d}"


async def submit_petition(
    db: AsyncSession,
    person: Person | None,
    draft: PetitionDraft,
    *,
    entered_by: Person | None = None,
    now: datetime | None = None,
) -> Submitted:
    """Record a petition with its code; the office is told. Commits with the caller's turn."""
    await _check_draft(db, draft)
    if entered_by is not None:
        # Only a delegate or the office types in what a voter said at a meeting.
        await require_role(db, entered_by, draft.commune_id, ENTERERS)
    now = now or utcnow()
    content = draft.content.strip()
    petition = Petition(
        commune_id=draft.commune_id,
        code=await next_petition_code(db, draft.commune_id, now),
        person_id=person.id if person is not None else None,
        entered_by_id=entered_by.id if entered_by is not None else None,
        source=draft.source,
        source_note=draft.source_note,
        meeting_id=draft.meeting_id,
        voter_name=draft.voter_name,
        hamlet_id=draft.hamlet_id,
        field_id=draft.field_id,
        content=content,
        content_folded=fold(content),
        address=draft.address,
        latitude=draft.latitude,
        longitude=draft.longitude,
        show_name=draft.show_name,
        status="received",
        created_at=now,
        status_at=now,
    )
    db.add(petition)
    await db.flush()
    attachments = [
        PetitionAttachment(
            petition_id=petition.id, kind=a.kind, channel=a.channel, file_ref=a.file_ref,
            position=n,
        )
        for n, a in enumerate(draft.attachments)
    ]
    db.add_all(attachments)
    actor = entered_by or person
    record_action(
        db,
        action="petition.submitted",
        subject_type="petition",
        subject_id=petition.id,
        actor_id=actor.id if actor is not None else None,
        after={"status": "received", "code": petition.code, "source": draft.source},
    )
    await notify_office(db, petition)
    if petition.source == "question" and petition.meeting_id is not None:
        await notify_meeting_delegates(db, petition)
    return Submitted(petition, attachments)


async def notify_meeting_delegates(db: AsyncSession, petition: Petition) -> None:
    """A voter's question for a meeting goes to that meeting's delegates, and only to them."""
    meeting = await db.get(Meeting, petition.meeting_id)
    if meeting is None:
        return
    query = (
        select(Delegate.person_id)
        .join(MeetingDelegate, MeetingDelegate.delegate_id == Delegate.id)
        .where(MeetingDelegate.meeting_id == meeting.id)
        .distinct()
    )
    for person_id in (await db.execute(query)).scalars():
        await notify_person(
            db, person_id, "meeting_question",
            {"id": petition.id, "code": petition.code, "text": petition.content[:1500],
             "starts_at": meeting.starts_at.isoformat(), "place": meeting.place},
            dedupe_key=f"meeting-question:{petition.id}:{person_id}",
            about=[petition.person_id],
        )


async def meeting_questions(db: AsyncSession, meeting_id: int) -> list[Petition]:
    """Voters' questions sent for a meeting, oldest first (merged ones are in their group)."""
    query = (
        select(Petition)
        .where(Petition.meeting_id == meeting_id, Petition.source == "question",
               Petition.status != "merged")
        .order_by(Petition.id)
    )
    return list((await db.execute(query)).scalars())


async def notify_office(db: AsyncSession, petition: Petition) -> None:
    """Tell the office; the notice names likely duplicates, so a merge is not left to chance."""
    similar = await find_similar_petitions(db, petition.commune_id, petition.content,
                                           exclude_id=petition.id, limit=3)
    params: dict[str, object] = {"id": petition.id, "code": petition.code}
    if similar:
        params["similar"] = [s.code for s in similar]
    for person_id in await office_staff(db, petition.commune_id):
        await notify_person(
            db,
            person_id,
            "petition_new",
            params,
            dedupe_key=f"petition-new:{petition.id}:{person_id}",
        )


async def petitions_of(db: AsyncSession, person: Person, *, limit: int = 20) -> list[Petition]:
    """A citizen's own petitions, newest first (those entered for them included)."""
    query = (
        select(Petition)
        .where(Petition.person_id == person.id)
        .order_by(Petition.id.desc())
        .limit(limit)
    )
    return list((await db.execute(query)).scalars())


async def own_petitions_numbered(
    db: AsyncSession, person: Person, number: int, year: int | None = None
) -> list[Petition]:
    """The person's own petitions whose code has this number (and year), newest first.

    A code typed from memory may lack the year; only the person's own petitions are looked
    at, so a code of someone else's petition, or of another commune's, finds nothing.
    """
    if not 0 < number <= 99999:
        return []
    pattern = f"KN-{year}-{number:05d}" if year is not None else f"KN-%-{number:05d}"
    query = (
        select(Petition)
        .where(Petition.person_id == person.id, Petition.code.like(pattern))
        .order_by(Petition.id.desc())
    )
    return list((await db.execute(query)).scalars())



@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    action: str  # "petition.answered"; "petition.settled_own" for the reader's own say
    reason: str | None


async def petition_history(db: AsyncSession, petition: Petition, reader: Person
                           ) -> list[HistoryLine]:
    """The petition's moves as one of its petitioners reads them.

    Staff reads are not moves, and what another petitioner of a merged group said (their own
    say, their reasons) is theirs: the reader sees only the group's moves and their own words.
    """
    query = (
        select(AuditEntry)
        .where(AuditEntry.subject_type == "petition", AuditEntry.subject_id == petition.id,
               AuditEntry.action.like("petition.%"))
        .order_by(AuditEntry.id)
    )
    others = set(await group_petitioners(db, petition)) - {reader.id}
    lines = []
    for entry in (await db.execute(query)).scalars():
        by_other = entry.actor_id is not None and entry.actor_id in others
        if entry.action.endswith("_own") and entry.actor_id != reader.id:
            continue
        lines.append(HistoryLine(entry.at, entry.action, None if by_other else entry.reason))
    return lines


async def group_petitioners(db: AsyncSession, petition: Petition) -> list[int]:
    """Everyone who asked this: the petitioner and those whose petitions were merged into it."""
    query = select(Petition.person_id).where(
        or_(Petition.id == petition.id, Petition.merged_into_id == petition.id),
        Petition.person_id.is_not(None),
    )
    return sorted({pid for pid in (await db.execute(query)).scalars() if pid is not None})


async def anonymise_petitions(db: AsyncSession, person_id: int) -> None:
    """After /forget: the petitions stay for the record, without what identifies the voter."""
    await db.execute(
        update(Petition)
        .where(Petition.person_id == person_id)
        .values(show_name=False, voter_name=None, address=None, latitude=None, longitude=None)
    )


async def get_own_petition(db: AsyncSession, person: Person, petition_id: int) -> Petition | None:
    """A petition the person sent, or one merged with theirs (they share its answer)."""
    petition = await db.get(Petition, petition_id)
    if petition is None or person.id not in await group_petitioners(db, petition):
        return None
    return petition


async def get_petition(db: AsyncSession, petition_id: int) -> Petition | None:
    return await db.get(Petition, petition_id)
