"""Citizens' own records: consent, hamlet, phone, what we hold about them, and forgetting it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit import record_action
from storage.dialogues.household_data import erase_household_data, household_traces
from storage.documents import drop_document_jobs
from storage.files import delete_files_about
from storage.messaging.retention import erase_messages
from storage.models import (
    AuditEntry,
    ChannelIdentity,
    Commune,
    Consent,
    Conversation,
    Dialogue,
    Field,
    Hamlet,
    Invite,
    LinkCode,
    Person,
    Petition,
    PetitionAttachment,
    ProvinceGrant,
    Registration,
    RoleGrant,
    TopicMute,
)
from storage.models.base import utcnow
from storage.people.panel_access import erase_panel_access
from storage.petitions.field_models import drop_field_models_of
from storage.petitions.petitions import anonymise_petitions

# Bump when the privacy notice text changes: consent is given to one version of it.
NOTICE_VERSION = "2026-11"
PERSONAL_DATA = "personal_data"


async def person_of(db: AsyncSession, identity: ChannelIdentity) -> Person | None:
    if identity.person_id is None:
        return None
    return await db.get(Person, identity.person_id)


async def get_person(db: AsyncSession, person_id: int) -> Person | None:
    return await db.get(Person, person_id)


async def has_consent(db: AsyncSession, person_id: int, purpose: str = PERSONAL_DATA) -> bool:
    params = {"person_id": person_id, "purpose": purpose}
    return (await db.execute(_HAS_CONSENT, params)).first() is not None


_HAS_CONSENT = select(Consent.id).where(
    Consent.person_id == bindparam("person_id"),
    Consent.purpose == bindparam("purpose"),
    Consent.withdrawn_at.is_(None),
).limit(1)


async def give_consent(db: AsyncSession, identity: ChannelIdentity) -> Person:
    """Record explicit consent to the current notice; the person record starts here."""
    person = await person_of(db, identity)
    if person is None:
        person = Person(created_at=utcnow())
        db.add(person)
        await db.flush()
        identity.person_id = person.id
    if not await has_consent(db, person.id):
        db.add(
            Consent(
                person_id=person.id,
                purpose=PERSONAL_DATA,
                notice_version=NOTICE_VERSION,
                channel=identity.channel,
                given_at=utcnow(),
            )
        )
        record_action(
            db,
            action="consent.given",
            subject_type="person",
            subject_id=person.id,
            actor_id=person.id,
            after={"notice_version": NOTICE_VERSION, "channel": identity.channel},
        )
    return person


async def set_hamlet(db: AsyncSession, person: Person, hamlet: Hamlet) -> None:
    person.hamlet_id = hamlet.id


NAME_LENGTH = (2, 100)


def clean_name(typed: str) -> str | None:
    """A full name as typed, tidied; None when it cannot be one (too short, mostly not letters)."""
    name = " ".join(typed.split())
    if not NAME_LENGTH[0] <= len(name) <= NAME_LENGTH[1] or name.startswith("/"):
        return None
    letters = sum(ch.isalpha() for ch in name)
    return name if letters >= 2 and letters * 2 >= len(name.replace(" ", "")) else None


async def set_full_name(db: AsyncSession, person: Person, name: str) -> None:
    person.full_name = name


async def set_verified_phone(db: AsyncSession, person: Person, phone: str) -> None:
    """A phone the platform vouched for (Telegram's own-contact button)."""
    person.phone = phone
    person.phone_verified = True


async def set_locale(db: AsyncSession, identity: ChannelIdentity, locale: str) -> None:
    identity.locale = locale


async def mark_reachable(db: AsyncSession, identity: ChannelIdentity) -> None:
    """They wrote to us, so they unblocked the bot."""
    if identity.unreachable_at is not None:
        identity.unreachable_at = None


@dataclass(frozen=True)
class PetitionSummary:
    code: str
    status: str
    created_at: datetime
    attachments: int


@dataclass(frozen=True)
class RegistrationSummary:
    dialogue: str
    starts_at: datetime
    code: str
    status: str
    category: str | None
    topics: list[str]
    questions: str
    answer: str | None


@dataclass(frozen=True)
class PersonData:
    """Everything cutri holds about one person, summed up for /mydata."""

    full_name: str | None
    phone: str | None
    phone_verified: bool
    hamlet: str | None
    commune: str | None
    channels: list[str]
    roles: list[str]
    consents: list[tuple[str, str, datetime, datetime | None]] = field(default_factory=list)
    petitions: list[PetitionSummary] = field(default_factory=list)
    registrations: list[RegistrationSummary] = field(default_factory=list)
    muted_topics: list[str] = field(default_factory=list)


async def describe_person(db: AsyncSession, person: Person) -> PersonData:
    hamlet_name = commune_name = None
    if person.hamlet_id is not None:
        row = (await db.execute(_HAMLET, {"hamlet_id": person.hamlet_id})).first()
        if row is not None:
            hamlet_name, commune_name = row
    held = {"person_id": person.id}
    channels = list((await db.execute(_CHANNELS, held)).scalars())
    roles = list((await db.execute(_ROLES, held)).scalars())
    consents = [
        (c.purpose, c.notice_version, c.given_at, c.withdrawn_at)
        for c in (await db.execute(_CONSENTS, held)).scalars()
    ]
    petitions = [
        PetitionSummary(code, status, created_at, count)
        for code, status, created_at, count in (await db.execute(_PETITIONS, held)).tuples()
    ]
    registrations = [
        RegistrationSummary(
            title, starts_at, r.code, r.status, r.category, list(r.topics), r.questions,
            r.answer,
        )
        for r, title, starts_at in (await db.execute(_REGISTRATIONS, held)).tuples()
    ]
    muted = list((await db.execute(_MUTED, held)).scalars())
    return PersonData(
        full_name=person.full_name,
        phone=person.phone,
        phone_verified=person.phone_verified,
        hamlet=hamlet_name,
        commune=commune_name,
        channels=channels,
        roles=roles,
        consents=consents,
        petitions=petitions,
        registrations=registrations,
        muted_topics=muted,
    )


# `describe_person`'s questions, built once (building them cost more than running them).
_PERSON_ID: BindParameter[int] = bindparam("person_id")
_HAMLET = (select(Hamlet.name, Commune.name).join(Commune, Commune.id == Hamlet.commune_id)
           .where(Hamlet.id == bindparam("hamlet_id")))
_CHANNELS = (select(ChannelIdentity.channel).where(ChannelIdentity.person_id == _PERSON_ID)
             .order_by(ChannelIdentity.channel))
_ROLES = select(RoleGrant.role).where(RoleGrant.person_id == _PERSON_ID).order_by(RoleGrant.role)
_CONSENTS = select(Consent).where(Consent.person_id == _PERSON_ID).order_by(Consent.id)
_PETITIONS = (
    select(Petition.code, Petition.status, Petition.created_at,
           select(func.count()).where(PetitionAttachment.petition_id == Petition.id)
           .scalar_subquery())
    .where(Petition.person_id == _PERSON_ID).order_by(Petition.id)
)
_REGISTRATIONS = (
    select(Registration, Dialogue.title, Dialogue.starts_at)
    .join(Dialogue, Dialogue.id == Registration.dialogue_id)
    .where(Registration.person_id == _PERSON_ID).order_by(Registration.id)
)
_MUTED = select(TopicMute.topic).where(TopicMute.person_id == _PERSON_ID).order_by(TopicMute.topic)


Record = dict[str, Any]


async def personal_records(
    db: AsyncSession, person: Person, data: PersonData | None = None
) -> dict[str, list[Record]]:
    """Every record held about the person, table by table: the /mydata export (right of
    access). Texts in full; keys are the readers' column names (`handlers` labels them).
    `data`: the summary the caller already read with `describe_person`, if any."""
    data = data or await describe_person(db, person)
    records: dict[str, list[Record]] = {
        "person": [{
            "full_name": person.full_name, "phone": person.phone,
            "phone_verified": person.phone_verified, "hamlet": data.hamlet,
            "commune": data.commune, "created_at": person.created_at,
        }],
        "accounts": [
            {"channel": i.channel, "account_id": i.external_id, "language": i.locale,
             "created_at": i.created_at}
            for i in (await db.execute(select(ChannelIdentity).where(
                ChannelIdentity.person_id == person.id).order_by(ChannelIdentity.id))).scalars()
        ],
        "consents": [
            {"purpose": purpose, "notice_version": version, "given_at": given,
             "withdrawn_at": withdrawn}
            for purpose, version, given, withdrawn in data.consents
        ],
        "roles": [{"role": role} for role in data.roles],
        "petitions": [],
        "attachments": [],
        "registrations": [],
        "muted_topics": [{"topic": topic} for topic in data.muted_topics],
        "history": [],
    }
    petitions = (await db.execute(
        select(Petition, Field.name, Hamlet.name)
        .outerjoin(Field, Field.id == Petition.field_id)
        .outerjoin(Hamlet, Hamlet.id == Petition.hamlet_id)
        .where(Petition.person_id == person.id).order_by(Petition.id))).tuples().all()
    codes = {p.id: p.code for p, _field, _hamlet in petitions}
    for p, field_name, hamlet in petitions:
        records["petitions"].append({
            "code": p.code, "created_at": p.created_at, "status": p.status,
            "field": field_name, "hamlet": hamlet, "content": p.content, "address": p.address,
            "latitude": p.latitude, "longitude": p.longitude, "show_name": p.show_name,
            "due_on": p.due_on, "answer": p.answer, "answered_at": p.answered_at,
        })
    if codes:
        for a in (await db.execute(select(PetitionAttachment).where(
                PetitionAttachment.petition_id.in_(list(codes))).order_by(
                PetitionAttachment.petition_id, PetitionAttachment.position))).scalars():
            records["attachments"].append({"code": codes[a.petition_id], "kind": a.kind,
                                           "channel": a.channel, "file": a.file_ref})
    for r in (await db.execute(select(Registration, Dialogue.title, Hamlet.name)
                               .join(Dialogue, Dialogue.id == Registration.dialogue_id)
                               .join(Hamlet, Hamlet.id == Registration.hamlet_id)
                               .where(Registration.person_id == person.id)
                               .order_by(Registration.id))).tuples():
        registration, title, hamlet = r
        records["registrations"].append({
            "dialogue": title, "code": registration.code,
            "checkin_code": registration.checkin_code, "status": registration.status,
            "hamlet": hamlet, "representative": registration.representative,
            "category": registration.category, "topics": list(registration.topics),
            "questions": registration.questions, "answer": registration.answer,
            "created_at": registration.created_at,
        })
    for entry in (await db.execute(select(AuditEntry).where(
            AuditEntry.actor_id == person.id).order_by(AuditEntry.id))).scalars():
        records["history"].append({"at": entry.at, "action": entry.action,
                                   "subject": entry.subject_type,
                                   "subject_id": entry.subject_id})
    return records


async def personal_traces(db: AsyncSession, person: Person) -> list[str]:
    """The exact strings that identify the person wherever they were copied: name, phone in
    every written form, the addresses and questions they typed."""
    traces = [person.full_name or ""]
    if person.phone:
        local = person.phone.removeprefix("0")
        traces += [person.phone, "+84" + local, "84" + local, local]
    traces += [address for address in (await db.execute(select(Petition.address).where(
        Petition.person_id == person.id, Petition.address.is_not(None)))).scalars() if address]
    traces += await household_traces(db, person.id)
    return sorted({trace for trace in traces if trace.strip()}, key=len, reverse=True)


async def forget_person(db: AsyncSession, identity: ChannelIdentity) -> None:
    """Erase personal data everywhere it was copied; what they sent stays for the record.

    The person row survives as an anonymous stub so that petitions keep a valid owner; every
    channel account is detached from it, so writing again starts afresh. Copies go too:
    messages to and about them (`storage.messaging.retention`), files made for or about them
    (`storage.files`), a held dialogue seat (to the waiting list), link codes, the invites
    they used, the field models of their communes (`storage.petitions.field_models`). The
    audit log keeps that it happened, never the data.
    """
    person = await person_of(db, identity)
    if person is not None:
        traces = await personal_traces(db, person)
        before = {"had_name": person.full_name is not None, "had_phone": person.phone is not None}
        person.full_name = None
        person.phone = None
        person.phone_verified = False
        person.hamlet_id = None
        person.forgotten_at = utcnow()
        now = utcnow()
        await db.execute(
            update(Consent)
            .where(Consent.person_id == person.id, Consent.withdrawn_at.is_(None))
            .values(withdrawn_at=now)
        )
        await anonymise_petitions(db, person.id)
        # Their commune's field model learnt from their words: retrained without them.
        models = await drop_field_models_of(db, person.id)
        cancelled = await erase_household_data(db, person.id, now=now)
        # Generated letters carry the name and address typed into them; lists and reports
        # naming them are rebuilt without them when next asked.
        files = await delete_files_about(db, person.id, traces)
        # A document they asked for and that is not built yet is never built nor sent.
        await drop_document_jobs(db, [person.id])
        await erase_panel_access(db, person.id)
        await db.execute(delete(RoleGrant).where(RoleGrant.person_id == person.id))
        await db.execute(delete(ProvinceGrant).where(ProvinceGrant.person_id == person.id))
        await db.execute(delete(TopicMute).where(TopicMute.person_id == person.id))
        await db.execute(update(Invite).where(Invite.used_by == person.id).values(used_by=None))
        # Links they handed out and nobody used stop working; none keeps their name.
        await db.execute(
            update(Invite)
            .where(Invite.created_by == person.id, Invite.used_by.is_(None),
                   Invite.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        await db.execute(
            update(Invite).where(Invite.created_by == person.id).values(created_by=None))
        identity_ids = list(
            (
                await db.execute(
                    select(ChannelIdentity.id).where(ChannelIdentity.person_id == person.id)
                )
            ).scalars()
        )
        await db.execute(delete(LinkCode).where(or_(
            LinkCode.person_id == person.id, LinkCode.claimant_identity_id.in_(identity_ids))))
        await erase_messages(db, person.id, identity_ids, traces)
        await db.execute(
            update(ChannelIdentity)
            .where(ChannelIdentity.person_id == person.id)
            .values(person_id=None, locale=None)
        )
        await db.execute(
            update(Conversation)
            .where(Conversation.identity_id.in_(identity_ids))
            .values(flow=None, step=None, data={}, offered=[])
        )
        record_action(
            db,
            action="person.forgotten",
            subject_type="person",
            subject_id=person.id,
            actor_id=person.id,
            before=before,
            # How much went, never what: the audit log keeps no personal data.
            after={"forgotten": True, "files": files, "registrations_cancelled": cancelled,
                   "field_models": models},
        )
    identity.person_id = None
    identity.locale = None
