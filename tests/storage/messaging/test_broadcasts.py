"""Broadcasts: who they reach, who may send them, quiet hours, cancelling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storage.conversations import ensure_identity
from storage.db import Database
from storage.messaging.broadcasts import (
    BadBroadcast,
    BroadcastDraft,
    broadcast_progress,
    cancel_broadcast,
    count_audience,
    finish_broadcasts,
    may_schedule,
    mute_topic,
    queue_broadcast,
)
from storage.messaging.quiet_hours import QuietHours
from storage.models import ChannelIdentity, Commune, Hamlet, OutboxMessage, Province, RoleGrant
from storage.models.base import utcnow
from storage.people.people import forget_person, give_consent
from storage.people.roles import grant_role
from storage.permissions import NotAllowed
from tests.factories import citizen, demo, staff

NEVER_QUIET = QuietHours.parse("", "Asia/Ho_Chi_Minh")


async def test_commune_broadcast_reaches_each_consenting_resident_once(db: Database) -> None:
    commune_id = await demo(db)
    office = await staff(db, "1")
    for n in range(5):
        await citizen(db, f"tg{n}", "Ấp Tân Hậu")
    both = await citizen(db, "zl0", "Ấp Tân Chủ", channel="zalo")
    async with db.transaction() as session:
        second = await ensure_identity(session, "telegram", "same-person-on-telegram")
        second.person_id = both.id
        draft = BroadcastDraft(commune_id, "Họp dân tối nay <19:00> & đủ mặt", {"kind": "commune"})
        broadcast = await queue_broadcast(session, office, draft, NEVER_QUIET)
        broadcast_id = broadcast.id
    async with db.transaction() as session:
        progress = await broadcast_progress(session, broadcast_id)
    assert progress is not None
    # office + 5 + the person with two accounts (once): 7.
    assert progress.broadcast.recipients == 7 and progress.waiting == 7


async def test_hamlet_broadcast_skips_other_hamlets_mutes_and_blocked_chats(db: Database) -> None:
    commune_id = await demo(db)
    await citizen(db, "a", "Ấp Tân Hậu")
    muted = await citizen(db, "b", "Ấp Tân Hậu")
    await citizen(db, "c", "Ấp Tân Hùng")
    await citizen(db, "d", "Ấp Tân Hậu")
    async with db.transaction() as session:
        query = select(Hamlet).where(Hamlet.name == "Ấp Tân Hậu")
        tan_hau = (await session.execute(query)).scalar_one()
        await mute_topic(session, muted, "agriculture", True)
        identity = await ensure_identity(session, "telegram", "d")
        identity.unreachable_at = utcnow()
        audience = {"kind": "hamlets", "hamlet_ids": [tan_hau.id]}
        routine = await count_audience(session, commune_id, audience, "agriculture", False)
        urgent = await count_audience(session, commune_id, audience, "agriculture", True)
    assert routine == 1 and urgent == 2


async def test_someone_who_forgot_us_is_never_reached(db: Database) -> None:
    commune_id = await demo(db)
    office = await staff(db, "1")
    await citizen(db, "gone", "Ấp Tân Dân")
    async with db.transaction() as session:
        later = BroadcastDraft(commune_id, "Thông báo", {"kind": "commune"},
                               send_at=utcnow() + timedelta(hours=2))
        await queue_broadcast(session, office, later, NEVER_QUIET)
        await forget_person(session, await ensure_identity(session, "telegram", "gone"))
    async with db.transaction() as session:
        statuses = dict(
            (
                await session.execute(
                    select(OutboxMessage.chat_id, OutboxMessage.status)
                )
            ).all()
        )
        now_count = await count_audience(session, commune_id, {"kind": "commune"}, "general", True)
    assert statuses == {"1": "pending", "gone": "cancelled"}
    assert now_count == 1


async def test_citizen_delegate_and_other_communes_staff_may_not_broadcast(db: Database) -> None:
    commune_id = await demo(db)
    plain = await citizen(db, "citizen", "Ấp Tân Dân")
    delegate = await staff(db, "delegate", role="delegate")
    outsider = await citizen(db, "outsider", "Ấp Tân Dân")
    async with db.transaction() as session:
        province = (await session.execute(select(Province))).scalars().first()
        assert province is not None
        other = Commune(province_id=province.id, code="khac", name="Xã Khác")
        session.add(other)
        await session.flush()
        session.add(RoleGrant(person_id=outsider.id, commune_id=other.id, role="office"))
    for person in (plain, delegate, outsider, None):
        with pytest.raises(NotAllowed):
            async with db.transaction() as session:
                draft = BroadcastDraft(commune_id, "Tin giả", {"kind": "commune"})
                await queue_broadcast(session, person, draft, NEVER_QUIET)
    async with db.transaction() as session:
        assert (await session.execute(select(OutboxMessage))).first() is None


async def test_routine_broadcast_at_night_waits_for_morning_urgent_does_not(db: Database) -> None:
    commune_id = await demo(db)
    office = await staff(db, "1")
    quiet = QuietHours.parse("00:00-23:59", "Asia/Ho_Chi_Minh")  # always quiet but one minute
    async with db.transaction() as session:
        routine = await queue_broadcast(
            session, office, BroadcastDraft(commune_id, "Lịch tiêm", {"kind": "commune"}), quiet
        )
        urgent = await queue_broadcast(
            session, office,
            BroadcastDraft(commune_id, "Lũ về, di dời ngay", {"kind": "commune"}, urgent=True),
            quiet,
        )
        rows = {
            row.broadcast_id: row
            for row in (await session.execute(select(OutboxMessage))).scalars()
        }
    assert rows[routine.id].not_before > utcnow() + timedelta(minutes=1)
    assert rows[urgent.id].not_before <= utcnow()
    assert rows[urgent.id].priority < rows[routine.id].priority


async def test_cancelling_withholds_what_has_not_left(db: Database) -> None:
    commune_id = await demo(db)
    office = await staff(db, "1")
    for n in range(3):
        await citizen(db, f"c{n}", "Ấp Tân Chủ")
    async with db.transaction() as session:
        broadcast = await queue_broadcast(
            session, office, BroadcastDraft(commune_id, "Nhắc nộp thuế", {"kind": "commune"}),
            NEVER_QUIET,
        )
    async with db.transaction() as session:
        first = (
            await session.execute(select(OutboxMessage).order_by(OutboxMessage.id).limit(1))
        ).scalar_one()
        first.status = "sent"
    async with db.transaction() as session:
        withheld = await cancel_broadcast(session, office, broadcast.id)
        progress = await broadcast_progress(session, broadcast.id)
    assert withheld == 3 and progress is not None
    assert progress.delivered == 1 and progress.cancelled == 3


async def test_an_empty_or_overlong_text_or_unknown_audience_is_refused(db: Database) -> None:
    commune_id = await demo(db)
    office = await staff(db, "1")
    for draft in (
        BroadcastDraft(commune_id, "   ", {"kind": "commune"}),
        BroadcastDraft(commune_id, "x" * 3001, {"kind": "commune"}),
        BroadcastDraft(commune_id, "ok", {"kind": "everyone-in-vietnam"}),
        BroadcastDraft(commune_id, "ok", {"kind": "commune"}, topic="lottery"),
    ):
        with pytest.raises(BadBroadcast):
            async with db.transaction() as session:
                await queue_broadcast(session, office, draft, NEVER_QUIET)


async def test_the_chat_and_the_panel_hear_the_same_reason_for_a_refused_draft(
    db: Database,
) -> None:
    commune_id = await demo(db)
    office = await staff(db, "1")
    other = BroadcastDraft(commune_id, "ok", {"kind": "dialogue", "dialogue_id": 999})
    for draft, reason in (
        (BroadcastDraft(commune_id, " ", {"kind": "commune"}), "no_text"),
        (BroadcastDraft(commune_id, "x" * 3001, {"kind": "commune"}), "too_long"),
        (BroadcastDraft(commune_id, "ok", {"kind": "hamlets", "hamlet_ids": []}), "no_hamlet"),
        (other, "bad_dialogue"),
        (BroadcastDraft(commune_id, "ok", {"kind": "commune"},
                        send_at=utcnow() + timedelta(days=61)), "too_late"),
    ):
        with pytest.raises(BadBroadcast) as refused:
            async with db.transaction() as session:
                await queue_broadcast(session, office, draft, NEVER_QUIET)
        assert refused.value.reason == reason
    assert may_schedule(utcnow() + timedelta(days=59), utcnow())
    assert not may_schedule(utcnow() - timedelta(minutes=1), utcnow())



async def test_a_finished_broadcast_is_closed_and_reported_to_its_author_once(
    db: Database,
) -> None:
    commune_id = await demo(db)
    office = await staff(db, "1")
    await citizen(db, "c1", "Ấp Tân Chủ")
    async with db.transaction() as session:
        broadcast = await queue_broadcast(
            session, office, BroadcastDraft(commune_id, "Tin", {"kind": "commune"}), NEVER_QUIET
        )
    async with db.transaction() as session:
        assert await finish_broadcasts(session) == []  # still pending
        for row in (await session.execute(select(OutboxMessage))).scalars():
            row.status = "sent"
    async with db.transaction() as session:
        assert await finish_broadcasts(session) == [broadcast.id]
    async with db.transaction() as session:
        assert await finish_broadcasts(session) == []
        reports = (
            await session.execute(
                select(OutboxMessage).where(OutboxMessage.dedupe_key.like("broadcast-report:%"))
            )
        ).scalars().all()
    assert len(reports) == 1 and reports[0].chat_id == "1"
    assert reports[0].payload["params"]["delivered"] == 2


async def test_staff_see_why_messages_failed_for_good(db: Database) -> None:
    commune_id = await demo(db)
    office = await staff(db, "1")
    for n in range(3):
        await citizen(db, f"f{n}", "Ấp Tân Dân")
    async with db.transaction() as session:
        broadcast = await queue_broadcast(
            session, office, BroadcastDraft(commune_id, "Tin", {"kind": "commune"}), NEVER_QUIET
        )
        for row in (await session.execute(select(OutboxMessage))).scalars():
            if row.chat_id.startswith("f"):
                row.status = "dead"
                row.last_error = "gave up: 502"
    async with db.transaction() as session:
        progress = await broadcast_progress(session, broadcast.id)
    assert progress is not None and progress.failed == 3
    assert progress.errors == [("gave up: 502", 3)]


async def test_the_whole_commune_includes_staff_who_joined_by_invite_without_a_hamlet(
    db: Database,
) -> None:
    commune_id = await demo(db)
    office = await staff(db, "1")
    resident = await citizen(db, "resident", "Ấp Tân Hậu")
    invited = {}
    async with db.transaction() as session:
        commune = await session.get(Commune, commune_id)
        assert commune is not None
        for role in ("delegate", "office", "agency", "admin"):
            identity = await ensure_identity(session, "zalo", f"invited-{role}")
            person = await give_consent(session, identity)  # as the invite path: no hamlet
            await grant_role(session, person, commune, role, actor_id=None)
            invited[role] = person.id
        province = (await session.execute(select(Province))).scalars().one()
        other = Commune(province_id=province.id, code="khac", name="Xã Khác")
        session.add(other)
        await session.flush()
        elsewhere_identity = await ensure_identity(session, "zalo", "other-commune-office")
        elsewhere = await give_consent(session, elsewhere_identity)
        await grant_role(session, elsewhere, other, "office", actor_id=None)
        draft = BroadcastDraft(commune_id, "Mời họp toàn xã", {"kind": "commune"})
        broadcast = await queue_broadcast(session, office, draft, NEVER_QUIET)
        reached = set((await session.execute(
            select(ChannelIdentity.person_id)
            .join(OutboxMessage, OutboxMessage.identity_id == ChannelIdentity.id)
            .where(OutboxMessage.broadcast_id == broadcast.id)
        )).scalars())
    assert reached == {office.id, resident.id, *invited.values()}
    assert elsewhere.id not in reached
