"""A commune with thousands of Telegram residents and one queued broadcast, seeded in bulk.

Shared by the broadcast benchmark (`bench.broadcast`) and the crash test
(`tests/e2e/test_broadcast_crash.py`). People, accounts and consents are inserted as lists
(one executemany per table and chunk), not one ORM object at a time: 10,000 residents take
about a second instead of a minute. The broadcast itself goes through the real
`queue_broadcast`, so its audience rules (consent, hamlet, reachable account) are the ones
under test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, insert, select, text, update

from storage.db import Database
from storage.demo import seed_demo
from storage.messaging.broadcasts import BroadcastDraft, queue_broadcast
from storage.messaging.quiet_hours import QuietHours
from storage.migrate import upgrade_database_async
from storage.models import Base, ChannelIdentity, Consent, Hamlet, OutboxMessage, Person
from storage.models.base import utcnow
from storage.people.people import NOTICE_VERSION, PERSONAL_DATA
from storage.people.roles import grant_role

FIRST_CHAT_ID = 500_000_000
CHUNK = 2_000
# Far enough that no dispatcher touches a held broadcast, near enough for any datetime column.
HOLD = timedelta(days=365)
NEVER_QUIET = QuietHours.parse("", "Asia/Ho_Chi_Minh")
ANNOUNCEMENT = (
    "Thông báo: UBND xã Tân Thuận Tây tổ chức tiếp xúc cử tri lúc 19:00 tối thứ Sáu "
    "tại nhà văn hóa ấp. Kính mời bà con đến dự & góp ý <đầy đủ>."
)


@dataclass(frozen=True)
class Population:
    commune_id: int
    office_id: int
    chat_ids: list[int]


async def prepare_database(url: str) -> Database:
    """Migrate `url`; on PostgreSQL empty every table first (SQLite files start fresh)."""
    await upgrade_database_async(url)
    db = Database(url)
    if not db.is_sqlite:
        names = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
        async with db.transaction() as session:
            await session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    return db


async def seed_population(
    db: Database, recipients: int, *, first_chat_id: int = FIRST_CHAT_ID
) -> Population:
    """The demo commune, one office person and `recipients` consenting Telegram residents.

    Residents are spread round-robin over the commune's hamlets; resident `i` has the chat id
    `first_chat_id + i`. The office person has no hamlet, so a commune-wide broadcast reaches
    exactly the residents.
    """
    chat_ids = [first_chat_id + index for index in range(recipients)]
    async with db.transaction() as session:
        commune = await seed_demo(session)
        hamlet_ids = list(
            (
                await session.execute(
                    select(Hamlet.id).where(Hamlet.commune_id == commune.id).order_by(Hamlet.id)
                )
            ).scalars()
        )
        office = Person(full_name="Văn phòng HĐND và UBND xã", created_at=utcnow())
        session.add(office)
        await session.flush()
        await grant_role(session, office, commune, "office", actor_id=None, actor_label="bench")
        now = utcnow()
        # Core inserts of plain lists: one executemany per table and chunk. (ORM bulk
        # inserts with RETURNING run row by row on aiosqlite: 15 times slower here.)
        tables = Base.metadata.tables
        people, identities, consents = (
            tables[model.__tablename__] for model in (Person, ChannelIdentity, Consent)
        )
        before = (await session.execute(select(func.max(Person.id)))).scalar_one() or 0
        for start in range(0, recipients, CHUNK):
            await session.execute(
                insert(people),
                [
                    {"hamlet_id": hamlet_ids[n % len(hamlet_ids)], "created_at": now}
                    for n in range(start, min(recipients, start + CHUNK))
                ],
            )
        # Which resident gets which chat id does not matter, only that each gets one.
        person_ids = list(
            (
                await session.execute(
                    select(Person.id).where(Person.id > before).order_by(Person.id)
                )
            ).scalars()
        )
        if len(person_ids) != recipients:
            raise AssertionError(f"inserted {len(person_ids)} people, expected {recipients}")
        for start in range(0, recipients, CHUNK):
            pairs = list(zip(chat_ids[start : start + CHUNK],
                             person_ids[start : start + CHUNK], strict=True))
            await session.execute(
                insert(identities),
                [
                    {"channel": "telegram", "external_id": str(chat), "person_id": person,
                     "locale": "vi", "created_at": now}
                    for chat, person in pairs
                ],
            )
            await session.execute(
                insert(consents),
                [
                    {"person_id": person, "purpose": PERSONAL_DATA,
                     "notice_version": NOTICE_VERSION, "channel": "telegram", "given_at": now}
                    for _chat, person in pairs
                ],
            )
        return Population(commune.id, office.id, chat_ids)


async def queue_commune_broadcast(
    db: Database, population: Population, *, hold: bool = False, text: str = ANNOUNCEMENT
) -> int:
    """Queue one routine commune-wide broadcast through `queue_broadcast`; returns its id.

    `hold` parks its rows a year ahead: a benchmark starts the bot, lets it settle and only
    then releases them, so start-up costs stay out of the figures.
    """
    async with db.transaction() as session:
        office = await session.get(Person, population.office_id)
        draft = BroadcastDraft(population.commune_id, text, {"kind": "commune"})
        broadcast = await queue_broadcast(session, office, draft, NEVER_QUIET)
        broadcast_id = broadcast.id
        recipients = broadcast.recipients
    if recipients != len(population.chat_ids):
        raise AssertionError(f"broadcast reaches {recipients}, expected {len(population.chat_ids)}")
    if hold:
        await reset_broadcast(db, broadcast_id, hold=True)
    return broadcast_id


async def reset_broadcast(db: Database, broadcast_id: int, *, hold: bool) -> None:
    """Every row of the broadcast back to pending, untried: to send the same one again."""
    not_before = utcnow() + (HOLD if hold else timedelta(0))
    async with db.transaction() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.broadcast_id == broadcast_id)
            .values(status="pending", attempts=0, not_before=not_before, lease_until=None,
                    sent_at=None, last_error=None)
        )


async def release_broadcast(db: Database, broadcast_id: int) -> None:
    """Make a held broadcast due now; a running dispatcher finds it on its next poll."""
    async with db.transaction() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.broadcast_id == broadcast_id,
                   OutboxMessage.status == "pending")
            .values(not_before=utcnow())
        )


async def outbox_counts(db: Database, broadcast_id: int) -> dict[str, int]:
    """Rows of the broadcast per status."""
    async with db.transaction() as session:
        query = (
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.broadcast_id == broadcast_id)
            .group_by(OutboxMessage.status)
        )
        return {status: count for status, count in (await session.execute(query)).all()}
