"""Complaints and denunciations (khiếu nại, tố cáo): not petitions, so the bot shows the lawful way.

The law wants a signed letter or a visit in person with full name and address, and anonymous
denunciations are not processed (domain.md §3). The bot says so plainly, shows the commune's
citizen-reception schedule, and never pretends to have filed anything.
"""

from __future__ import annotations

from handlers.menu import show_menu
from handlers.registry import step
from handlers.turn import Turn
from handlers.understanding import understand
from handlers.values import Choice
from storage.files import store_file
from storage.places import commune_of_person, get_hamlet, province_of

FLOW = "complaint"

LEGAL_MEANINGS = ("complaint", "denunciation")


def looks_like_complaint(text: str) -> bool:
    """Whether a message reads as a complaint or a denunciation.

    The same understanding as at the menu, so one rule recognises them everywhere (with or
    without accents, "khiếu nại" or "thưa kiện", and not when negated).
    """
    return understand(text).meaning in LEGAL_MEANINGS


async def show_complaint_route(turn: Turn, content: str | None = None) -> None:
    """The lawful route; `content` (what was typed) pre-fills the letter to print."""
    _ = turn._
    commune = await commune_of_person(turn.db, turn.person)
    schedule = (commune.reception_schedule if commune else None) or _(
        "Ask the commune People's Committee office for the reception days.")
    text = "\n".join([
        _("A complaint (khiếu nại) or a denunciation (tố cáo) is not a petition. By law it "
          "must be a letter with your full name and address, signed by you, or made in person "
          "at a citizen reception. Anonymous denunciations are not handled."),
        "",
        _("Where to go: the citizen reception of the commune People's Committee."),
        _("Reception schedule: {schedule}", schedule=schedule),
        "",
        _("Bring your identity card and any papers about the matter. Nothing you wrote here "
          "has been filed."),
    ])
    if content is None:
        content = (str(turn.data.get("content", "")) if turn.conversation.flow == "petition"
                   else "")
    turn.go(FLOW, "letter", content=content)
    turn.say(text, choices=[
        Choice("lt:complaint", _("📄 A complaint letter to print and sign")),
        Choice("lt:denunciation", _("📄 A denunciation letter to print and sign")),
        Choice("menu:main", _("↩ Main menu")),
    ])


@step(FLOW, "letter", answers={})
async def on_letter(turn: Turn) -> None:
    kind = (turn.inbound.choice or "").removeprefix("lt:")
    if kind not in ("complaint", "denunciation"):
        await show_menu(turn)
        return
    person = turn.person
    commune = await commune_of_person(turn.db, person)
    hamlet = await get_hamlet(turn.db, person.hamlet_id) if person and person.hamlet_id else None
    province = await province_of(turn.db, commune) if commune else None
    address = ", ".join(part for part in (hamlet.name if hamlet else "",
                                          commune.name if commune else "") if part)
    # The document libraries load when a letter is made, not with the bot.
    from handlers.documents.complaint_letter import build_complaint_letter_docx

    letter = build_complaint_letter_docx(
        kind, commune.name if commune else "", province.name if province else "",
        name=(person.full_name if person else None) or "",
        address=address, phone=(person.phone if person else None) or "",
        content=str(turn.data.get("content", "")),
        today=turn.today,
    )
    name = "don-khieu-nai.docx" if kind == "complaint" else "don-to-cao.docx"
    stored = store_file(turn.db, name, letter, owner_id=person.id if person else None)
    turn.end()
    turn.say(turn._("Here is the letter. Print it, complete the dotted lines by hand, sign it "
                    "and bring or send it to the commune People's Committee."),
             file=(stored.token, stored.name))
    await show_menu(turn)
