"""Dialogue registrations: seats per hamlet under concurrency, waiting lists, offers, release."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from storage.conversations import ensure_identity
from storage.db import Database
from storage.dialogues.dialogues import (
    CATEGORIES,
    TOPICS,
    CodeAlreadyUsed,
    DialogueDraft,
    Registered,
    RegistrationForm,
    RegistrationRefused,
    Waitlisted,
    accept_offer,
    answer_questions,
    cancel_dialogue,
    cancel_registration,
    check_in,
    create_dialogue,
    dialogue_choices,
    door_code,
    expire_offers_and_release,
    move_dialogue,
    questions_to_answer,
    register_household,
    release_seats_now,
)
from storage.models import (
    ChannelIdentity,
    Dialogue,
    DialogueOption,
    Hamlet,
    HamletQuota,
    OutboxMessage,
    Person,
    Registration,
)
from storage.people.people import forget_person, give_consent
from storage.permissions import NotAllowed
from storage.voter_contact.reminders import fire_due_reminders, plan_dialogue_reminders
from tests.factories import citizen, demo, staff

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
QUOTAS = {"Ấp Tân Dân": 10, "Ấp Tân Hùng": 10, "Ấp Tân Chủ": 10, "Ấp Tân Hậu": 20}


async def new_dialogue(db: Database, quotas: dict[str, int], *,
                       release_at: datetime | None = None) -> tuple[int, dict[str, int]]:
    commune_id = await demo(db)
    async with db.transaction() as session:
        hamlets = dict((await session.execute(select(Hamlet.name, Hamlet.id))).tuples().all())
        dialogue = Dialogue(
            commune_id=commune_id, title="Đối thoại chính sách giảm nghèo năm 2026",
            organiser="UBND xã Tân Thuận Tây", starts_at=T0 + timedelta(days=20),
            place="Hội trường UBND xã", topics=list(TOPICS), categories=list(CATEGORIES),
            registration_until=T0 + timedelta(days=18), release_at=release_at,
        )
        session.add(dialogue)
        await session.flush()
        session.add_all(HamletQuota(dialogue_id=dialogue.id, hamlet_id=hamlets[name],
                                    seats=seats) for name, seats in quotas.items())
        return dialogue.id, hamlets


async def households(db: Database, who: list[tuple[str, str, int]]) -> list[tuple[Person, int]]:
    """Consenting residents of the given hamlets, made in one transaction (setup, not the race)."""
    async with db.transaction() as session:
        made = []
        for external_id, _name, hamlet_id in who:
            person = await give_consent(session, await ensure_identity(session, "telegram",
                                                                        external_id))
            person.hamlet_id = hamlet_id
            made.append((person, hamlet_id))
        return made


def form(hamlet_id: int, name: str = "Nguyễn Văn Tám") -> RegistrationForm:
    return RegistrationForm(hamlet_id=hamlet_id, representative=name, category="poor",
                            topics=("job_loans",), questions="Xin vay vốn nuôi bò")


async def register(db: Database, dialogue_id: int, person: Person, hamlet_id: int,
                   at: datetime = T0) -> Registered | Waitlisted | str:
    try:
        async with db.transaction() as session:
            dialogue = await session.get(Dialogue, dialogue_id)
            assert dialogue is not None
            return await register_household(session, dialogue, person, form(hamlet_id), now=at)
    except RegistrationRefused as refused:
        return refused.reason


async def test_200_households_racing_never_overfill_a_hamlet_or_register_twice(
    db: Database,
) -> None:
    dialogue_id, hamlets = await new_dialogue(db, QUOTAS)
    people = await households(db, [(f"{name}-{n}", name, hamlets[name])
                                   for name in QUOTAS for n in range(50)])
    attempts = [register(db, dialogue_id, person, hamlet) for person, hamlet in people]
    # Twenty households press "register" twice at once.
    attempts += [register(db, dialogue_id, person, hamlet) for person, hamlet in people[::10]]
    outcomes = await asyncio.gather(*attempts)
    assert Counter(type(o).__name__ if not isinstance(o, str) else o for o in outcomes) == {
        "Registered": 50, "Waitlisted": 150, "already": 20}
    async with db.transaction() as session:
        quotas = (await session.execute(select(HamletQuota))).scalars().all()
        registrations = (await session.execute(select(Registration))).scalars().all()
    assert all(q.taken == q.seats for q in quotas)
    seated = Counter(r.seat_hamlet_id for r in registrations if r.status == "registered")
    assert seated == {q.hamlet_id: q.seats for q in quotas}
    assert len({r.person_id for r in registrations}) == len(registrations) == 200
    assert len({r.checkin_code for r in registrations}) == 200


async def test_a_freed_seat_is_offered_in_turn_and_passes_on_when_not_taken(
    db: Database,
) -> None:
    dialogue_id, hamlets = await new_dialogue(
        db, {"Ấp Tân Dân": 2, "Ấp Tân Hùng": 3}, release_at=T0 + timedelta(hours=30))
    dan, hung = hamlets["Ấp Tân Dân"], hamlets["Ấp Tân Hùng"]
    a, b, c, d, e = [await citizen(db, x, "Ấp Tân Dân") for x in "abcde"]
    f = await citizen(db, "f", "Ấp Tân Hùng")
    for person in (a, b):
        assert isinstance(await register(db, dialogue_id, person, dan), Registered)
    for person in (c, d, e):
        assert isinstance(await register(db, dialogue_id, person, dan), Waitlisted)
    assert isinstance(await register(db, dialogue_id, f, hung), Registered)

    async def status() -> dict[int, str]:
        async with db.transaction() as session:
            return dict((await session.execute(select(Registration.person_id,
                                                      Registration.status))).tuples().all())

    async def mine(person: Person) -> Registration:
        async with db.transaction() as session:
            return (await session.execute(select(Registration).where(
                Registration.person_id == person.id))).scalar_one()

    ids = {p.id: (await mine(p)).id for p in (a, c, d, e)}
    async with db.transaction() as session:
        registration = await session.get(Registration, ids[a.id])
        assert registration is not None
        await cancel_registration(session, registration, now=T0)
    assert (await status())[c.id] == "offered"  # the next of the same hamlet
    async with db.transaction() as session:
        await expire_offers_and_release(session, now=T0 + timedelta(hours=23))
    assert (await status())[c.id] == "offered"  # still within the 24 hours
    async with db.transaction() as session:
        await expire_offers_and_release(session, now=T0 + timedelta(hours=25))
    assert [(await status())[p.id] for p in (c, d)] == ["expired", "offered"]
    async with db.transaction() as session:
        late = await session.get(Registration, ids[c.id])
        assert late is not None
        with pytest.raises(RegistrationRefused):
            await accept_offer(session, late, now=T0 + timedelta(hours=25))
        offer = await session.get(Registration, ids[d.id])
        assert offer is not None
        await accept_offer(session, offer, now=T0 + timedelta(hours=26))
    assert (await status())[d.id] == "registered"
    # Tân Hùng's two unfilled seats wait for its own households until the release time...
    async with db.transaction() as session:
        await expire_offers_and_release(session, now=T0 + timedelta(hours=29))
    assert (await status())[e.id] == "waiting"
    # ...then go to anyone, in the order they asked.
    async with db.transaction() as session:
        await expire_offers_and_release(session, now=T0 + timedelta(hours=31))
    seat = (await mine(e)).seat_hamlet_id
    assert (await status())[e.id] == "offered" and seat == hung
    async with db.transaction() as session:
        quotas = {q.hamlet_id: q.taken for q in (await session.execute(
            select(HamletQuota))).scalars()}
    assert quotas == {dan: 2, hung: 2}


async def test_forgetting_erases_the_household_category(db: Database) -> None:
    dialogue_id, hamlets = await new_dialogue(db, {"Ấp Tân Dân": 5})
    person = await citizen(db, "household", "Ấp Tân Dân")
    assert isinstance(await register(db, dialogue_id, person, hamlets["Ấp Tân Dân"]),
                      Registered)
    async with db.transaction() as session:
        identity = await ensure_identity(session, "telegram", "household")
        await forget_person(session, identity)
    async with db.transaction() as session:
        registration = (await session.execute(select(Registration))).scalar_one()
    assert (registration.category, registration.representative) == (None, None)


async def seated_households(db: Database, count: int, *, questions: bool = True
                            ) -> tuple[int, list[Person], Person]:
    dialogue_id, hamlets = await new_dialogue(db, {"Ấp Tân Dân": count})
    office = await staff(db, "office")
    people = [await citizen(db, f"hh{n}", "Ấp Tân Dân") for n in range(count)]
    for n, person in enumerate(people):
        async with db.transaction() as session:
            dialogue = await session.get(Dialogue, dialogue_id)
            assert dialogue is not None
            await register_household(session, dialogue, person, RegistrationForm(
                hamlet_id=hamlets["Ấp Tân Dân"], representative="Hộ số", category="poor",
                topics=("job_loans",), questions="Xin vay vốn" if questions and n % 2 else ""),
                now=T0)
    async with db.transaction() as session:
        dialogue = await session.get(Dialogue, dialogue_id)
        assert dialogue is not None
        await plan_dialogue_reminders(session, dialogue, now=T0)
    return dialogue_id, people, office


async def notices_to(db: Database, notice: str) -> Counter[int]:
    async with db.transaction() as session:
        rows = (await session.execute(select(OutboxMessage.payload, ChannelIdentity.person_id)
                                      .join(ChannelIdentity,
                                            ChannelIdentity.id == OutboxMessage.identity_id)
                                      )).all()
    return Counter(person for payload, person in rows if payload.get("notice") == notice)


async def test_dialogue_reminders_arrive_once_and_a_moved_dialogue_replans_them(
    db: Database,
) -> None:
    dialogue_id, people, office = await seated_households(db, 3)
    async with db.transaction() as session:
        dialogue = await session.get(Dialogue, dialogue_id)
        assert dialogue is not None
        start = dialogue.starts_at
        new_start = start + timedelta(days=2)
        await move_dialogue(session, office, dialogue, starts_at=new_start, now=T0)
    for moment in (start - timedelta(days=1), start - timedelta(hours=2), start,
                   new_start - timedelta(hours=20), new_start - timedelta(hours=2),
                   new_start - timedelta(hours=1)):
        async with db.transaction() as session:
            await fire_due_reminders(session, now=moment)
            await fire_due_reminders(session, now=moment)
    assert await notices_to(db, "dialogue_reminder") == {p.id: 2 for p in people}


async def test_a_cancelled_dialogue_sends_no_reminder(db: Database) -> None:
    dialogue_id, people, office = await seated_households(db, 2)
    async with db.transaction() as session:
        dialogue = await session.get(Dialogue, dialogue_id)
        assert dialogue is not None
        await cancel_dialogue(session, office, dialogue, reason="Bão", now=T0)
        await fire_due_reminders(session, now=dialogue.starts_at)
    assert await notices_to(db, "dialogue_reminder") == {}
    assert await notices_to(db, "dialogue_cancelled") == {p.id: 1 for p in people}


async def test_answers_reach_exactly_the_households_that_asked(db: Database) -> None:
    dialogue_id, people, office = await seated_households(db, 6)
    async with db.transaction() as session:
        dialogue = await session.get(Dialogue, dialogue_id)
        assert dialogue is not None
        asked = await questions_to_answer(session, office, dialogue)
        for registration in asked:
            await answer_questions(session, office, registration, "Đã đưa vào danh sách vay")
        with pytest.raises(NotAllowed):
            await questions_to_answer(session, people[0], dialogue)
    assert await notices_to(db, "dialogue_answer") == {
        r.person_id: 1 for r in asked} == {p.id: 1 for n, p in enumerate(people) if n % 2}


async def test_the_office_opens_unfilled_seats_to_every_hamlet_early(db: Database) -> None:
    dialogue_id, hamlets = await new_dialogue(db, {"Ấp Tân Dân": 1, "Ấp Tân Hùng": 2})
    office = await staff(db, "office")
    first, second = [await citizen(db, x, "Ấp Tân Dân") for x in ("x1", "x2")]
    await register(db, dialogue_id, first, hamlets["Ấp Tân Dân"])
    assert isinstance(await register(db, dialogue_id, second, hamlets["Ấp Tân Dân"]),
                      Waitlisted)
    async with db.transaction() as session:
        dialogue = await session.get(Dialogue, dialogue_id)
        assert dialogue is not None
        assert await release_seats_now(session, office, dialogue, now=T0) == 1
        with pytest.raises(NotAllowed):
            await release_seats_now(session, second, dialogue, now=T0)
    async with db.transaction() as session:
        offered = (await session.execute(select(Registration).where(
            Registration.person_id == second.id))).scalar_one()
    assert (offered.status, offered.seat_hamlet_id) == ("offered", hamlets["Ấp Tân Hùng"])


async def test_a_door_code_opens_once_and_only_for_a_seated_household(db: Database) -> None:
    dialogue_id, hamlets = await new_dialogue(db, {"Ấp Tân Dân": 1})
    office = await staff(db, "office")
    seated, waiting = [await citizen(db, x, "Ấp Tân Dân") for x in ("seated", "waiting")]
    for person in (seated, waiting):
        await register(db, dialogue_id, person, hamlets["Ấp Tân Dân"])
    async with db.transaction() as session:
        dialogue = await session.get(Dialogue, dialogue_id)
        assert dialogue is not None
        first, second = (await session.execute(select(Registration).order_by(Registration.id))
                         ).scalars().all()
        assert door_code(first) == first.checkin_code and door_code(second) is None
        # The waiting household's code, if someone learned it, does not open the door.
        with pytest.raises(RegistrationRefused):
            await check_in(session, office, dialogue, second.checkin_code, now=T0)
        await check_in(session, office, dialogue, first.checkin_code, now=T0)
        with pytest.raises(CodeAlreadyUsed) as used:
            await check_in(session, office, dialogue, first.checkin_code,
                           now=T0 + timedelta(minutes=5))
        assert used.value.used_at == T0 and first.attended_at == T0


async def test_a_commune_with_its_own_topics_offers_them_in_new_dialogues(db: Database) -> None:
    commune_id = await demo(db)
    office = await staff(db, "9001")
    async with db.transaction() as session:
        assert await dialogue_choices(session, commune_id) == (
            [(code, None) for code in CATEGORIES], [(code, None) for code in TOPICS])
        session.add_all([
            DialogueOption(commune_id=commune_id, kind="topic", code="forest",
                           name="Trồng rừng, giao khoán rừng", position=0),
            DialogueOption(commune_id=commune_id, kind="topic", code="job_loans",
                           name="Vay vốn tạo việc làm", position=1)])
        await session.flush()
        categories, topics = await dialogue_choices(session, commune_id)
        assert categories == [(code, None) for code in CATEGORIES]
        assert topics == [("forest", "Trồng rừng, giao khoán rừng"),
                          ("job_loans", "Vay vốn tạo việc làm")]
        hamlet = (await session.execute(select(Hamlet))).scalars().first()
        assert hamlet is not None
        dialogue = await create_dialogue(session, office, DialogueDraft(
            commune_id=commune_id, title="Đối thoại năm 2027", starts_at=T0 + timedelta(days=9),
            place="Hội trường", quotas={hamlet.id: 10}), now=T0)
        assert dialogue.topics == ["forest", "job_loans"]
        assert dialogue.categories == ["poor", "near_poor", "newly_non_poor"]
