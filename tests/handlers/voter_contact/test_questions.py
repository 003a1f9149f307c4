"""A voter's question for a meeting reaches that meeting's delegates, who may answer it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.db import Database
from storage.models import Meeting, Petition
from storage.voter_contact.reminders import fire_due_reminders
from tests.chat import Chat, actions, texts
from tests.handlers.voter_contact.test_meetings import setup

QUESTION = "Bao giờ làm lại cầu Tân Dân?"


async def ask(citizen: Chat, meeting_id: int) -> int:
    await citizen.press("menu:meetings")
    await citizen.press(f"mq:{meeting_id}")
    await citizen.send(QUESTION)
    async with citizen.db.transaction() as session:
        return (await session.execute(select(Petition.id).where(
            Petition.meeting_id == meeting_id))).scalar_one()


async def test_the_question_reaches_the_meetings_delegate_and_no_other(db: Database) -> None:
    office, delegate, citizen, meeting_id = await setup(db)
    other = Chat(db, user_id="7009", runner=office.runner)
    await other.onboard(2)  # a resident of another unit
    await other.new_replies()
    petition_id = await ask(citizen, meeting_id)
    told = await delegate.new_replies()
    assert QUESTION in texts(told) and "Nhà văn hóa ấp Tân Dân" in texts(told)
    assert f"dq:answer:{petition_id}" in actions(told)
    assert QUESTION not in texts(await other.new_replies())
    # Listed in the delegate's meetings too.
    mine = await delegate.press("menu:mymeetings")
    assert f"dq:list:{meeting_id}" in actions(mine) and "Câu hỏi của cử tri: 1" in texts(mine)
    listed = await delegate.press(f"dq:list:{meeting_id}")
    assert f"dq:open:{petition_id}" in actions(listed)
    # The office's card says which meeting the question is for.
    card = texts(await office.press(f"ip:{petition_id}"))
    assert "Câu hỏi cho hội nghị lúc" in card and "Nhà văn hóa ấp Tân Dân" in card


async def test_the_delegate_answers_and_the_voter_receives_it(db: Database) -> None:
    _office, delegate, citizen, meeting_id = await setup(db)
    petition_id = await ask(citizen, meeting_id)
    await citizen.new_replies()
    await delegate.new_replies()
    await delegate.press(f"dq:answer:{petition_id}")
    done = texts(await delegate.send("Cầu sẽ được sửa trong quý I năm sau."))
    assert "đang được gửi đến cử tri" in done
    answer = await citizen.new_replies()
    assert "Cầu sẽ được sửa trong quý I năm sau." in texts(answer)
    assert f"pt:ok:{petition_id}" in actions(answer)
    # Answered once: a second answer changes nothing.
    again = texts(await delegate.press(f"dq:answer:{petition_id}"))
    assert "đã được trả lời rồi" in again
    async with db.transaction() as session:
        petition = await session.get(Petition, petition_id)
        assert petition is not None and petition.status == "answered"
        assert petition.answer == "Cầu sẽ được sửa trong quý I năm sau."


async def test_someone_not_at_the_meeting_can_neither_read_nor_answer(db: Database) -> None:
    office, _delegate, citizen, meeting_id = await setup(db)
    petition_id = await ask(citizen, meeting_id)
    stranger = Chat(db, user_id="7010", runner=office.runner)
    await stranger.onboard(1)
    for action in (f"dq:open:{petition_id}", f"dq:answer:{petition_id}",
                   f"dq:list:{meeting_id}"):
        assert QUESTION not in texts(await stranger.press(action)), action
    await stranger.send("Tôi trả lời thay")
    async with db.transaction() as session:
        petition = await session.get(Petition, petition_id)
        assert petition is not None and petition.status == "received" and not petition.answer


async def test_the_delegates_reminder_the_day_before_counts_the_questions(db: Database) -> None:
    _office, delegate, citizen, meeting_id = await setup(db)
    await ask(citizen, meeting_id)
    await delegate.new_replies()
    async with db.transaction() as session:
        meeting = await session.get(Meeting, meeting_id)
        assert meeting is not None
        await fire_due_reminders(session, now=meeting.starts_at - timedelta(hours=20))
    reminder = await delegate.new_replies()
    assert "Câu hỏi của cử tri đang chờ trả lời: 1" in texts(reminder)
    assert f"dq:list:{meeting_id}" in actions(reminder)


async def test_the_delegate_takes_it_to_the_meeting_and_the_voter_is_told_when_and_where(
    db: Database,
) -> None:
    office, delegate, citizen, meeting_id = await setup(db)
    petition_id = await ask(citizen, meeting_id)
    await citizen.new_replies()
    assert f"dq:take:{petition_id}" in actions(await delegate.new_replies())
    done = texts(await delegate.press(f"dq:take:{petition_id}"))
    assert "sẽ trả lời câu hỏi" in done
    told = texts(await citizen.new_replies())
    assert "tại hội nghị tiếp xúc cử tri" in told and "Nhà văn hóa ấp Tân Dân" in told
    # Once: a second press tells the delegate, and the voter hears nothing more.
    assert "đã hẹn trả lời tại hội nghị" in texts(await delegate.press(f"dq:take:{petition_id}"))
    assert await citizen.new_replies() == []
    # Still open: one of the meeting's opinions, answered there.
    async with db.transaction() as session:
        petition = await session.get(Petition, petition_id)
        assert petition is not None and petition.status == "received"
    stranger = Chat(db, user_id="7011", runner=office.runner)
    await stranger.onboard(1)
    await stranger.press(f"dq:take:{petition_id}")
    assert await citizen.new_replies() == []
