"""Report-back to voters: the office plans it; the unit's residents who follow voter-contact news
read what became of each opinion of their meeting, and nobody else does."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.documents import process_document_jobs
from storage.db import Database
from storage.models import Meeting, ReportBack
from storage.models.base import utcnow
from storage.voter_contact.report_back import send_due_report_backs
from tests.chat import Chat, actions, texts
from tests.handlers.voter_contact.test_dossiers import (
    a_delegate_of_unit_one,
    docx_text,
    stored_docx,
)
from tests.storage.voter_contact.unit_history import OPINION_ANSWER, OPINIONS, unit_history


async def residents(office: Chat) -> tuple[Chat, Chat, Chat, Chat]:
    """Followers on Telegram and Zalo in unit 1, one who muted the news, one in unit 2."""
    follower = Chat(office.db, user_id="9201", runner=office.runner)
    on_zalo = Chat(office.db, user_id="9202", runner=office.runner, channel="zalo")
    muted = Chat(office.db, user_id="9203", runner=office.runner)
    elsewhere = Chat(office.db, user_id="9204", runner=office.runner)
    for chat in (follower, on_zalo, muted):
        await chat.onboard(1)
    await elsewhere.onboard(2)
    await muted.press("menu:settings")
    await muted.press("mute:voter_contact")
    await muted.press("mute:done")
    for chat in (follower, on_zalo, muted, elsewhere):
        await chat.new_replies()
    return follower, on_zalo, muted, elsewhere


async def test_the_report_back_reaches_the_units_followers_and_nobody_else(
        db: Database) -> None:
    delegate = await a_delegate_of_unit_one(db)
    person = await delegate.person()
    assert person is not None
    history = await unit_history(db, person)
    office = Chat(db, user_id="9001", runner=delegate.runner)
    follower, on_zalo, muted, elsewhere = await residents(office)
    await delegate.new_replies()

    assert "menu:reportback" in await office.menu_actions()
    listed = await office.press("menu:reportback")
    assert f"rbm:{history.earlier_meeting_id}" in actions(listed)
    preview = await office.press(f"rbm:{history.earlier_meeting_id}")
    # The office reads it as the residents will, and how many it reaches: the two followers
    # made here, the two who sent petitions, the delegate and the clerk, who all live in the
    # unit; not the one who muted the news, nor the resident of unit 2.
    assert OPINIONS[0] in texts(preview) and OPINION_ANSWER in texts(preview)
    assert "sẽ đến 6 cử tri" in texts(preview)
    assert f"rbs:next:{history.earlier_meeting_id}" in actions(preview)
    planned = texts(await office.press(f"rbs:now:{history.earlier_meeting_id}"))
    assert "Đã hẹn" in planned

    async with db.transaction() as session:
        plan = (await session.execute(select(ReportBack))).scalar_one()
        # Now, or when the quiet hours end if it is night: routine news never wakes anyone.
        assert plan.send_at is not None and plan.send_at <= utcnow() + timedelta(hours=10)
        due = plan.send_at
    async with db.transaction() as session:
        assert await send_due_report_backs(session, now=due - timedelta(seconds=1)) == 0
    async with db.transaction() as session:
        assert await send_due_report_backs(session, now=due) == 1
    for chat in (follower, on_zalo):
        (notice,) = await chat.new_replies()
        assert notice.title is not None and "Đơn vị bầu cử số 1" in notice.title
        for opinion in OPINIONS:
            assert opinion in notice.text
        assert "Trả lời (ngày " in notice.text and OPINION_ANSWER in notice.text
        assert "tiếp tục theo dõi, đôn đốc" in notice.text  # the second is not answered yet
    for chat in (muted, elsewhere):
        assert OPINIONS[0] not in texts(await chat.new_replies())
    # The delegate gets the same list to print for the meeting.
    await process_document_jobs(db)
    (page,) = [reply for reply in await delegate.new_replies() if reply.file]
    text = docx_text(await stored_docx(page, db))
    assert OPINIONS[0] in text and OPINION_ANSWER in text and OPINIONS[1] in text
    # Sent once: a second run sends nothing, and the office cannot plan it again.
    async with db.transaction() as session:
        assert await send_due_report_backs(session, now=due + timedelta(minutes=2)) == 0
    again = texts(await office.press(f"rbs:now:{history.earlier_meeting_id}"))
    assert "đã được gửi cho cử tri rồi" in again


async def test_with_the_next_round_it_goes_out_when_residents_hear_of_that_meeting(
        db: Database) -> None:
    delegate = await a_delegate_of_unit_one(db)
    person = await delegate.person()
    assert person is not None
    history = await unit_history(db, person)
    office = Chat(db, user_id="9001", runner=delegate.runner)
    follower, _on_zalo, _muted, _elsewhere = await residents(office)
    await office.press(f"rbm:{history.earlier_meeting_id}")
    await office.press(f"rbs:next:{history.earlier_meeting_id}")
    async with db.transaction() as session:
        plan = (await session.execute(select(ReportBack))).scalar_one()
        assert plan.with_next_meeting and plan.send_at is None
        meeting = await session.get(Meeting, history.coming_meeting_id)
        assert meeting is not None
        starts_at = meeting.starts_at
    async with db.transaction() as session:
        assert await send_due_report_backs(session, now=starts_at - timedelta(days=4)) == 0
    assert await follower.new_replies() == []
    async with db.transaction() as session:
        assert await send_due_report_backs(session, now=starts_at - timedelta(days=2)) == 1
    (notice,) = await follower.new_replies()
    assert OPINION_ANSWER in notice.text
    assert "Nhà văn hóa ấp Tân Dân" in notice.text and "báo cáo trực tiếp" in notice.text


async def test_a_typed_time_is_kept_and_bad_input_changes_nothing(db: Database) -> None:
    delegate = await a_delegate_of_unit_one(db)
    person = await delegate.person()
    assert person is not None
    history = await unit_history(db, person)
    office = Chat(db, user_id="9001", runner=delegate.runner)
    await office.press(f"rbs:time:{history.earlier_meeting_id}")
    assert "Chưa đọc được" in texts(await office.send("hôm nào đó"))
    done = texts(await office.send("8h sáng mai"))
    assert "Đã hẹn" in done
    async with db.transaction() as session:
        plan = (await session.execute(select(ReportBack))).scalar_one()
        assert plan.send_at is not None and plan.send_at > utcnow()
    # A resident cannot plan one, nor reach another commune's meeting.
    resident = Chat(db, user_id="9301", runner=delegate.runner)
    await resident.onboard(1)
    refused = texts(await resident.press(f"rbs:now:{history.earlier_meeting_id}"))
    assert "Chỉ Văn phòng xã" in refused or "chưa có kết quả" in refused
