"""Questions that say the same thing, grouped so the office answers them once.

Two kinds of questions wait for the office: voters' questions for a meeting (petitions with
source "question") and the questions households wrote on a dialogue's request form. Many are
the same question ("khi nào sửa đường liên ấp?") typed by different people, with or without
accents, in another word order, with a polite word more ("ạ", "xin hỏi"), "bao giờ" for "khi
nào", or a typing slip. Two questions are the same when their words are, after folding (lower
case, no diacritics, no punctuation): each word not found in the other must pair with a word
rapidfuzz finds nearly equal. A character ratio over the whole text was tried first and joined
"... ấp Tân Dân?" with "... ấp Tân Hùng?" (90%): a single other name is another question. The
office may still take a question out of a group before answering.

Answering a group answers each question through its own operation (`answer_petition`,
`answer_questions`): each asker receives the answer through the outbox, under the same rules
as one answered alone, and sees nobody else's question or name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit import record_action, record_read
from storage.dialogues.dialogues import answer_questions, questions_to_answer
from storage.folding import fold
from storage.models import Dialogue, Person, Petition
from storage.permissions import OFFICE_ROLES, require_role
from storage.petitions.workflow import OPEN, BadMove, NotYours, answer_petition
from storage.refusals import Refused

MEETING, DIALOGUE = "meeting", "dialogue"
# From this rapidfuzz ratio, two different words are one word mistyped ("duong", "duon").
TYPO = 80.0
# Words that make a question polite, not different (folded).
POLITE = frozenset({"a", "ah", "da", "thua", "xin", "hoi", "cho", "nhe", "oi", "vui", "long"})
# Ways of asking the same thing (folded), written as the first.
SAME_ASKING = (("bao gio", "khi nao"), ("luc nao", "khi nao"), ("bao nhieu lau", "khi nao"))
# A commune's waiting questions are a few hundred at most; grouping is pairwise in Python.
LIMIT = 500


class GroupRefused(Refused):
    """The group cannot be answered (an empty answer, an unknown kind...)."""


@dataclass(frozen=True)
class Asked:
    id: int  # the petition's, or the registration's
    label: str  # its code, as the office knows it
    text: str
    person_id: int | None  # who asked: for `about` on screens that show the text


@dataclass(frozen=True)
class QuestionGroup:
    questions: tuple[Asked, ...]

    @property
    def ids(self) -> list[int]:
        return [q.id for q in self.questions]


def words_of(text: str) -> list[str]:
    """The words that carry the question: folded, without punctuation or polite words."""
    flat = " " + " ".join(re.sub(r"[^\w\s]", " ", fold(text)).split()) + " "
    for said, meant in SAME_ASKING:
        flat = flat.replace(f" {said} ", f" {meant} ")
    return [word for word in flat.split() if word not in POLITE]


def same_question(first: list[str], other: list[str]) -> bool:
    """The same words, in any order, but for words mistyped."""
    if not first or not other:
        return False
    left = list(first)
    unmatched = []
    for word in other:
        if word in left:
            left.remove(word)
        else:
            unmatched.append(word)
    if len(left) != len(unmatched):
        return False
    for word in unmatched:
        near = max(left, key=lambda candidate: fuzz.ratio(word, candidate))
        if fuzz.ratio(word, near) < TYPO:
            return False
        left.remove(near)
    return True


def group_alike(questions: list[Asked]) -> list[QuestionGroup]:
    """Questions in groups of the same question; the biggest groups first, then oldest.

    Each question joins the first group whose first question it matches; order is kept.
    """
    groups: list[tuple[list[str], list[Asked]]] = []
    for question in questions:
        words = words_of(question.text)
        for first, members in groups:
            if same_question(first, words):
                members.append(question)
                break
        else:
            groups.append((words, [question]))
    ordered = sorted(groups, key=lambda group: -len(group[1]))
    return [QuestionGroup(tuple(members)) for _, members in ordered]


async def meeting_question_groups(db: AsyncSession, actor: Person, commune_id: int
                                  ) -> list[QuestionGroup]:
    """The commune's voters' questions for meetings still waiting for an answer, grouped."""
    await require_role(db, actor, commune_id, OFFICE_ROLES)
    query = (
        select(Petition)
        .where(Petition.commune_id == commune_id, Petition.source == "question",
               Petition.status.in_([s.value for s in OPEN]))
        .order_by(Petition.id)
        .limit(LIMIT)
    )
    waiting = list((await db.execute(query)).scalars())
    return group_alike([Asked(p.id, p.code, p.content, p.person_id) for p in waiting])


async def dialogue_question_groups(db: AsyncSession, actor: Person, dialogue: Dialogue
                                   ) -> list[QuestionGroup]:
    """A dialogue's households' questions still waiting, grouped; the read is audited."""
    waiting = await questions_to_answer(db, actor, dialogue)
    record_read(db, actor_id=actor.id, subject_type="dialogue", subject_id=dialogue.id,
                what="questions")
    return group_alike([Asked(r.id, r.code, r.questions, r.person_id) for r in waiting])


async def answer_group(
    db: AsyncSession, actor: Person, kind: str, subject_id: int, ids: list[int], text: str,
    *, now: datetime | None = None,
) -> int:
    """Answer every question of the group still waiting; how many were answered.

    `subject_id` is the commune (meeting questions) or the dialogue. A question answered
    meanwhile, or not of this subject, is left alone.
    """
    text = text.strip()
    if not text:
        raise GroupRefused("empty")
    answered: list[int] = []
    if kind == MEETING:
        await require_role(db, actor, subject_id, OFFICE_ROLES)
        petitions = (await db.execute(select(Petition).where(
            Petition.id.in_(ids), Petition.commune_id == subject_id,
            Petition.source == "question").order_by(Petition.id))).scalars()
        for petition in petitions:
            if petition.status not in OPEN:
                continue
            try:
                await answer_petition(db, petition, actor, text=text, now=now)
            except (BadMove, NotYours):
                continue
            answered.append(petition.id)
    elif kind == DIALOGUE:
        dialogue = await db.get(Dialogue, subject_id)
        if dialogue is None:
            raise GroupRefused("unknown")
        for registration in await questions_to_answer(db, actor, dialogue):
            if registration.id in ids:
                await answer_questions(db, actor, registration, text, now=now)
                answered.append(registration.id)
    else:
        raise GroupRefused("unknown")
    if len(answered) > 1:
        record_action(db, action="questions.answered_together", subject_type=kind,
                      subject_id=subject_id, actor_id=actor.id, after={"ids": answered})
    return len(answered)

