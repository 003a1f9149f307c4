"""Invites in the bot: the admin chooses whom to invite, sees the open links and revokes them."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from handlers.conversation import ConversationRunner
from handlers.turn import HandlerConfig
from storage.db import Database
from storage.models import Commune, Delegate, ElectoralUnit, Invite, Person
from storage.models.base import utcnow
from storage.people.roles import MAX_FAILED_CODES, roles_of
from storage.voter_contact.meetings import MeetingDraft, add_meeting, create_round, create_session
from storage.voter_contact.reminders import fire_due_reminders
from tests.chat import Chat, actions, texts
from tests.factories import demo, staff

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


async def invite_count(db: Database) -> int:
    async with db.transaction() as session:
        return int((await session.execute(select(func.count()).select_from(Invite))
                    ).scalar_one())


async def test_one_press_makes_one_link_which_the_admin_can_list_and_revoke(
    db: Database,
) -> None:
    await demo(db)
    await staff(db, "6001", role="admin")
    admin = Chat(db, user_id="6001")
    offered = actions(await admin.press("menu:invite"))
    assert "iv:office" in offered and "iv:list" in offered
    assert await invite_count(db) == 0  # opening the menu mints nothing
    link = texts(await admin.press("iv:office"))
    token = re.search(r"Mã mời: ([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{2})", link)
    assert token is not None and await invite_count(db) == 1
    listed = await admin.press("iv:list")
    revoke = [a for a in actions(listed) if a.startswith("iv:rv:")]
    assert len(revoke) == 1 and token.group(1) not in texts(listed)
    assert "thu hồi" in texts(await admin.press(revoke[0])).lower()
    assert "Hiện không có lời mời nào" in texts(await admin.press("iv:list"))
    # The revoked link opens nothing.
    newcomer = Chat(db, user_id="6002", runner=admin.runner)
    await newcomer.send(token.group(1))
    assert "không còn hiệu lực" in texts(await newcomer.press("consent:yes"))
    # Revoking again, or a forged number, changes nothing and says so.
    assert "đã bị thu hồi" in texts(await admin.press(revoke[0]))


async def test_only_an_admin_can_make_list_or_revoke_invites(db: Database) -> None:
    await demo(db)
    await staff(db, "6101", role="admin")
    admin = Chat(db, user_id="6101")
    await admin.press("iv:office")
    await staff(db, "6102", role="office")
    clerk = Chat(db, user_id="6102", runner=admin.runner)
    for action in ("menu:invite", "iv:office", "iv:ag:1", "iv:dl:1", "iv:list", "iv:rv:1"):
        replies = await clerk.press(action)
        assert "Chỉ quản trị viên" in texts(replies), action
    assert await invite_count(db) == 1
    async with db.transaction() as session:
        invite = (await session.execute(select(Invite))).scalar_one()
    assert invite.revoked_at is None


CODE = re.compile(r"Mã mời: ([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{2})")


async def admin_invites(db: Database, action: str, config: HandlerConfig | None = None
                        ) -> tuple[Chat, str, str]:
    """An admin's invite for `action` ("iv:office", "iv:dl:<seat>"): the chat, text, code."""
    await staff(db, "6201", role="admin")
    admin = Chat(db, user_id="6201", runner=ConversationRunner(db, config or HandlerConfig()))
    text = texts(await admin.press(action))
    code = CODE.search(text)
    assert code is not None, text
    return admin, text, code.group(1)


async def test_the_invite_shows_the_telegram_link_the_zalo_page_and_the_code(
    db: Database,
) -> None:
    await demo(db)
    config = HandlerConfig(bot_username="cutri_ttt_bot", zalo_bot_url="https://zalo.me/987")
    _admin, text, code = await admin_invites(db, "iv:office", config)
    assert f"https://t.me/cutri_ttt_bot?start=inv-{code.replace('-', '')}" in text
    assert "https://zalo.me/987" in text
    assert not set(code.replace("-", "")) & set("0O1IL5S2Z8B")


@pytest.mark.parametrize("typed", [
    "{code}", "{bare}", "{lower}", "Mã mời {code}", "ma moi: {lower}", "mã mời  {spaced}",
    "/start inv-{bare}", "/start {code}", "inv-{bare}",
])
async def test_a_code_is_taken_however_it_is_typed(db: Database, typed: str) -> None:
    await demo(db)
    admin, _text, code = await admin_invites(db, "iv:office")
    bare = code.replace("-", "")
    message = typed.format(code=code, bare=bare, lower=bare.lower(),
                           spaced=" ".join([bare[:4], bare[4:8], bare[8:]]))
    # Already onboarded: a code typed in the middle of the menu still works.
    newcomer = Chat(db, channel="zalo", user_id="z-6202", runner=admin.runner)
    await newcomer.onboard()
    replies = await newcomer.send(message)
    assert "cán bộ Văn phòng" in texts(replies), message


async def test_a_code_typed_before_registering_waits_for_consent(db: Database) -> None:
    await demo(db)
    admin, _text, code = await admin_invites(db, "iv:office")
    newcomer = Chat(db, channel="zalo", user_id="z-6203", runner=admin.runner)
    assert "consent:yes" in actions(await newcomer.send(f"Mã mời {code}"))
    assert "cán bộ Văn phòng" in texts(await newcomer.press("consent:yes"))


async def test_a_wrong_code_is_answered_politely_changes_nothing_and_guessing_stops(
    db: Database,
) -> None:
    await demo(db)
    admin, _text, code = await admin_invites(db, "iv:office")
    guesser = Chat(db, channel="zalo", user_id="z-6204", runner=admin.runner)
    await guesser.onboard()
    wrong = "".join(reversed(code.replace("-", "")))
    answer = texts(await guesser.send(f"Mã mời {wrong}"))
    assert "Tôi không tìm thấy mã mời này" in answer
    for _ in range(MAX_FAILED_CODES - 1):
        await guesser.send(wrong)
    # Now even the right code is not looked up: the person has used up the day's tries.
    assert "quá nhiều lần" in texts(await guesser.send(code))
    async with db.transaction() as session:
        used = (await session.execute(select(Invite.used_at))).scalar_one()
    person = await guesser.person()
    assert used is None and person is not None
    async with db.transaction() as session:
        roles = await roles_of(session, person.id)
    assert roles == []


async def test_a_hamlet_qr_code_still_opens_onboarding_at_the_hamlet(db: Database) -> None:
    await demo(db)
    villager = Chat(db, user_id="6205")
    await villager.send("/start ttt-tan-dan")
    assert "Ấp Tân Dân" in texts(await villager.press("consent:yes"))


async def test_the_admins_menu_makes_delegate_links_only_per_seat(db: Database) -> None:
    await demo(db)
    await staff(db, "6206", role="admin")
    admin = Chat(db, user_id="6206")
    offered = actions(await admin.press("menu:invite"))
    delegate_links = [a for a in offered if a.startswith("iv:dl")]
    async with db.transaction() as session:
        seats = (await session.execute(select(func.count()).select_from(Delegate))).scalar_one()
    assert len(delegate_links) == seats and all(re.fullmatch(r"iv:dl:\d+", a)
                                                 for a in delegate_links)
    # A forged seat number makes nothing.
    await admin.press("iv:dl:999999")
    assert await invite_count(db) == 0


async def test_a_delegate_who_joins_by_a_seat_code_gets_their_units_meeting_reminder(
    db: Database,
) -> None:
    await demo(db)
    async with db.transaction() as session:
        unit, seat = (await session.execute(
            select(ElectoralUnit, Delegate)
            .join(Delegate, Delegate.electoral_unit_id == ElectoralUnit.id)
            .where(ElectoralUnit.number == 2).order_by(Delegate.id))).first()._tuple()
        unit_id, seat_id = unit.id, seat.id
    admin, _text, code = await admin_invites(db, f"iv:dl:{seat_id}")
    delegate = Chat(db, channel="zalo", user_id="z-6207", runner=admin.runner)
    await delegate.send(f"Mã mời {code}")
    assert "đại biểu" in texts(await delegate.press("consent:yes"))
    office = await staff(db, "6208", role="office")
    today = utcnow().astimezone(LOCAL).date()
    async with db.transaction() as session:
        commune = (await session.execute(select(Commune))).scalars().first()
        assert commune is not None
        office_person = await session.get(Person, office.id)
        assert office_person is not None
        council = await create_session(session, office_person, commune.id, "Kỳ họp cuối năm",
                                       today + timedelta(days=20), today + timedelta(days=22))
        contact_round = await create_round(session, office_person, council, "before", today,
                                           today + timedelta(days=15))
        meeting = await add_meeting(session, office_person, contact_round, MeetingDraft(
            unit_id, "Nhà văn hóa ấp Tân Hùng",
            datetime.combine(today + timedelta(days=5), time(7, 30), tzinfo=LOCAL)))
        starts_at = meeting.starts_at
    await delegate.new_replies()
    async with db.transaction() as session:
        await fire_due_reminders(session, now=starts_at - timedelta(hours=20))
    rows = await delegate.outbox_rows()
    reminders = [row for row in rows if "Nhà văn hóa ấp Tân Hùng" in str(row.payload)]
    assert reminders, [row.payload for row in rows]
