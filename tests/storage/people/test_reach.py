"""Whom the bot reaches: people, petitions and dialogue seats counted by hamlet, category and
channel, against the households each hamlet has where the commune gave the figure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select, update

from storage.db import Database
from storage.dialogues.dialogues import (
    CATEGORIES,
    TOPICS,
    RegistrationForm,
    check_in,
    register_household,
)
from storage.models import Commune, Dialogue, Field, Hamlet, HamletQuota, Person
from storage.models.base import utcnow
from storage.people.reach import IN_PERSON, SEVERAL, commune_reach
from storage.petitions.petitions import LOCAL, PetitionDraft, submit_petition
from tests.factories import citizen, demo, staff


@dataclass(frozen=True)
class Village:
    commune_id: int
    office: Person
    first: date
    last: date


async def people_of_tan_thuan_tay(db: Database) -> Village:
    """Tân Hậu (200 households): four people in the bot on three channels, two petitioners,
    two households at a dialogue of which one came. Tân Hùng (150 households): one person.
    Tân Chủ (no figure): nobody in the bot, one petition typed in at a meeting."""
    commune_id = await demo(db)
    office = await staff(db, "office-1", hamlet_name="Ấp Tân Dân")
    hau = [await citizen(db, "t1", "Ấp Tân Hậu"), await citizen(db, "t2", "Ấp Tân Hậu"),
           await citizen(db, "z1", "Ấp Tân Hậu", channel="zalo"),
           await citizen(db, "l1", "Ấp Tân Hậu", channel="local")]
    await citizen(db, "t3", "Ấp Tân Hùng")
    now = utcnow()
    async with db.transaction() as session:
        hamlets = {h.name: h for h in (await session.execute(select(Hamlet))).scalars()}
        hamlets["Ấp Tân Hậu"].households = 200
        hamlets["Ấp Tân Hùng"].households = 150
        hamlets["Ấp Tân Chủ"].households = None  # this one's figure was not given
        hamlets["Ấp Tân Dân"].households = None
        field = (await session.execute(select(Field.id).where(Field.code == "transport"))
                 ).scalar_one()
        hau_id, chu_id = hamlets["Ấp Tân Hậu"].id, hamlets["Ấp Tân Chủ"].id
        for person, text in ((hau[0], "Đường ấp Tân Hậu lầy lội"), (hau[0], "Cầu ấp Tân Hậu yếu"),
                             (hau[2], "Nước sinh hoạt ấp Tân Hậu đục")):
            await submit_petition(session, await session.get(Person, person.id), PetitionDraft(
                commune_id=commune_id, content=text, hamlet_id=hau_id, field_id=field))
        await submit_petition(session, None, PetitionDraft(
            commune_id=commune_id, content="Đèn đường ấp Tân Chủ hỏng", hamlet_id=chu_id,
            field_id=field, source="meeting", voter_name="Cử tri ấp Tân Chủ"))
        old = await submit_petition(session, await session.get(Person, hau[1].id), PetitionDraft(
            commune_id=commune_id, content="Kiến nghị năm ngoái", hamlet_id=hau_id))
        old.petition.created_at = now - timedelta(days=400)  # before the period
        dialogue = Dialogue(
            commune_id=commune_id, title="Đối thoại chính sách giảm nghèo",
            starts_at=now - timedelta(days=2), place="Hội trường UBND xã", topics=list(TOPICS),
            categories=list(CATEGORIES), registration_until=now - timedelta(days=3))
        session.add(dialogue)
        await session.flush()
        session.add(HamletQuota(dialogue_id=dialogue.id, hamlet_id=hau_id, seats=10))
        await session.flush()
        seats = []
        for person, category in ((hau[0], "poor"), (hau[1], "near_poor")):
            seated = await register_household(
                session, dialogue, await session.get(Person, person.id), RegistrationForm(
                    hau_id, "Đại diện hộ", category, ("job_loans",)),
                now=now - timedelta(days=10))
            seats.append(seated.registration.checkin_code)
        actor = await session.get(Person, office.id)
        assert actor is not None
        await check_in(session, actor, dialogue, seats[1], now=now - timedelta(days=2))
        commune = await session.get(Commune, commune_id)
        assert commune is not None
    today = now.astimezone(LOCAL).date()
    return Village(commune_id, office, today - timedelta(days=30), today)


async def test_each_hamlet_counts_its_people_petitioners_and_households_at_dialogues(
    db: Database,
) -> None:
    village = await people_of_tan_thuan_tay(db)
    async with db.transaction() as session:
        reach = await commune_reach(session, village.commune_id, village.first, village.last)
    rows = {h.name: h for h in reach.hamlets}
    hau, hung, chu = rows["Ấp Tân Hậu"], rows["Ấp Tân Hùng"], rows["Ấp Tân Chủ"]
    assert (hau.households, hau.residents, hau.petitioners, hau.petitions, hau.registered,
            hau.attended) == (200, 4, 2, 3, 2, 1)
    assert hau.reach == 4 / 200 and hung.reach == 1 / 150
    assert (chu.households, chu.residents, chu.petitioners, chu.petitions) == (None, 0, 0, 1)
    assert chu.reach is None and reach.households_known
    channels = {c.channel: c for c in reach.channels}
    assert channels["telegram"].petitions == 2 and channels["zalo"].petitions == 1
    assert channels[IN_PERSON].petitions == 1 and channels[SEVERAL].petitions == 0
    assert channels["local"].residents == 1 and channels["zalo"].residents == 1
    assert (channels["telegram"].registered, channels["telegram"].attended) == (2, 1)
    categories = {c.code: (c.registered, c.attended) for c in reach.categories}
    assert categories["poor"] == (1, 0) and categories["near_poor"] == (1, 1)
    assert categories["newly_non_poor"] == (0, 0)


async def test_without_household_figures_there_is_no_ratio(db: Database) -> None:
    commune_id = await demo(db)
    await citizen(db, "t1", "Ấp Tân Hậu")
    today = utcnow().astimezone(LOCAL).date()
    async with db.transaction() as session:
        await session.execute(update(Hamlet).values(households=None))
        reach = await commune_reach(session, commune_id, today, today)
    assert not reach.households_known
    assert all(h.reach is None for h in reach.hamlets)
    assert {h.name: h.residents for h in reach.hamlets}["Ấp Tân Hậu"] == 1
