"""Voters' questions for a meeting, as its delegates read and answer them.

A question a resident sends for a coming meeting reaches that meeting's delegates (see
`storage.petitions.petitions.notify_meeting_delegates`); a delegate lists them from
"My meetings", reads one as an agency reads a petition, and answers it here, or takes it to the
meeting. Who may read and answer is decided in storage (`actor_kinds`: "meeting_delegate").
"""

from __future__ import annotations

from handlers.menu import show_menu, show_result
from handlers.petitions.texts import describe_card, snippet, status_name
from handlers.registry import action, choice_number, step
from handlers.turn import Turn
from handlers.values import Choice, Kind
from storage.models import Petition
from storage.petitions.petitions import get_petition, meeting_questions
from storage.petitions.views import petition_card
from storage.petitions.workflow import (
    OPEN,
    BadMove,
    NotYours,
    answer_petition,
    is_meeting_delegate,
    take_question_to_meeting,
)
from storage.voter_contact.meetings import meetings_of_delegate

FLOW = "meeting_question"
MAX_ANSWER = 2000


def _back(turn: Turn) -> Choice:
    return Choice("menu:mymeetings", turn._("↩ My meetings"))


@action("dq:list:*")
async def list_questions(turn: Turn) -> None:
    meeting_id = choice_number(turn.inbound.choice)
    if turn.person is None or meeting_id is None:
        return
    mine = {meeting.id for meeting, _ in await meetings_of_delegate(turn.db, turn.person,
                                                                    turn.now)}
    if meeting_id not in mine:
        await show_menu(turn, turn._("You are not among this meeting's delegates."))
        return
    questions = await meeting_questions(turn.db, meeting_id)
    turn.end()
    lines = [f"• {q.code}: {snippet(q.content, 80)} ({status_name(turn, q.status)})"
             for q in questions]
    turn.say("\n".join(lines) or turn._("No voter has sent a question for this meeting."),
             title=turn._("Voters' questions"),
             choices=[*(Choice(f"dq:open:{q.id}", q.code) for q in questions[:10]),
                      _back(turn)])


async def _question(turn: Turn, petition_id: int | None) -> Petition | None:
    """The question, if this person is a delegate of its meeting; else the menu and None."""
    petition = await get_petition(turn.db, petition_id or 0)
    # Asked without building the card: opening the card is an audited read of personal data,
    # and pressing "answer" or sending the answer reads nothing.
    if (petition is None or turn.person is None
            or not await is_meeting_delegate(turn.db, petition, turn.person)):
        await show_menu(turn, turn._("You cannot open that question."))
        return None
    return petition


@action("dq:open:*")
async def open_question(turn: Turn) -> None:
    petition = await _question(turn, choice_number(turn.inbound.choice))
    if petition is None or turn.person is None:
        return
    card = await petition_card(turn.db, petition, turn.person, turn.today)
    if card is None:
        await show_menu(turn, turn._("You cannot open that question."))
        return
    choices = [_back(turn)]
    if petition.status in OPEN:
        choices[:0] = [Choice(f"dq:answer:{petition.id}", turn._("💬 Answer it here")),
                       Choice(f"dq:take:{petition.id}", turn._("🗣 I will answer at the meeting"))]
    turn.end()
    turn.say(describe_card(turn, card), title=petition.code, choices=choices)


@action("dq:take:*")
async def take_to_meeting(turn: Turn) -> None:
    petition = await _question(turn, choice_number(turn.inbound.choice))
    if petition is None or turn.person is None:
        return
    if await take_question_to_meeting(turn.db, petition, turn.person):
        show_result(turn, turn._("The voter is told you will answer {code} at the meeting.",
                                 code=petition.code))
        return
    await show_menu(turn, turn._("This question was already answered or taken to the "
                                 "meeting."))


@action("dq:answer:*")
async def start_answer(turn: Turn) -> None:
    petition = await _question(turn, choice_number(turn.inbound.choice))
    if petition is None:
        return
    if petition.status not in OPEN:
        await show_menu(turn, turn._("This question has been answered already."))
        return
    turn.go(FLOW, "answer", petition_id=petition.id)
    turn.say(turn._("Type your answer to {code}, as the voter will read it (up to {limit} "
                    "characters).", code=petition.code, limit=MAX_ANSWER),
             choices=[_back(turn)])


@step(FLOW, "answer")
async def on_answer(turn: Turn) -> None:
    text = turn.inbound.text.strip() if turn.inbound.kind is Kind.TEXT else ""
    if not text or len(text) > MAX_ANSWER:
        turn.say(turn._("Please type the answer, up to {limit} characters.", limit=MAX_ANSWER),
                 choices=[_back(turn)])
        return
    petition = await _question(turn, int(turn.data.get("petition_id", 0)))
    if petition is None or turn.person is None:
        return
    try:
        await answer_petition(turn.db, petition, turn.person, text=text, now=turn.now)
    except (BadMove, NotYours):
        await show_menu(turn, turn._("This question has been answered already."))
        return
    show_result(turn, turn._("Your answer to {code} is on its way to the voter.",
                             code=petition.code))
