"""Alike questions grouped and answered once: each asker receives the answer, nobody else."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.dialogues.dialogues import RegistrationForm, register_household
from storage.models import (
    AuditEntry,
    ChannelIdentity,
    Dialogue,
    OutboxMessage,
)
from storage.permissions import NotAllowed
from storage.question_groups import (
    DIALOGUE,
    Asked,
    GroupRefused,
    answer_group,
    dialogue_question_groups,
    group_alike,
)
from tests.factories import citizen, staff
from tests.storage.dialogues.test_dialogues import T0, new_dialogue

ROAD = "Khi nào sửa đường liên ấp Tân Dân?"


def asked(*texts: str) -> list[Asked]:
    return [Asked(n, f"KN-{n}", text, None) for n, text in enumerate(texts, start=1)]


def test_the_same_question_typed_differently_is_one_group() -> None:
    groups = group_alike(asked(
        ROAD,
        "Xin hỏi: bao giờ có tiền hỗ trợ hộ nghèo?",
        "khi nao sua duong lien ap tan dan",  # no accents, no question mark
        "Khi nào sửa đường liên ấp Tân Dân ạ?",  # a polite word more
        "Sửa đường liên ấp Tân Dân khi nào?",  # another word order
        "Xin hỏi bao giờ sửa đường liên ấp Tân Dân",  # "bao giờ" is "khi nào"
        "Khi nào sửa đườg liên ấp Tân Dân?",  # a typing slip
    ))
    assert [g.ids for g in groups] == [[1, 3, 4, 5, 6, 7], [2]]


def test_questions_on_one_subject_that_ask_different_things_stay_apart() -> None:
    groups = group_alike(asked(
        ROAD,
        "Đường liên ấp Tân Dân",  # shares words, but is not the question
        "Khi nào sửa đường liên ấp Tân Hùng?",
        "Ai chịu trách nhiệm sửa đường liên ấp Tân Dân bị sạt lở sau mưa lũ năm nay?",
        "",
    ))
    assert all(len(g.questions) == 1 for g in groups)


async def notices(db: Database, notice: str) -> Counter[int]:
    async with db.transaction() as session:
        rows = (await session.execute(
            select(OutboxMessage.payload, ChannelIdentity.person_id)
            .join(ChannelIdentity, ChannelIdentity.id == OutboxMessage.identity_id))).all()
    return Counter(person for payload, person in rows if payload.get("notice") == notice)


async def test_a_dialogue_group_answered_once_reaches_each_household_that_asked_it(
    db: Database,
) -> None:
    dialogue_id, hamlets = await new_dialogue(db, {"Ấp Tân Dân": 10})
    office = await staff(db, "office")
    written = ["Khi nào được vay vốn nuôi bò?", "khi nao duoc vay von nuoi bo",
               "Xin cấp thẻ bảo hiểm y tế cho con", "Khi nào được vay vốn nuôi bò ạ?"]
    people = [await citizen(db, f"hh{n}", "Ấp Tân Dân") for n in range(len(written))]
    async with db.transaction() as session:
        dialogue = await session.get(Dialogue, dialogue_id)
        assert dialogue is not None
        for person, questions in zip(people, written, strict=True):
            await register_household(session, dialogue, person, RegistrationForm(
                hamlet_id=hamlets["Ấp Tân Dân"], representative="Hộ", category="poor",
                topics=("job_loans",), questions=questions), now=T0)
        groups = await dialogue_question_groups(session, office, dialogue)
        assert [len(g.questions) for g in groups] == [3, 1]
        with pytest.raises(NotAllowed):
            await dialogue_question_groups(session, people[0], dialogue)
        with pytest.raises(GroupRefused):
            await answer_group(session, office, DIALOGUE, dialogue_id, groups[0].ids, "  ")
        count = await answer_group(session, office, DIALOGUE, dialogue_id, groups[0].ids,
                                   "Tháng 7 ngân hàng chính sách giải ngân.")
        assert count == 3
        # Answered once: the same group again answers nobody twice.
        assert await answer_group(session, office, DIALOGUE, dialogue_id, groups[0].ids,
                                  "Lần hai") == 0
        assert len(await dialogue_question_groups(session, office, dialogue)) == 1
        together = (await session.execute(select(AuditEntry).where(
            AuditEntry.action == "questions.answered_together"))).scalar_one()
        assert together.actor_id == office.id
    assert await notices(db, "dialogue_answer") == {people[n].id: 1 for n in (0, 1, 3)}

