"""Link codes: typing someone's verified phone cannot become a way to pester or guess them."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from handlers.conversation import ConversationRunner
from handlers.turn import HandlerConfig
from storage.db import Database
from storage.demo import seed_demo
from storage.messaging.outbox import ROUTINE
from storage.messaging.quiet_hours import QuietHours
from storage.models import ChannelIdentity, LinkCode, OutboxMessage
from storage.models.base import utcnow
from tests.chat import Chat, texts

VICTIM_PHONE = "0912345678"


async def verified_victim(db: Database, runner: ConversationRunner | None = None) -> Chat:
    async with db.transaction() as session:
        await seed_demo(session)
    victim = Chat(db, channel="telegram", user_id="7001", runner=runner)
    await victim.reach_name_step(1)
    await victim.press("name:skip")
    await victim.share_contact(VICTIM_PHONE)
    await victim.new_replies()
    return victim


async def zalo_claimant(db: Database, victim: Chat, number: int) -> Chat:
    chat = Chat(db, channel="zalo", user_id=f"{number:020d}", runner=victim.runner)
    await chat.reach_name_step(1)
    await chat.press("name:skip")
    return chat


async def codes_sent_to(db: Database, victim: Chat) -> list[OutboxMessage]:
    async with db.transaction() as session:
        query = select(OutboxMessage).join(
            ChannelIdentity, ChannelIdentity.id == OutboxMessage.identity_id
        ).where(ChannelIdentity.external_id == victim.user_id)
        rows = (await session.execute(query)).scalars()
        return [r for r in rows if r.payload.get("notice") == "link_code"]


async def test_codes_to_one_verified_account_stop_at_the_daily_cap(db: Database) -> None:
    victim = await verified_victim(db)
    for number in range(6):
        claimant = await zalo_claimant(db, victim, number)
        replies = texts(await claimant.send(VICTIM_PHONE))
        if number < 3:
            assert "6 chữ số" in replies
        else:
            assert "không thể gửi thêm mã" in replies
    assert len(await codes_sent_to(db, victim)) == 3


async def test_one_claimant_cannot_ask_for_more_codes_than_the_cap(db: Database) -> None:
    runner = ConversationRunner(db, HandlerConfig(link_codes_per_target=100,
                                                  link_codes_per_claimant=2))
    victim = await verified_victim(db, runner)
    claimant = await zalo_claimant(db, victim, 1)
    for attempt in range(4):
        if attempt:
            await claimant.press("menu:phone")
        replies = texts(await claimant.send(VICTIM_PHONE))
        assert ("6 chữ số" in replies) == (attempt < 2), (attempt, replies)
        await claimant.press("link:skip")
    assert len(await codes_sent_to(db, victim)) == 2


async def test_a_code_is_routine_and_waits_out_quiet_hours(db: Database) -> None:
    local_now = utcnow().astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    # Quiet from an hour ago to an hour from now, whatever the time the test runs.
    start = (local_now - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (local_now + timedelta(hours=1)).time().replace(second=0, microsecond=0)
    quiet = QuietHours(start, end, "Asia/Ho_Chi_Minh")
    runner = ConversationRunner(db, HandlerConfig(quiet_hours=quiet))
    victim = await verified_victim(db, runner)
    claimant = await zalo_claimant(db, victim, 1)
    replies = texts(await claimant.send(VICTIM_PHONE))
    assert "giờ yên tĩnh" in replies
    [row] = await codes_sent_to(db, victim)
    assert row.priority == ROUTINE
    assert row.not_before > utcnow()
    async with db.transaction() as session:
        code = (await session.execute(select(LinkCode))).scalar_one()
    # Valid for its minutes from the moment it is sent, not from the request.
    assert code.expires_at == row.not_before + timedelta(minutes=10)


async def test_a_code_with_leading_zeros_is_a_code_not_menu_choice_one(db: Database) -> None:
    victim = await verified_victim(db)
    claimant = await zalo_claimant(db, victim, 1)
    await claimant.send(VICTIM_PHONE)
    [row] = await codes_sent_to(db, victim)
    code = str(row.payload["params"]["code"])
    guess = "000001" if code != "000001" else "000002"
    replies = texts(await claimant.send(guess))
    # "1" would have pressed the only choice, Skip, and left the step without a word.
    assert "Mã chưa đúng" in replies
    await claimant.send(code)
    assert (await claimant.person()).id == (await victim.person()).id  # type: ignore[union-attr]
