"""Words shared by the petition screens: status names, competences, a petition's card."""

from __future__ import annotations

from handlers.dates import format_date, format_datetime
from handlers.i18n import N_, Translator
from handlers.turn import Turn
from storage.petitions.views import PetitionCard

STATUS_NAMES = {
    "submitted": N_("sent to the commune"),
    "received": N_("received"),
    "classified": N_("being examined"),
    "forwarded": N_("sent to the agency"),
    "answered": N_("answered"),
    "closed": N_("closed"),
    "reopened": N_("reopened"),
    "merged": N_("merged with a similar petition"),
    "rejected": N_("not accepted"),
}
COMPETENCE_NAMES = {
    "commune": N_("Commune level"),
    "province": N_("Province level"),
    "central": N_("Central level"),
    "utility": N_("Utility (power, water, telecoms)"),
}


def status_name(t: Translator | Turn, status: str) -> str:
    return t._(STATUS_NAMES.get(status, status))


def competence_name(turn: Turn, competence: str) -> str:
    return turn._(COMPETENCE_NAMES.get(competence, competence))


def snippet(text: str, length: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"


def describe_card(turn: Turn, card: PetitionCard) -> str:
    """A petition as staff and agencies read it; the card already hides what they may not see."""
    _ = turn._
    p = card.petition
    lines = [
        _("Status: {status}", status=status_name(turn, p.status)),
        _("Received: {date}", date=format_datetime(p.created_at, turn.config.timezone)),
    ]
    if card.hamlet:
        lines.append(_("Hamlet: {value}", value=card.hamlet))
    if card.field:
        lines.append(_("Field: {value}", value=card.field))
    if p.competence:
        lines.append(_("Competence: {value}", value=competence_name(turn, p.competence)))
    if card.agency:
        lines.append(_("Agency: {value}", value=card.agency))
    if p.due_on:
        lines.append(_("Answer due: {date}", date=format_date(p.due_on)) + (
            " ⚠️ " + _("overdue") if card.overdue else ""))
    who = card.petitioner
    if who.name is not None:
        lines.append(_("Petitioner: {value}", value=who.name))
    if who.phone is not None:
        lines.append(_("Phone: {value}", value=who.phone))
    if who.address:
        lines.append(_("Address: {value}", value=who.address))
    if who.latitude is not None and who.longitude is not None:
        lines.append(
            _("Area (within about 1 km): {lat:.2f}, {lon:.2f}", lat=who.latitude,
              lon=who.longitude) if who.coarse else
            _("Location: {lat:.5f}, {lon:.5f}", lat=who.latitude, lon=who.longitude))
    if card.attachments:
        lines.append(_("Attachments: {count}", count=card.attachments))
    if card.similar:
        lines.append(_("⚠️ It may be the same as {codes}.", codes=", ".join(card.similar)))
    if p.source == "meeting":
        lines.append(_("Collected at a meeting: {value}", value=p.source_note or ""))
    if p.source == "question" and card.meeting is not None:
        lines.append(_("Question for the meeting at {when}, {place}",
                       when=format_datetime(card.meeting.starts_at, turn.config.timezone),
                       place=card.meeting.place))
    lines += ["", p.content]
    if p.answer:
        lines += ["", _("Answer: {text}", text=p.answer)]
    return "\n".join(lines)
