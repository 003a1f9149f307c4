"""The office answers alike questions once: voters' questions for meetings, dialogue forms.

The office sees the waiting questions in groups of the same question, opens a group, may take
a question out of it, and types one answer; each person who asked receives it (storage does
the grouping and the answering: `storage.question_groups`).
"""

from __future__ import annotations

from handlers.menu import show_menu, show_result
from handlers.petitions.texts import snippet
from handlers.registry import action, choice_number, step
from handlers.turn import Turn
from handlers.values import Choice, Kind
from handlers.working_commune import working_commune
from storage.dialogues.dialogues import get_dialogue
from storage.permissions import OFFICE_ROLES, NotAllowed
from storage.question_groups import (
    DIALOGUE,
    MEETING,
    Asked,
    GroupRefused,
    QuestionGroup,
    answer_group,
    dialogue_question_groups,
    meeting_question_groups,
)

FLOW = "grouped_answers"
MAX_ANSWER = 2000
SHOWN_GROUPS = 10
SHOWN_IN_GROUP = 15


def _back(turn: Turn) -> Choice:
    if turn.data.get("kind") == DIALOGUE:
        return Choice(f"dlo:{turn.data.get('subject')}", turn._("↩ Dialogues"))
    return Choice("menu:officemeetings", turn._("↩ Coming meetings"))


@action("qg:meetings")
async def show_meeting_groups(turn: Turn) -> None:
    commune_id = await working_commune(turn, OFFICE_ROLES)
    if commune_id is None or turn.person is None:
        await show_menu(turn, turn._("Only the commune office can answer these questions."))
        return
    groups = await meeting_question_groups(turn.db, turn.person, commune_id)
    await _show_groups(turn, MEETING, commune_id, groups)


@action("qg:dialogue:*")
async def show_dialogue_groups(turn: Turn) -> None:
    await _dialogue_groups(turn, choice_number(turn.inbound.choice) or 0)


async def _dialogue_groups(turn: Turn, dialogue_id: int) -> None:
    dialogue = await get_dialogue(turn.db, dialogue_id)
    if dialogue is None or turn.person is None:
        await show_menu(turn, turn._("That dialogue no longer exists."))
        return
    try:
        groups = await dialogue_question_groups(turn.db, turn.person, dialogue)
    except NotAllowed:
        await show_menu(turn, turn._("Only the commune office can answer these questions."))
        return
    await _show_groups(turn, DIALOGUE, dialogue.id, groups)


async def _show_groups(turn: Turn, kind: str, subject: int,
                       groups: list[QuestionGroup]) -> None:
    turn.go(FLOW, "groups", kind=kind, subject=subject, groups=[g.ids for g in groups])
    if not groups:
        turn.end()
        turn.say(turn._("No question is waiting for an answer."), choices=[_back(turn)])
        return
    waiting = sum(len(g.questions) for g in groups)
    lines = [turn._("{count} questions are waiting. Questions that say the same thing are put "
                    "together: answer a group once, and everyone who asked receives the "
                    "answer.", count=waiting), ""]
    shown = groups[:SHOWN_GROUPS]
    for number, group in enumerate(shown, start=1):
        lines.append(turn._("{number}. Asked by {count}: {text}", number=number,
                            count=len(group.questions),
                            text=snippet(group.questions[0].text, 70)))
    turn.say("\n".join(lines), title=turn._("Questions answered together"),
             choices=[*(Choice(f"qgo:{number}", turn._("Group {number} ({count})", number=number,
                                                        count=len(group.questions)))
                        for number, group in enumerate(shown, start=1)), _back(turn)],
             about=[q.person_id for g in shown for q in g.questions])


async def _regroup(turn: Turn) -> None:
    """The groups again, read fresh: answered questions drop out, new ones come in."""
    if turn.data.get("kind") == DIALOGUE:
        await _dialogue_groups(turn, int(turn.data.get("subject", 0)))
    else:
        await show_meeting_groups(turn)


async def _group(turn: Turn, ids: list[int]) -> list[Asked]:
    """The questions with these ids still waiting, read fresh (the office's right re-checked)."""
    if turn.person is None:
        return []
    kind, subject = turn.data.get("kind"), int(turn.data.get("subject", 0))
    if kind == DIALOGUE:
        dialogue = await get_dialogue(turn.db, subject)
        groups = await dialogue_question_groups(turn.db, turn.person, dialogue) if (
            dialogue is not None) else []
    else:
        groups = await meeting_question_groups(turn.db, turn.person, subject)
    waiting = {q.id: q for g in groups for q in g.questions}
    return [waiting[i] for i in ids if i in waiting]


@step(FLOW, "groups")
async def on_group_chosen(turn: Turn) -> None:
    groups: list[list[int]] = [list(map(int, g)) for g in turn.data.get("groups", [])]
    number = choice_number(turn.inbound.choice) if turn.inbound.kind is Kind.CHOICE else None
    if number is None or not 1 <= number <= len(groups):
        await _regroup(turn)
        return
    await _show_group(turn, groups[number - 1])


async def _show_group(turn: Turn, ids: list[int]) -> None:
    try:
        questions = await _group(turn, ids)
    except NotAllowed:
        await show_menu(turn, turn._("Only the commune office can answer these questions."))
        return
    if not questions:
        await _regroup(turn)
        return
    turn.go(FLOW, "group", chosen=[q.id for q in questions])
    lines = [f"• {q.label}: {snippet(q.text, 300)}" for q in questions[:SHOWN_IN_GROUP]]
    if len(questions) > SHOWN_IN_GROUP:
        lines.append(turn._("… and {count} more.", count=len(questions) - SHOWN_IN_GROUP))
    choices = [Choice("qga", turn._("💬 Answer all {count} at once", count=len(questions)))]
    if len(questions) > 1:
        choices += [Choice(f"qgx:{q.id}", turn._("✂ Take out {code}", code=q.label))
                    for q in questions[:8]]
    choices.append(Choice("qgb", turn._("↩ All groups")))
    turn.say("\n".join(lines), title=turn._("{count} people asked this", count=len(questions)),
             choices=choices, about=[q.person_id for q in questions[:SHOWN_IN_GROUP]])


@step(FLOW, "group")
async def on_group_step(turn: Turn) -> None:
    chosen = [int(i) for i in turn.data.get("chosen", [])]
    pressed = (turn.inbound.choice or "") if turn.inbound.kind is Kind.CHOICE else ""
    if pressed == "qga":
        turn.go(FLOW, "answer")
        turn.say(turn._("Type the answer, as each person who asked will read it (up to {limit} "
                        "characters). It goes to {count} people.", limit=MAX_ANSWER,
                        count=len(chosen)), choices=[Choice("qgb", turn._("✖ Cancel"))])
        return
    if pressed.startswith("qgx:"):
        taken_out = choice_number(pressed)
        await _show_group(turn, [i for i in chosen if i != taken_out])
        return
    await _regroup(turn)


@step(FLOW, "answer")
async def on_answer(turn: Turn) -> None:
    if turn.inbound.kind is Kind.CHOICE:
        await _regroup(turn)
        return
    text = turn.inbound.text.strip() if turn.inbound.kind is Kind.TEXT else ""
    if not text or len(text) > MAX_ANSWER or turn.person is None:
        turn.say(turn._("Please type the answer in words, up to {limit} characters.",
                        limit=MAX_ANSWER), choices=[Choice("qgb", turn._("✖ Cancel"))])
        return
    try:
        count = await answer_group(turn.db, turn.person, str(turn.data.get("kind")),
                                   int(turn.data.get("subject", 0)),
                                   [int(i) for i in turn.data.get("chosen", [])], text,
                                   now=turn.now)
    except (GroupRefused, NotAllowed):
        await show_menu(turn, turn._("Nothing was sent."))
        return
    show_result(turn, turn._("Your answer is on its way to the {count} people who asked.",
                             count=count))
