"""Whom the bot reaches: who petitions and who attends, by hamlet, household category, channel.

Counts only, never who. The household category is sensitive (self-declared, encrypted at
rest): its counts are for the commune office alone, which is who the panel serves. A hamlet's
households are the commune's own figure where it gave one; without it there is no ratio.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialogues.dialogues import dialogue_choices
from storage.models import (
    ChannelIdentity,
    ContactRound,
    CouncilSession,
    Dialogue,
    ElectoralUnit,
    Hamlet,
    Meeting,
    Person,
    Petition,
    Registration,
)
from storage.petitions.report import local_day_bounds

# A person with accounts on two channels is "several"; a petition typed in by staff or a
# delegate for a voter met in person has no account behind it.
SEVERAL, IN_PERSON = "several", "in_person"
CHANNELS = ("telegram", "zalo", "local", SEVERAL, IN_PERSON)
SIGNED_UP = ("registered", "waiting", "offered", "attended")


@dataclass(frozen=True)
class HamletReach:
    hamlet_id: int | None  # None: petitions with no hamlet
    name: str | None
    households: int | None  # as the commune gave it, or None
    residents: int  # people living there who use the bot
    petitioners: int  # different people who sent petitions in the period
    petitions: int  # in the period, typed in for voters met in person included
    registered: int  # households signed up for a dialogue held in the period
    attended: int  # ... and checked in at its door

    @property
    def reach(self) -> float | None:
        """People in the bot per household, where the household figure is known."""
        return self.residents / self.households if self.households else None


@dataclass(frozen=True)
class ChannelReach:
    channel: str
    residents: int
    petitions: int
    registered: int
    attended: int


@dataclass(frozen=True)
class CategoryReach:
    code: str
    name: str | None  # the commune's own name; None for a built-in code
    registered: int
    attended: int


@dataclass(frozen=True)
class UnitVoters:
    unit: str
    meetings_held: int
    voters_present: int


@dataclass(frozen=True)
class Reach:
    hamlets: list[HamletReach]
    channels: list[ChannelReach]
    categories: list[CategoryReach]
    units: list[UnitVoters]

    @property
    def households_known(self) -> bool:
        return any(h.households for h in self.hamlets)


async def _channels_of(db: AsyncSession, person_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(person_ids))
    found: dict[int, set[str]] = defaultdict(set)
    for start in range(0, len(ids), 1000):
        for person_id, channel in (await db.execute(
            select(ChannelIdentity.person_id, ChannelIdentity.channel)
            .where(ChannelIdentity.person_id.in_(ids[start:start + 1000])))).tuples():
            if person_id is not None:
                found[person_id].add(channel)
    return {person_id: (next(iter(channels)) if len(channels) == 1 else SEVERAL)
            for person_id, channels in found.items()}


async def commune_reach(db: AsyncSession, commune_id: int, first: date, last: date) -> Reach:
    """The commune's reach: people in the bot now; petitions received and dialogues held
    from `first` to `last` (local days, inclusive)."""
    start, end = local_day_bounds(first, last)
    hamlets = list((await db.execute(
        select(Hamlet).where(Hamlet.commune_id == commune_id)
        .order_by(Hamlet.position, Hamlet.id))).scalars())
    hamlet_ids = [h.id for h in hamlets]
    residents = list((await db.execute(
        select(Person.id, Person.hamlet_id).where(
            Person.hamlet_id.in_(hamlet_ids), Person.forgotten_at.is_(None)))).tuples())
    petitions = list((await db.execute(
        select(Petition.person_id, Petition.hamlet_id).where(
            Petition.commune_id == commune_id, Petition.created_at >= start,
            Petition.created_at < end, Petition.status != "merged"))).tuples())
    registrations = list((await db.execute(
        select(Registration.person_id, Registration.hamlet_id, Registration.status,
               Registration.category)
        .join(Dialogue, Dialogue.id == Registration.dialogue_id)
        .where(Dialogue.commune_id == commune_id, Dialogue.starts_at >= start,
               Dialogue.starts_at < end, Registration.status.in_(SIGNED_UP)))).tuples())
    channel_of = await _channels_of(db, [p for p, _ in residents]
                                    + [p for p, _ in petitions if p is not None]
                                    + [p for p, *_ in registrations if p is not None])

    def channel(person_id: int | None) -> str:
        return channel_of.get(person_id, IN_PERSON) if person_id is not None else IN_PERSON

    living = Counter(h for _, h in residents)
    sent = Counter(h for _, h in petitions)
    senders: dict[int | None, set[int]] = defaultdict(set)
    for person_id, hamlet_id in petitions:
        if person_id is not None:
            senders[hamlet_id].add(person_id)
    signed = Counter(h for _, h, _, _ in registrations)
    came = Counter(h for _, h, status, _ in registrations if status == "attended")
    rows = [HamletReach(h.id, h.name, h.households, living[h.id], len(senders[h.id]),
                        sent[h.id], signed[h.id], came[h.id]) for h in hamlets]
    if sent[None]:
        rows.append(HamletReach(None, None, None, 0, len(senders[None]), sent[None], 0, 0))

    by_channel = {name: Counter[str]() for name in CHANNELS}
    for person_id, _ in residents:
        by_channel[channel(person_id)]["residents"] += 1
    for person_id, _ in petitions:
        by_channel[channel(person_id)]["petitions"] += 1
    for person_id, _, status, _ in registrations:
        by_channel[channel(person_id)]["registered"] += 1
        by_channel[channel(person_id)]["attended"] += status == "attended"
    channels = [ChannelReach(name, c["residents"], c["petitions"], c["registered"],
                             c["attended"]) for name, c in by_channel.items()]

    offered, _topics = await dialogue_choices(db, commune_id)
    names = dict(offered)
    per_category: dict[str, Counter[str]] = {code: Counter() for code, _ in offered}
    for _, _, status, category in registrations:
        counted = per_category.setdefault(category or "", Counter())
        counted["registered"] += 1
        counted["attended"] += status == "attended"
    categories = [CategoryReach(code, names.get(code), c["registered"], c["attended"])
                  for code, c in per_category.items()]

    held = (
        select(ElectoralUnit.name, func.count(Meeting.id),
               func.coalesce(func.sum(Meeting.voters_present), 0))
        .join(Meeting, Meeting.electoral_unit_id == ElectoralUnit.id)
        .join(ContactRound, ContactRound.id == Meeting.round_id)
        .join(CouncilSession, CouncilSession.id == ContactRound.session_id)
        .where(CouncilSession.commune_id == commune_id, Meeting.status == "held",
               Meeting.starts_at >= start, Meeting.starts_at < end)
        .group_by(ElectoralUnit.number, ElectoralUnit.name)
        .order_by(ElectoralUnit.number)
    )
    units = [UnitVoters(name, int(count), int(voters))
             for name, count, voters in (await db.execute(held)).tuples()]
    return Reach(rows, channels, categories, units)

