"""Office broadcasts: who they reach, queueing them, progress, cancelling.

A broadcast becomes one outbox row per person (on one of their channels), each with a
dedupe key, so it is never queued twice for anyone. It reaches only people who consented and
have not blocked the bot; routine ones skip people who muted the topic and wait out quiet
hours, urgent ones (a flood warning) do neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit import record_action
from storage.messaging.notify import reachable_identity
from storage.messaging.outbox import ROUTINE, URGENT, enqueue_message
from storage.messaging.quiet_hours import QuietHours
from storage.models import (
    Broadcast,
    ChannelIdentity,
    Commune,
    Consent,
    Dialogue,
    Hamlet,
    OutboxMessage,
    Person,
    Registration,
    RoleGrant,
    TopicMute,
)
from storage.models.base import utcnow
from storage.people.people import PERSONAL_DATA
from storage.permissions import BROADCASTERS, STAFF_ROLES, require_role
from storage.refusals import Refused

TOPICS = ("general", "voter_contact", "dialogue", "agriculture", "health_education", "security")
AUDIENCE_KINDS = ("commune", "hamlets", "delegates", "dialogue")
# Households of a dialogue who hold or are offered a seat (not the waiting list).
DIALOGUE_AUDIENCE = ("registered", "attended", "offered")
MAX_TEXT = 3000
# How far ahead an announcement may be scheduled: past that, it is a plan, not a notice.
LATEST_SCHEDULE = timedelta(days=60)


class BadBroadcast(Refused):
    """The broadcast cannot be sent as asked. `reason`: no_text, too_long, bad_topic,
    bad_audience, no_hamlet, bad_dialogue, too_late, unknown."""


def may_schedule(send_at: datetime, now: datetime) -> bool:
    """A chosen sending time is in the future and within `LATEST_SCHEDULE`."""
    return now < send_at <= now + LATEST_SCHEDULE


def audience_people(commune_id: int, audience: dict[str, Any]) -> Select[tuple[int]]:
    """Ids of the people an audience names, before consent and mutes are applied.

    The whole commune is its residents and the people who work for it there: delegates,
    office staff, agency officers and admins often joined by invite and gave no hamlet.
    A province admin is not counted: a hundred communes' notices would drown them.
    """
    kind = audience.get("kind")
    if kind == "commune":
        residents = select(Hamlet.id).where(Hamlet.commune_id == commune_id)
        staff = select(RoleGrant.person_id).where(
            RoleGrant.commune_id == commune_id, RoleGrant.role.in_(STAFF_ROLES)
        )
        return select(Person.id).where(
            or_(Person.hamlet_id.in_(residents), Person.id.in_(staff))
        )
    if kind == "hamlets":
        hamlet_ids = [int(h) for h in audience.get("hamlet_ids", [])]
        if not hamlet_ids:
            raise BadBroadcast("no_hamlet")
        return select(Person.id).join(Hamlet, Hamlet.id == Person.hamlet_id).where(
            Hamlet.commune_id == commune_id, Hamlet.id.in_(hamlet_ids)
        )
    if kind == "delegates":
        return select(RoleGrant.person_id).where(
            RoleGrant.commune_id == commune_id, RoleGrant.role == "delegate"
        )
    if kind == "dialogue":
        # person_id is nullable (SET NULL); the IN (...) it feeds ignores NULLs.
        return cast(Select[tuple[int]], (
            select(Registration.person_id)
            .join(Dialogue, Dialogue.id == Registration.dialogue_id)
            .where(Dialogue.commune_id == commune_id,
                   Dialogue.id == int(audience.get("dialogue_id", 0)),
                   Registration.status.in_(DIALOGUE_AUDIENCE))
        ))
    raise BadBroadcast("bad_audience")


def audience_recipients(
    commune_id: int, audience: dict[str, Any], topic: str, urgent: bool
) -> Select[tuple[int, int, str | None]]:
    """(person, identity, locale): one reachable channel account per consenting person."""
    consenting = select(Consent.person_id).where(
        Consent.purpose == PERSONAL_DATA, Consent.withdrawn_at.is_(None)
    )
    first_identity = (
        select(func.min(ChannelIdentity.id))
        .where(ChannelIdentity.unreachable_at.is_(None))
        .group_by(ChannelIdentity.person_id)
    )
    query = (
        select(ChannelIdentity.person_id, ChannelIdentity.id, ChannelIdentity.locale)
        .where(
            ChannelIdentity.id.in_(first_identity),
            ChannelIdentity.person_id.in_(audience_people(commune_id, audience)),
            ChannelIdentity.person_id.in_(consenting),
        )
        .order_by(ChannelIdentity.id)
    )
    if not urgent:
        muted = select(TopicMute.person_id).where(TopicMute.topic == topic)
        query = query.where(ChannelIdentity.person_id.not_in(muted))
    return query  # type: ignore[return-value]


async def count_audience(
    db: AsyncSession, commune_id: int, audience: dict[str, Any], topic: str, urgent: bool
) -> int:
    query = audience_recipients(commune_id, audience, topic, urgent)
    return (await db.execute(select(func.count()).select_from(query.subquery()))).scalar_one()


@dataclass(frozen=True)
class BroadcastDraft:
    commune_id: int
    text: str
    audience: dict[str, Any]
    topic: str = "general"
    urgent: bool = False
    send_at: datetime | None = None
    # A photo sent with the text: (stored file token, file name); see storage.files.
    photo: tuple[str, str] | None = None


async def check_broadcast(db: AsyncSession, draft: BroadcastDraft, now: datetime) -> None:
    """Every rule a draft must meet to be queued, the author's role aside: what the chat and
    the panel check before showing a preview, and `queue_broadcast` again before queueing."""
    text = draft.text.strip()
    if not text:
        raise BadBroadcast("no_text")
    if len(text) > MAX_TEXT:
        raise BadBroadcast("too_long")
    if draft.topic not in TOPICS:
        raise BadBroadcast("bad_topic")
    audience_people(draft.commune_id, draft.audience)  # an unknown kind, no hamlet chosen
    if draft.audience.get("kind") == "dialogue":
        dialogue = await db.get(Dialogue, int(draft.audience.get("dialogue_id") or 0))
        if dialogue is None or dialogue.commune_id != draft.commune_id:
            raise BadBroadcast("bad_dialogue")
    if draft.send_at is not None and draft.send_at > now + LATEST_SCHEDULE:
        raise BadBroadcast("too_late")


async def queue_broadcast(
    db: AsyncSession, author: Person | None, draft: BroadcastDraft, quiet: QuietHours
) -> Broadcast:
    """Check the author may, then queue one message per recipient; returns the broadcast."""
    await require_role(db, author, draft.commune_id, BROADCASTERS)
    now = utcnow()
    await check_broadcast(db, draft, now)
    text = draft.text.strip()
    send_at = max(draft.send_at or now, now)
    if not draft.urgent:
        send_at = quiet.next_allowed(send_at)
    commune = await db.get(Commune, draft.commune_id)
    assert commune is not None and author is not None
    broadcast = Broadcast(
        commune_id=draft.commune_id,
        author_id=author.id,
        text=text,
        topic=draft.topic,
        urgent=draft.urgent,
        audience=draft.audience,
        status="queued",
        send_at=send_at,
        created_at=now,
    )
    db.add(broadcast)
    await db.flush()
    rows = (
        await db.execute(audience_recipients(draft.commune_id, draft.audience, draft.topic,
                                             draft.urgent))
    ).all()
    priority = URGENT if draft.urgent else ROUTINE
    values = [
        {
            "identity_id": identity_id,
            "channel": "",
            "chat_id": "",
            "payload": {
                "notice": "broadcast",
                "params": {"text": text, "commune": commune.name, "urgent": draft.urgent,
                           **({"photo": list(draft.photo)} if draft.photo else {})},
                "locale": locale,
            },
            "dedupe_key": f"broadcast:{broadcast.id}:{person_id}",
            "priority": priority,
            "status": "pending",
            "attempts": 0,
            "not_before": send_at,
            "created_at": now,
            "broadcast_id": broadcast.id,
        }
        for person_id, identity_id, locale in rows
    ]
    await _insert_rows(db, values)
    broadcast.recipients = len(values)
    record_action(
        db,
        action="broadcast.queued",
        subject_type="broadcast",
        subject_id=broadcast.id,
        actor_id=author.id,
        after={"audience": draft.audience, "topic": draft.topic, "urgent": draft.urgent,
               "recipients": len(values), "send_at": send_at.isoformat()},
    )
    return broadcast


async def _insert_rows(db: AsyncSession, values: list[dict[str, Any]]) -> None:
    if not values:
        return
    identities = {
        row.id: row
        for row in (
            await db.execute(
                select(ChannelIdentity).where(
                    ChannelIdentity.id.in_({v["identity_id"] for v in values})
                )
            )
        ).scalars()
    }
    for value in values:
        identity = identities[value["identity_id"]]
        value["channel"] = identity.channel
        value["chat_id"] = identity.external_id
    for start in range(0, len(values), 2000):
        await db.execute(insert(OutboxMessage), values[start : start + 2000])


@dataclass(frozen=True)
class Progress:
    broadcast: Broadcast
    counts: dict[str, int]
    # Why messages failed for good, most frequent first: what staff need to act on.
    errors: list[tuple[str, int]]

    @property
    def delivered(self) -> int:
        return self.counts.get("sent", 0)

    @property
    def waiting(self) -> int:
        return self.counts.get("pending", 0) + self.counts.get("sending", 0)

    @property
    def failed(self) -> int:
        return self.counts.get("dead", 0)

    @property
    def unreachable(self) -> int:
        return self.counts.get("failed", 0)

    @property
    def cancelled(self) -> int:
        return self.counts.get("cancelled", 0)

    @property
    def stoppable(self) -> bool:
        """Messages still wait, and nobody stopped it yet."""
        return bool(self.waiting) and self.broadcast.status != "cancelled"


async def broadcast_progress(db: AsyncSession, broadcast_id: int) -> Progress | None:
    broadcast = await db.get(Broadcast, broadcast_id)
    if broadcast is None:
        return None
    query = (
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.broadcast_id == broadcast_id)
        .group_by(OutboxMessage.status)
    )
    counts = {status: count for status, count in (await db.execute(query)).all()}
    errors_query = (
        select(OutboxMessage.last_error, func.count())
        .where(OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.status == "dead")
        .group_by(OutboxMessage.last_error)
        .order_by(func.count().desc())
        .limit(3)
    )
    errors = [(str(error), count) for error, count in (await db.execute(errors_query)).all()]
    return Progress(broadcast, counts, errors)


async def list_broadcasts(db: AsyncSession, commune_id: int, limit: int = 5) -> list[Broadcast]:
    query = (
        select(Broadcast)
        .where(Broadcast.commune_id == commune_id)
        .order_by(Broadcast.id.desc())
        .limit(limit)
    )
    return list((await db.execute(query)).scalars())


async def cancel_broadcast(db: AsyncSession, actor: Person | None, broadcast_id: int) -> int:
    """Stop what has not left yet; returns how many messages were withheld."""
    broadcast = await db.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise BadBroadcast("unknown")
    await require_role(db, actor, broadcast.commune_id, BROADCASTERS)
    result = await db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.status == "pending")
        .values(status="cancelled")
    )
    withheld = int(result.rowcount or 0)  # type: ignore[attr-defined]
    broadcast.status = "cancelled"
    broadcast.cancelled_at = utcnow()
    record_action(
        db,
        action="broadcast.cancelled",
        subject_type="broadcast",
        subject_id=broadcast_id,
        actor_id=actor.id if actor else None,
        after={"withheld": withheld},
    )
    return withheld


async def mute_topic(db: AsyncSession, person: Person, topic: str, muted: bool) -> None:
    if topic not in TOPICS:
        raise BadBroadcast("bad_topic")
    existing = (
        await db.execute(
            select(TopicMute).where(TopicMute.person_id == person.id, TopicMute.topic == topic)
        )
    ).scalar_one_or_none()
    if muted and existing is None:
        db.add(TopicMute(person_id=person.id, topic=topic))
    elif not muted and existing is not None:
        await db.delete(existing)


async def muted_topics(db: AsyncSession, person: Person) -> set[str]:
    query = select(TopicMute.topic).where(TopicMute.person_id == person.id)
    return set((await db.execute(query)).scalars())


async def finish_broadcasts(db: AsyncSession) -> list[int]:
    """Close broadcasts with nothing left to send and tell each author how it went.

    Rows are locked with SKIP LOCKED so two replicas never report one broadcast twice.
    """
    unfinished = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.broadcast_id == Broadcast.id,
            OutboxMessage.status.in_(("pending", "sending")),
        )
        .exists()
    )
    query = (
        select(Broadcast)
        .where(Broadcast.status == "queued", ~unfinished)
        .with_for_update(skip_locked=True)
    )
    finished = []
    for broadcast in (await db.execute(query)).scalars():
        broadcast.status = "done"
        finished.append(broadcast.id)
        progress = await broadcast_progress(db, broadcast.id)
        author = await reachable_identity(db, broadcast.author_id)
        if progress is None or author is None:
            continue
        enqueue_message(
            db,
            author,
            {
                "notice": "broadcast_report",
                "params": {"id": broadcast.id, "total": broadcast.recipients,
                           "delivered": progress.delivered, "failed": progress.failed,
                           "unreachable": progress.unreachable,
                           "cancelled": progress.cancelled},
                "locale": author.locale,
            },
            dedupe_key=f"broadcast-report:{broadcast.id}",
        )
    return finished
