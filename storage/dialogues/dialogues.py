"""Dialogue registrations: hamlet seats, waiting lists and offers, under the quota row's lock.

A seat is taken only while its hamlet's quota row is locked, so two households never take the
last seat together, and the (dialogue, household) key means one household registers once. A
freed seat is offered to the next waiting household of the same hamlet, who has the dialogue's
`offer_hours` to accept before it passes on; after the release time, seats a hamlet did not
fill go to any waiting household, in the order they asked.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit import record_action, record_read
from storage.calendar import event_ics
from storage.messaging.notify import notify_person
from storage.models import (
    Consent,
    Dialogue,
    DialogueOption,
    Hamlet,
    HamletQuota,
    Person,
    Registration,
)
from storage.models.base import utcnow
from storage.permissions import OFFICE_ROLES, office_staff, require_role
from storage.refusals import Refused
from storage.voter_contact.reminders import plan_dialogue_reminders

CATEGORIES = ("poor", "near_poor", "newly_non_poor", "other")
# Seed 003's topics: the default list of a new dialogue.
TOPICS = ("poor_list_review", "benefits", "vocational_training", "job_loans",
          "labour_export", "other")
# Who a new dialogue invites unless the office says otherwise.
DEFAULT_CATEGORIES = ("poor", "near_poor", "newly_non_poor")
ACTIVE = ("registered", "waiting", "offered")
FILL_ALERTS = (80, 100)


class RegistrationRefused(Refused):
    """The registration or a seat move breaks a rule (closed, already registered...)."""


class CodeAlreadyUsed(RegistrationRefused):
    """The check-in code was shown at the door before: one code lets one household in once."""

    def __init__(self, used_at: datetime) -> None:
        super().__init__("already_used")
        self.used_at = used_at


SEATED = ("registered", "attended")


def door_code(registration: Registration) -> str | None:
    """The check-in code to show at the door, or None while the household has no seat.

    A waiting or offered household is never shown a code: it would not open the door, and
    showing it would promise a seat the household does not have.
    """
    return registration.checkin_code if registration.status in SEATED else None


@dataclass(frozen=True)
class RegistrationForm:
    hamlet_id: int
    representative: str
    category: str
    topics: tuple[str, ...]
    questions: str = ""


@dataclass(frozen=True)
class Registered:
    registration: Registration


@dataclass(frozen=True)
class Waitlisted:
    registration: Registration
    ahead: int  # households of the same hamlet waiting before this one


def released(dialogue: Dialogue, now: datetime) -> bool:
    return dialogue.release_at is not None and now >= dialogue.release_at


async def lock_quota(db: AsyncSession, dialogue_id: int, hamlet_id: int) -> HamletQuota | None:
    query = (
        select(HamletQuota)
        .where(HamletQuota.dialogue_id == dialogue_id, HamletQuota.hamlet_id == hamlet_id)
        .with_for_update()
    )
    return (await db.execute(query)).scalar_one_or_none()


async def _free_quota_anywhere(db: AsyncSession, dialogue_id: int) -> HamletQuota | None:
    """After the release: any hamlet's unfilled seat (rows skipped if another holds them)."""
    query = (
        select(HamletQuota)
        .where(HamletQuota.dialogue_id == dialogue_id, HamletQuota.taken < HamletQuota.seats)
        .order_by(HamletQuota.hamlet_id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return (await db.execute(query)).scalar_one_or_none()


async def _check_form(db: AsyncSession, dialogue: Dialogue, form: RegistrationForm,
                      now: datetime) -> None:
    if dialogue.status != "open":
        raise RegistrationRefused("closed")
    if now > dialogue.registration_until:
        raise RegistrationRefused("past_deadline")
    if form.category not in dialogue.categories:
        raise RegistrationRefused("not_invited")
    if not form.topics or any(topic not in dialogue.topics for topic in form.topics):
        raise RegistrationRefused("bad_topic")
    hamlet = await db.get(Hamlet, form.hamlet_id)
    if hamlet is None or hamlet.commune_id != dialogue.commune_id:
        raise RegistrationRefused("bad_hamlet")
    if not form.representative.strip():
        raise RegistrationRefused("no_name")


def _checkin_code() -> str:
    """Six digits shown at the door; unique per dialogue (a clash is retried)."""
    return f"{secrets.randbelow(1_000_000):06d}"


async def _insert(db: AsyncSession, registration: Registration, person: Person) -> None:
    """Add a new registration under a savepoint: a clash on the household means it is already
    registered (another request won the race); a clash on a random code is tried again."""
    for _attempt in range(5):
        registration.checkin_code = _checkin_code()
        registration.code = "new-" + secrets.token_hex(5)
        try:
            async with db.begin_nested():
                db.add(registration)
            break
        except IntegrityError:
            taken = (await db.execute(select(Registration.id).where(
                Registration.dialogue_id == registration.dialogue_id,
                Registration.person_id == person.id))).scalar_one_or_none()
            if taken is not None:
                raise RegistrationRefused("already") from None
    else:
        raise RegistrationRefused("busy")
    # The number people read: by the row's id, which no other registration can share.
    registration.code = f"DT{registration.dialogue_id}-{registration.id:05d}"


async def register_household(
    db: AsyncSession, dialogue: Dialogue, person: Person, form: RegistrationForm, *,
    now: datetime | None = None,
) -> Registered | Waitlisted:
    """Take a seat in the household's hamlet quota, or a place on its waiting list."""
    now = now or utcnow()
    await _check_form(db, dialogue, form, now)
    quota = await lock_quota(db, dialogue.id, form.hamlet_id)
    if quota is None:
        raise RegistrationRefused("bad_hamlet")
    existing = (await db.execute(select(Registration).where(
        Registration.dialogue_id == dialogue.id, Registration.person_id == person.id))
    ).scalar_one_or_none()
    if existing is not None and existing.status in (*ACTIVE, "attended"):
        raise RegistrationRefused("already")
    seat = quota if quota.taken < quota.seats else None
    if seat is None and released(dialogue, now):
        seat = await _free_quota_anywhere(db, dialogue.id)
    registration = existing or Registration(dialogue_id=dialogue.id, person_id=person.id)
    registration.hamlet_id = form.hamlet_id
    registration.representative = form.representative.strip()[:200]
    registration.category = form.category
    registration.topics = list(form.topics)
    registration.questions = form.questions.strip()
    registration.status = "registered" if seat is not None else "waiting"
    registration.seat_hamlet_id = seat.hamlet_id if seat is not None else None
    registration.offered_until = None
    registration.created_at = now
    if existing is None:
        await _insert(db, registration, person)
    await db.flush()
    if seat is not None:
        seat.taken += 1
        await _alert_fill(db, dialogue, seat)
    record_action(db, action=f"dialogue.{registration.status}", subject_type="registration",
                  subject_id=registration.id, actor_id=person.id,
                  after={"dialogue": dialogue.id, "hamlet": form.hamlet_id})
    if seat is not None:
        return Registered(registration)
    ahead = (await db.execute(select(func.count()).where(
        Registration.dialogue_id == dialogue.id, Registration.hamlet_id == form.hamlet_id,
        Registration.status == "waiting", Registration.id < registration.id))).scalar_one()
    return Waitlisted(registration, ahead)


async def _alert_fill(db: AsyncSession, dialogue: Dialogue, quota: HamletQuota) -> None:
    """The office hears when a hamlet's seats are 80% and 100% taken."""
    level = 100 * quota.taken // max(quota.seats, 1)
    for alert in FILL_ALERTS:
        if level >= alert:
            hamlet = await db.get(Hamlet, quota.hamlet_id)
            for person_id in await office_staff(db, dialogue.commune_id):
                await notify_person(db, person_id, "dialogue_fill", {
                    "dialogue": dialogue.title, "hamlet": hamlet.name if hamlet else "",
                    "taken": quota.taken, "seats": quota.seats, "level": alert},
                    dedupe_key=f"dialogue-fill:{quota.id}:{alert}:{person_id}")


async def _offer_next(db: AsyncSession, dialogue: Dialogue, quota: HamletQuota,
                      now: datetime) -> Registration | None:
    """Hold the quota's free seat for the next waiting household (quota row already locked)."""
    query = select(Registration).where(Registration.dialogue_id == dialogue.id,
                                       Registration.status == "waiting")
    if not released(dialogue, now):
        query = query.where(Registration.hamlet_id == quota.hamlet_id)
    nxt = (await db.execute(query.order_by(Registration.id).limit(1).with_for_update(
        skip_locked=True))).scalar_one_or_none()
    if nxt is None:
        return None
    nxt.status = "offered"
    nxt.seat_hamlet_id = quota.hamlet_id
    nxt.offered_until = now + timedelta(hours=dialogue.offer_hours)
    quota.taken += 1
    record_action(db, action="dialogue.offered", subject_type="registration",
                  subject_id=nxt.id, after={"until": nxt.offered_until.isoformat()})
    await notify_person(db, nxt.person_id, "dialogue_offer", {
        "registration": nxt.id, "dialogue": dialogue.title,
        "until": nxt.offered_until.isoformat()}, dedupe_key=f"dialogue-offer:{nxt.id}:"
                                                           f"{nxt.offered_until.isoformat()}")
    return nxt


async def _free_seat(db: AsyncSession, dialogue: Dialogue, hamlet_id: int,
                     now: datetime) -> None:
    quota = await lock_quota(db, dialogue.id, hamlet_id)
    if quota is None:
        return
    quota.taken = max(0, quota.taken - 1)
    await _offer_next(db, dialogue, quota, now)


async def cancel_registration(db: AsyncSession, registration: Registration, *,
                              now: datetime | None = None) -> None:
    now = now or utcnow()
    if registration.status not in ACTIVE:
        raise RegistrationRefused("not_active")
    dialogue = await db.get(Dialogue, registration.dialogue_id)
    assert dialogue is not None
    held_seat = registration.status in ("registered", "offered")
    registration.status = "cancelled"
    seat_hamlet, registration.seat_hamlet_id = registration.seat_hamlet_id, None
    record_action(db, action="dialogue.cancelled", subject_type="registration",
                  subject_id=registration.id, actor_id=registration.person_id)
    if held_seat and seat_hamlet is not None:
        await _free_seat(db, dialogue, seat_hamlet, now)


async def accept_offer(db: AsyncSession, registration: Registration, *,
                       now: datetime | None = None) -> None:
    now = now or utcnow()
    if registration.status != "offered" or registration.offered_until is None:
        raise RegistrationRefused("no_offer")
    if now > registration.offered_until:
        raise RegistrationRefused("offer_expired")
    registration.status = "registered"
    registration.offered_until = None
    record_action(db, action="dialogue.accepted", subject_type="registration",
                  subject_id=registration.id, actor_id=registration.person_id)


async def expire_offers_and_release(db: AsyncSession, *, now: datetime | None = None) -> int:
    """Offers not taken up in time pass on; after the release time, free seats go to anyone.

    Run by the scheduler every minute; returns how many offers were made.
    """
    now = now or utcnow()
    offers = 0
    late = (await db.execute(select(Registration).where(
        Registration.status == "offered", Registration.offered_until < now)
        .order_by(Registration.id).with_for_update(skip_locked=True))).scalars().all()
    for registration in late:
        dialogue = await db.get(Dialogue, registration.dialogue_id)
        assert dialogue is not None
        registration.status = "expired"
        seat_hamlet, registration.seat_hamlet_id = registration.seat_hamlet_id, None
        record_action(db, action="dialogue.offer_expired", subject_type="registration",
                      subject_id=registration.id)
        if seat_hamlet is not None:
            quota = await lock_quota(db, dialogue.id, seat_hamlet)
            if quota is not None:
                quota.taken = max(0, quota.taken - 1)
                offers += await _offer_next(db, dialogue, quota, now) is not None
    open_dialogues = (await db.execute(select(Dialogue).where(
        Dialogue.status == "open", Dialogue.release_at <= now,
        Dialogue.starts_at > now))).scalars().all()
    for dialogue in open_dialogues:
        while (quota := await _free_quota_anywhere(db, dialogue.id)) is not None:
            if await _offer_next(db, dialogue, quota, now) is None:
                break
            offers += 1
    return offers



async def get_own_registration(db: AsyncSession, person: Person, registration_id: int
                               ) -> Registration | None:
    registration = await db.get(Registration, registration_id)
    if registration is None or registration.person_id != person.id:
        return None
    return registration


HOUSEHOLD_CATEGORY = "household_category"  # the consent purpose for the sensitive category
CATEGORY_NOTICE_VERSION = "2026-11"


async def consent_to_category(db: AsyncSession, person: Person, channel: str) -> None:
    """Household category is sensitive data: it is asked only after its own consent."""
    given = (await db.execute(select(Consent.id).where(
        Consent.person_id == person.id, Consent.purpose == HOUSEHOLD_CATEGORY,
        Consent.withdrawn_at.is_(None)).limit(1))).first()
    if given is None:
        db.add(Consent(person_id=person.id, purpose=HOUSEHOLD_CATEGORY,
                       notice_version=CATEGORY_NOTICE_VERSION, channel=channel,
                       given_at=utcnow()))


async def open_dialogues(db: AsyncSession, commune_id: int, now: datetime) -> list[Dialogue]:
    query = (
        select(Dialogue)
        .where(Dialogue.commune_id == commune_id, Dialogue.status == "open",
               Dialogue.registration_until >= now)
        .order_by(Dialogue.starts_at)
    )
    return list((await db.execute(query)).scalars())


async def dialogue_hamlets(db: AsyncSession, dialogue_id: int) -> list[tuple[int, str]]:
    query = (
        select(Hamlet.id, Hamlet.name)
        .join(HamletQuota, HamletQuota.hamlet_id == Hamlet.id)
        .where(HamletQuota.dialogue_id == dialogue_id)
        .order_by(Hamlet.position, Hamlet.name)
    )
    return [(hid, name) for hid, name in (await db.execute(query)).tuples().all()]


async def registrations_of(db: AsyncSession, person: Person) -> list[tuple[Registration,
                                                                             Dialogue]]:
    query = (
        select(Registration, Dialogue)
        .join(Dialogue, Dialogue.id == Registration.dialogue_id)
        .where(Registration.person_id == person.id, Registration.status.in_(ACTIVE))
        .order_by(Dialogue.starts_at)
    )
    return [(r, d) for r, d in (await db.execute(query)).tuples().all()]


async def get_dialogue(db: AsyncSession, dialogue_id: int) -> Dialogue | None:
    return await db.get(Dialogue, dialogue_id)


def dialogue_calendar(dialogue: Dialogue) -> bytes:
    """An .ics event for the household's phone calendar."""
    return event_ics(uid=f"dialogue-{dialogue.id}-v{dialogue.version}@cutri",
                     starts_at=dialogue.starts_at,
                     ends_at=dialogue.starts_at + timedelta(hours=3), summary=dialogue.title,
                     location=dialogue.place)


# -- the office's side ---------------------------------------------------------------------

# (code, name): the name is None for a built-in code, which the reader's catalog names.
DialogueChoice = tuple[str, str | None]


async def dialogue_choices(
    db: AsyncSession, commune_id: int
) -> tuple[list[DialogueChoice], list[DialogueChoice]]:
    """The household categories and topics the commune's dialogues offer, in its order.

    A commune that set its own lists (the workbook's dialogue sheet) offers those; any other
    offers the built-in ones.
    """
    query = (select(DialogueOption.kind, DialogueOption.code, DialogueOption.name)
             .where(DialogueOption.commune_id == commune_id)
             .order_by(DialogueOption.position, DialogueOption.id))
    own: dict[str, list[DialogueChoice]] = {"category": [], "topic": []}
    for kind, code, name in (await db.execute(query)).tuples():
        own.setdefault(kind, []).append((code, name))
    return (own["category"] or [(code, None) for code in CATEGORIES],
            own["topic"] or [(code, None) for code in TOPICS])


@dataclass(frozen=True)
class DialogueDraft:
    commune_id: int
    title: str
    starts_at: datetime
    place: str
    quotas: dict[int, int]  # hamlet id -> seats
    organiser: str = ""
    # None: the commune's own list (its dialogue options), else the built-in one.
    categories: tuple[str, ...] | None = None
    topics: tuple[str, ...] | None = None
    registration_until: datetime | None = None
    release_hours: int | None = 48  # seats unfilled this long before go to anyone
    offer_hours: int = 24
    questions_enabled: bool = True


async def create_dialogue(db: AsyncSession, actor: Person, draft: DialogueDraft, *,
                          now: datetime | None = None) -> Dialogue:
    await require_role(db, actor, draft.commune_id, OFFICE_ROLES)
    hamlets = set((await db.execute(select(Hamlet.id).where(
        Hamlet.commune_id == draft.commune_id))).scalars())
    if not draft.quotas or not set(draft.quotas) <= hamlets or any(
            seats < 0 or seats > 10_000 for seats in draft.quotas.values()):
        raise RegistrationRefused("bad_quotas")
    if not draft.title.strip() or not draft.place.strip():
        raise RegistrationRefused("missing")
    categories, topics = await dialogue_choices(db, draft.commune_id)
    dialogue = Dialogue(
        commune_id=draft.commune_id, title=draft.title.strip()[:300],
        organiser=draft.organiser.strip()[:300], starts_at=draft.starts_at,
        place=draft.place.strip()[:300],
        topics=list(draft.topics if draft.topics is not None else [c for c, _ in topics]),
        categories=list(draft.categories if draft.categories is not None else [
            c for c, _ in categories if c in DEFAULT_CATEGORIES or c not in CATEGORIES]),
        registration_until=draft.registration_until or draft.starts_at - timedelta(days=1),
        release_at=(draft.starts_at - timedelta(hours=draft.release_hours)
                    if draft.release_hours is not None else None),
        offer_hours=draft.offer_hours, questions_enabled=draft.questions_enabled,
    )
    db.add(dialogue)
    await db.flush()
    db.add_all(HamletQuota(dialogue_id=dialogue.id, hamlet_id=hamlet_id, seats=seats)
               for hamlet_id, seats in draft.quotas.items())
    await plan_dialogue_reminders(db, dialogue, now=now)
    record_action(db, action="dialogue.created", subject_type="dialogue",
                  subject_id=dialogue.id, actor_id=actor.id,
                  after={"quotas": {str(k): v for k, v in draft.quotas.items()}})
    return dialogue


@dataclass(frozen=True)
class HamletFill:
    hamlet: str
    seats: int
    taken: int
    waiting: int


async def dialogue_fill(db: AsyncSession, actor: Person, dialogue: Dialogue) -> list[HamletFill]:
    await require_role(db, actor, dialogue.commune_id, OFFICE_ROLES)
    waiting = dict((await db.execute(
        select(Registration.hamlet_id, func.count())
        .where(Registration.dialogue_id == dialogue.id, Registration.status == "waiting")
        .group_by(Registration.hamlet_id))).tuples().all())
    rows = (await db.execute(
        select(Hamlet.id, Hamlet.name, HamletQuota.seats, HamletQuota.taken)
        .join(HamletQuota, HamletQuota.hamlet_id == Hamlet.id)
        .where(HamletQuota.dialogue_id == dialogue.id)
        .order_by(Hamlet.position, Hamlet.name))).tuples().all()
    return [HamletFill(name, seats, taken, waiting.get(hid, 0))
            for hid, name, seats, taken in rows]


async def check_in(db: AsyncSession, actor: Person, dialogue: Dialogue, checkin_code: str,
                   *, now: datetime | None = None) -> Registration:
    """Mark attendance by the code the household shows at the door.

    Refused with "unknown_code" for a code no household of this dialogue holds (or one that
    gave up its place), "no_seat" for a household still on the waiting list or only offered a
    seat, and `CodeAlreadyUsed` for a code shown before.
    """
    await require_role(db, actor, dialogue.commune_id, OFFICE_ROLES)
    registration = (await db.execute(select(Registration).where(
        Registration.dialogue_id == dialogue.id,
        Registration.checkin_code == checkin_code.strip()))).scalar_one_or_none()
    if registration is not None and registration.status in ("waiting", "offered"):
        raise RegistrationRefused("no_seat")
    if registration is None or registration.status not in SEATED:
        raise RegistrationRefused("unknown_code")
    if registration.status == "attended":
        # A second person showing the same code is not let in silently.
        raise CodeAlreadyUsed(registration.attended_at or registration.created_at)
    registration.status = "attended"
    registration.attended_at = now or utcnow()
    record_action(db, action="dialogue.attended", subject_type="registration",
                  subject_id=registration.id, actor_id=actor.id)
    return registration


async def dialogues_of_commune(db: AsyncSession, commune_id: int, now: datetime
                               ) -> list[Dialogue]:
    query = (
        select(Dialogue)
        .where(Dialogue.commune_id == commune_id, Dialogue.status == "open",
               Dialogue.starts_at >= now - timedelta(days=30))
        .order_by(Dialogue.starts_at)
    )
    return list((await db.execute(query)).scalars())


async def cancel_dialogue(db: AsyncSession, actor: Person, dialogue: Dialogue, *, reason: str,
                          now: datetime | None = None) -> None:
    """No reminder goes out for a cancelled dialogue; every household still in it is told."""
    await require_role(db, actor, dialogue.commune_id, OFFICE_ROLES)
    dialogue.status = "cancelled"
    dialogue.version += 1
    record_action(db, action="dialogue.cancelled", subject_type="dialogue",
                  subject_id=dialogue.id, actor_id=actor.id, reason=reason)
    await plan_dialogue_reminders(db, dialogue, now=now)
    people = (await db.execute(select(Registration.person_id).where(
        Registration.dialogue_id == dialogue.id, Registration.status.in_(ACTIVE)))).scalars()
    for person_id in set(people):
        await notify_person(db, person_id, "dialogue_cancelled",
                            {"title": dialogue.title, "reason": reason},
                            dedupe_key=f"dialogue-cancelled:{dialogue.id}:{person_id}")


async def move_dialogue(db: AsyncSession, actor: Person, dialogue: Dialogue, *,
                        starts_at: datetime, now: datetime | None = None) -> None:
    await require_role(db, actor, dialogue.commune_id, OFFICE_ROLES)
    dialogue.starts_at = starts_at
    dialogue.version += 1
    record_action(db, action="dialogue.moved", subject_type="dialogue", subject_id=dialogue.id,
                  actor_id=actor.id, after={"starts_at": starts_at.isoformat()})
    await plan_dialogue_reminders(db, dialogue, now=now)


async def questions_to_answer(db: AsyncSession, actor: Person, dialogue: Dialogue
                              ) -> list[Registration]:
    await require_role(db, actor, dialogue.commune_id, OFFICE_ROLES)
    query = select(Registration).where(
        Registration.dialogue_id == dialogue.id, Registration.questions != "",
        Registration.answer.is_(None), Registration.status.in_(("registered", "attended",
                                                                "waiting", "offered")),
    ).order_by(Registration.id)
    return list((await db.execute(query)).scalars())


async def questions_list(db: AsyncSession, actor: Person, dialogue: Dialogue
                         ) -> list[Registration]:
    """The households' questions as the office reads them: the read is in the audit log."""
    waiting = await questions_to_answer(db, actor, dialogue)
    record_read(db, actor_id=actor.id, subject_type="dialogue", subject_id=dialogue.id,
                what="questions")
    return waiting


async def open_questions(db: AsyncSession, actor: Person, dialogue: Dialogue,
                         registration_id: int) -> Registration | None:
    """One household's questions, to answer them; the read is in the audit log."""
    found = {r.id: r for r in await questions_to_answer(db, actor, dialogue)}.get(
        registration_id)
    if found is not None:
        record_read(db, actor_id=actor.id, subject_type="registration", subject_id=found.id,
                    what="questions")
    return found


async def answer_questions(db: AsyncSession, actor: Person, registration: Registration,
                           text: str, *, now: datetime | None = None) -> None:
    """Record the organisers' answer; it goes to the household that asked, and only to it."""
    dialogue = await db.get(Dialogue, registration.dialogue_id)
    assert dialogue is not None
    await require_role(db, actor, dialogue.commune_id, OFFICE_ROLES)
    text = text.strip()
    if not text:
        raise RegistrationRefused("empty")
    registration.answer = text
    registration.answered_at = now or utcnow()
    record_action(db, action="dialogue.answered", subject_type="registration",
                  subject_id=registration.id, actor_id=actor.id)
    await notify_person(db, registration.person_id, "dialogue_answer", {
        "title": dialogue.title, "questions": registration.questions, "answer": text},
        dedupe_key=f"dialogue-answer:{registration.id}:{registration.answered_at.isoformat()}")


@dataclass(frozen=True)
class ListRow:
    hamlet: str
    code: str
    representative: str
    category: str
    topics: list[str]
    questions: str
    status: str
    # The code that opens the door (None without a seat): staff check in a household who
    # forgot it by picking them from the list.
    door_code: str | None = None


async def hamlet_lists(db: AsyncSession, actor: Person, dialogue: Dialogue) -> list[ListRow]:
    """Everyone registered or waiting, by hamlet: for the office (it shows categories)."""
    await require_role(db, actor, dialogue.commune_id, OFFICE_ROLES)
    query = (
        select(Registration, Hamlet.name)
        .join(Hamlet, Hamlet.id == Registration.hamlet_id)
        .where(Registration.dialogue_id == dialogue.id,
               Registration.status.in_(("registered", "attended", "offered", "waiting")))
        .order_by(Hamlet.position, Hamlet.name, Registration.id)
    )
    record_read(db, actor_id=actor.id, subject_type="dialogue", subject_id=dialogue.id,
                what="hamlet_lists")
    return [ListRow(name, r.code, r.representative or "", r.category or "", list(r.topics),
                    r.questions, r.status, door_code(r))
            for r, name in (await db.execute(query)).tuples().all()]


async def release_seats_now(db: AsyncSession, actor: Person, dialogue: Dialogue, *,
                            now: datetime | None = None) -> int:
    """The office opens every hamlet's unfilled seats to any household from now on."""
    await require_role(db, actor, dialogue.commune_id, OFFICE_ROLES)
    now = now or utcnow()
    if dialogue.release_at is None or dialogue.release_at > now:
        dialogue.release_at = now
    record_action(db, action="dialogue.released", subject_type="dialogue",
                  subject_id=dialogue.id, actor_id=actor.id)
    return await expire_offers_and_release(db, now=now)
