"""The office answers alike questions once, in the chat; each person who asked receives it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.db import Database
from storage.dialogues.dialogues import RegistrationForm, register_household
from storage.models import Commune, Dialogue, HamletQuota, Petition
from storage.models.base import utcnow
from tests.chat import Chat, actions, texts
from tests.handlers.voter_contact.test_meetings import setup

SAME = ["Khi nào sửa đường liên ấp Tân Dân?", "khi nao sua duong lien ap tan dan",
        "Xin hỏi bao giờ sửa đường liên ấp Tân Dân ạ"]
OTHER = "Khi nào có tiền hỗ trợ hộ nghèo?"
ANSWER = "Quý 3 năm nay xã khởi công sửa đường liên ấp Tân Dân."


async def voters_asking(db: Database, office: Chat, meeting_id: int,
                        questions: list[str]) -> list[Chat]:
    voters = []
    for number, question in enumerate(questions):
        voter = Chat(db, user_id=f"72{number:02d}", runner=office.runner)
        await voter.onboard(1)
        await voter.press(f"mq:{meeting_id}")
        assert "KN-" in texts(await voter.send(question))
        voters.append(voter)
    return voters


async def test_three_voters_asking_the_same_get_one_answer_and_the_fourth_none(
    db: Database,
) -> None:
    office, delegate, _citizen, meeting_id = await setup(db)
    voters = await voters_asking(db, office, meeting_id, [*SAME, OTHER])
    await office.new_replies()
    await delegate.new_replies()

    assert "qg:meetings" in actions(await office.press("menu:officemeetings"))
    groups = await office.press("qg:meetings")
    shown = texts(groups)
    assert "1. 3 người hỏi: Khi nào sửa đường" in shown and "2. 1 người hỏi" in shown
    group = texts(await office.press("qgo:1"))
    async with db.transaction() as session:
        codes = {p.content: p.code for p in (await session.execute(select(Petition))).scalars()}
    assert all(codes[q] in group for q in SAME) and codes[OTHER] not in group
    assert "3 người" in texts(await office.press("qga"))
    done = texts(await office.send(ANSWER))
    assert "3 người đã hỏi" in done

    for voter in voters[:3]:
        told = texts(await voter.new_replies())
        assert ANSWER in told
        # Each reads their own question's code, never another asker's.
        assert sum(code in told for code in codes.values()) == 1
    assert await voters[3].new_replies() == []
    async with db.transaction() as session:
        statuses = {p.content: p.status for p in (await session.execute(select(Petition))
                                                  ).scalars()}
    assert statuses == {**dict.fromkeys(SAME, "answered"), OTHER: "received"}
    left = texts(await office.press("qg:meetings"))
    assert "Có 1 câu hỏi đang chờ" in left


async def test_a_question_taken_out_of_the_group_is_not_answered(db: Database) -> None:
    office, _delegate, _citizen, meeting_id = await setup(db)
    voters = await voters_asking(db, office, meeting_id, SAME)
    await office.press("qg:meetings")
    await office.press("qgo:1")
    async with db.transaction() as session:
        last = (await session.execute(select(Petition).where(
            Petition.content == SAME[2]))).scalar_one()
    smaller = await office.press(f"qgx:{last.id}")
    assert last.code not in texts(smaller) and "2 người hỏi" in texts(smaller)
    await office.press("qga")
    assert "2 người đã hỏi" in texts(await office.send(ANSWER))
    assert ANSWER not in texts(await voters[2].new_replies())
    assert ANSWER in texts(await voters[0].new_replies())


async def test_households_asking_alike_on_their_forms_are_answered_together(
    db: Database,
) -> None:
    office, delegate, citizen, _meeting_id = await setup(db)
    households = [citizen, delegate]  # both live in Ấp Tân Dân
    people = [await chat.person() for chat in households]
    async with db.transaction() as session:
        commune = (await session.execute(select(Commune))).scalars().first()
        assert commune is not None
        dialogue = Dialogue(commune_id=commune.id, title="Đối thoại 2026", place="Xã",
                            starts_at=utcnow() + timedelta(days=5), topics=["job_loans"],
                            categories=["poor"], registration_until=utcnow() + timedelta(days=4))
        session.add(dialogue)
        await session.flush()
        hamlet_id = people[0].hamlet_id if people[0] else None
        assert hamlet_id is not None
        session.add(HamletQuota(dialogue_id=dialogue.id, hamlet_id=hamlet_id, seats=5))
        await session.flush()
        for person, question in zip(people, ["Khi nào được vay vốn nuôi bò?",
                                             "khi nao duoc vay von nuoi bo a"], strict=True):
            assert person is not None
            await register_household(session, dialogue, person, RegistrationForm(
                hamlet_id=hamlet_id, representative="Hộ", category="poor",
                topics=("job_loans",), questions=question))
        dialogue_id = dialogue.id
    for chat in households:
        await chat.new_replies()
    assert f"qg:dialogue:{dialogue_id}" in actions(await office.press(f"dlo:{dialogue_id}"))
    assert "1. 2 người hỏi" in texts(await office.press(f"qg:dialogue:{dialogue_id}"))
    await office.press("qgo:1")
    await office.press("qga")
    assert "2 người đã hỏi" in texts(await office.send("Tháng 7 ngân hàng giải ngân."))
    for chat in households:
        assert "giải ngân" in texts(await chat.new_replies())
    # Nobody else may open the groups.
    assert "người hỏi" not in texts(await citizen.press(f"qg:dialogue:{dialogue_id}"))
    assert "người hỏi" not in texts(await delegate.press("qg:meetings"))
