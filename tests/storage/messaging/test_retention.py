"""Outbox retention: sent copies lose their text after the period; /forget takes a person out."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.conversations import ensure_identity
from storage.db import Database
from storage.messaging.outbox import enqueue_message, enqueue_once
from storage.messaging.retention import purge_sent_payloads
from storage.models import OutboxMessage, OutboxSubject
from storage.models.base import utcnow
from storage.people.people import forget_person, set_full_name, set_verified_phone
from tests.factories import citizen, demo, staff

CARD = {"text": "KN-2026-00007\nNgười gửi: Trương Văn Sáu\nĐiện thoại: 0903123456"}


async def test_sent_copies_lose_their_text_after_the_retention_period(db: Database) -> None:
    await demo(db)
    await citizen(db, "501")
    now = utcnow()
    async with db.transaction() as session:
        identity = await ensure_identity(session, "telegram", "501")
        rows = {}
        for name, status, age in (("old sent", "sent", 40), ("new sent", "sent", 3),
                                  ("old dead", "dead", 40), ("old pending", "pending", 40)):
            row = enqueue_message(session, identity, {"text": name})
            row.status = status
            row.created_at = now - timedelta(days=age)
            row.sent_at = row.created_at if status == "sent" else None
            rows[name] = row
        await session.flush()
        ids = {name: row.id for name, row in rows.items()}
    async with db.transaction() as session:
        assert await purge_sent_payloads(session, retention=timedelta(days=30), now=now) == 2
    async with db.transaction() as session:
        kept = {name: await session.get(OutboxMessage, row_id) for name, row_id in ids.items()}
    assert {name: row.payload for name, row in kept.items() if row is not None} == {
        "old sent": {}, "new sent": {"text": "new sent"}, "old dead": {},
        "old pending": {"text": "old pending"}}
    old = kept["old sent"]
    assert old is not None and old.status == "sent" and old.sent_at is not None
    async with db.transaction() as session:
        assert await purge_sent_payloads(session, retention=timedelta(days=30), now=now) == 0


async def test_forget_takes_the_person_out_of_cards_sent_to_the_office(db: Database) -> None:
    await demo(db)
    office = await staff(db, "600")
    person = await citizen(db, "601")
    async with db.transaction() as session:
        found = await session.get(type(person), person.id)
        assert found is not None
        await set_full_name(session, found, "Trương Văn Sáu")
        await set_verified_phone(session, found, "0903123456")
        desk = await ensure_identity(session, "telegram", "600")
        sent = enqueue_message(session, desk, CARD, about=[person.id])
        sent.status = "sent"
        waiting = enqueue_message(session, desk, CARD, about=[person.id, None])
        # Nobody said whom this one was about: the safety net finds the phone in it.
        untagged = enqueue_message(session, desk, {"text": "Gọi lại số +84903123456 nhé"})
        other = enqueue_message(session, desk, {"text": "Trương Văn Bảy, 0903999999"})
        assert await enqueue_once(session, desk, {"notice": "x", "params": {"id": 7}},
                                  dedupe_key="about-once", about=[person.id])
        await session.flush()
        ids = [row.id for row in (sent, waiting, untagged, other)]
    async with db.transaction() as session:
        subjects = (await session.execute(select(OutboxSubject.person_id))).scalars().all()
        assert subjects == [person.id] * 3
        identity = await ensure_identity(session, "telegram", "601")
        await forget_person(session, identity)
    async with db.transaction() as session:
        rows = [await session.get(OutboxMessage, row_id) for row_id in ids]
        left = (await session.execute(select(OutboxSubject))).scalars().all()
    assert [row.payload if row else None for row in rows] == [
        {},
        {"text": "KN-2026-00007\nNgười gửi: ***\nĐiện thoại: ***"},
        {"text": "Gọi lại số *** nhé"},
        {"text": "Trương Văn Bảy, 0903999999"},
    ]
    assert rows[1] is not None and rows[1].status == "pending"  # the office still gets it
    assert left == [] and office.id != person.id
