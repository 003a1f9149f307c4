"""The main menu, help, and the polite answers to input a step did not expect."""

from __future__ import annotations

from handlers.i18n import N_
from handlers.registry import action, choice_number, command
from handlers.turn import Turn
from handlers.values import Choice, Kind
from storage.models import Commune
from storage.permissions import STAFF_ROLES, communes_where, provinces_administered, roles_held
from storage.places import commune_of_person, list_communes

# A phone screen holds about six buttons, and Zalo shows choices as a numbered list: the
# main menu keeps to six and the rest waits behind "More".
MENU_SIZE = 6


def citizen_choices(turn: Turn) -> list[Choice]:
    _ = turn._
    return [
        Choice("menu:petition", _("✍️ Send a petition")),
        Choice("menu:mypetitions", _("📂 My petitions")),
        Choice("menu:meetings", _("📅 Voter-contact meetings")),
        Choice("menu:dialogue", _("🤝 Register for a dialogue")),
        Choice("menu:help", _("❓ Help")),
    ]


def more_choices(turn: Turn) -> list[Choice]:
    _ = turn._
    return [
        Choice("menu:mydata", _("📋 My data")),
        Choice("menu:hamlet", _("🏡 Change my hamlet")),
        Choice("menu:phone", _("📱 Phone number and linking")),
        Choice("menu:settings", _("🔔 Announcements I receive")),
        Choice("menu:language", _("🌐 Language")),
        Choice("menu:forget", _("🗑 Delete my data")),
    ]


async def staff_choices(turn: Turn) -> list[Choice]:
    """What this person's roles let them do, most used first."""
    if turn.person is None:
        return []
    _ = turn._
    roles = await roles_held(turn.db, turn.person)
    staff = []
    # Someone working for several communes first needs to know, and choose, which one. A
    # province's admin holds the role "admin": most people hold none, and skip the question.
    if roles and await provinces_administered(turn.db, turn.person):
        staff.append(Choice("menu:province", _("🗺 Province overview")))
    if roles and len(await communes_where(turn.db, turn.person, STAFF_ROLES)) > 1:
        staff.append(Choice("menu:commune", _("🏛 Change the commune I work in")))
    if roles & {"office", "admin"}:
        staff += [Choice("menu:inbox", _("📥 Petition inbox")),
                  Choice("menu:broadcast", _("📢 Send an announcement")),
                  Choice("menu:report", _("📊 Petition report")),
                  Choice("menu:plan", _("🗓 Import the voter-contact plan")),
                  Choice("menu:officemeetings", _("🕑 Coming meetings: who attends, move, cancel")),
                  Choice("menu:dialogues", _("🤝 Dialogues")),
                  Choice("menu:posters", _("🖨 Posters to print")),
                  Choice("menu:broadcasts", _("📊 Announcements sent"))]
    if "delegate" in roles:
        staff.append(Choice("menu:mymeetings", _("🗓 My meetings")))
        staff.append(Choice("menu:dossier", _("📁 Voter-contact dossier")))
    if roles & {"delegate", "office", "admin"}:
        staff.append(Choice("menu:collect", _("📝 Enter petitions from a meeting")))
    if "agency" in roles:
        staff.append(Choice("menu:agency", _("📥 Petitions to answer")))
    if "admin" in roles:
        staff += [Choice("menu:invite", _("✉️ Invite staff and delegates")),
                  Choice("menu:setup", _("🏛 Commune setup"))]
    if roles & {"office", "admin"}:
        # A few times a year, after each session: behind the daily work.
        staff.append(Choice("menu:reportback", _("📣 Report back to voters")))
        # Last: the same work on a computer, asked for once a day at most.
        staff.append(Choice("menu:panel", _("🖥 Web panel on a computer")))
    return staff


async def _menu_page(turn: Turn, page: int) -> tuple[str, list[Choice]] | None:
    """Page 0 is the main menu; each page holds five items and "More" (or the way back).

    The person's roles are read once: they decide both the items and how the person is
    addressed (staff as colleagues, "anh/chị"; citizens as "bà con").
    """
    staff = await staff_choices(turn)
    everything = staff + citizen_choices(turn) + more_choices(turn)
    size = MENU_SIZE - 1
    shown = everything[page * size:(page + 1) * size]
    if not shown:
        return None
    further = (page + 1) * size < len(everything)
    last = (Choice(f"menu:more:{page + 1}", turn._("➕ More")) if further
            else Choice("menu:main", turn._("↩ Main menu")))
    question = (turn._("Choose the work to do.") if staff
                else turn._("What would you like to do?"))
    return question, [*shown, last]


async def main_menu_choices(turn: Turn) -> list[Choice]:
    """At most six items and "More": staff see their own work first, citizens' after."""
    first = await _menu_page(turn, 0)
    assert first is not None  # citizens' items are always there
    return first[1]


@action("menu:more:*")
async def show_more(turn: Turn) -> None:
    """The next page of the menu; past the last page, the main menu."""
    found = await _menu_page(turn, choice_number(turn.inbound.choice) or 1)
    if found is None:
        await show_menu(turn)
        return
    turn.end()
    turn.say(found[0], choices=found[1])


async def show_menu(turn: Turn, text: str | None = None) -> None:
    turn.end()
    question, choices = await _menu_page(turn, 0) or ("", [])
    turn.say(text or question, choices=choices)


def show_result(turn: Turn, text: str, *, title: str | None = None,
                file: tuple[str, str] | None = None) -> None:
    """A receipt (a code, a date, a place) with one short line under it, not the menu.

    A long list would push the code off a phone screen; the way back to the menu is one press.
    """
    turn.end()
    turn.say(text, title=title, file=file, choices=[Choice("menu:main", turn._("↩ Main menu"))])


@command("menu", N_("Main menu"))
async def menu_command(turn: Turn) -> None:
    await show_menu(turn)


async def _commune_to_contact(turn: Turn) -> Commune | None:
    """The citizen's own commune; when it is not known yet, the only one there is."""
    commune = await commune_of_person(turn.db, turn.person)
    if commune is None:
        communes = await list_communes(turn.db)
        commune = communes[0] if len(communes) == 1 else None
    return commune


@command("help", N_("How to use this bot"))
async def help_command(turn: Turn) -> None:
    _ = turn._
    lines = [_("I am the automated assistant of the commune People's Council. The office staff "
               "read and answer what you send.\n\nChoose what you need from the list below. On "
               "Zalo, type the number of your choice; type “menu” to see the list again.")]
    commune = await _commune_to_contact(turn)
    if commune is not None:
        lines += ["", _("Contact the office of {commune}:", commune=commune.name)]
        for label, value in ((_("☎ Phone: {value}"), commune.office_phone),
                             (_("🏠 Address: {value}"), commune.address),
                             (_("🕗 Opening hours: {value}"), commune.opening_hours),
                             (_("👥 Receiving citizens: {value}"), commune.reception_schedule)):
            if value:
                lines.append(label.format(value=value))
    turn.say("\n".join(lines), title=_("Help and contact"))
    if turn.person is not None:
        await show_menu(turn)


@command("cancel", N_("Stop what you are doing"))
async def cancel_command(turn: Turn) -> None:
    turn.end()
    if turn.person is None:
        turn.say(turn._("Stopped. Type /start when you want to begin."))
        return
    await show_menu(turn, turn._("Stopped. Nothing was changed."))


def describe_unexpected(turn: Turn) -> str:
    """A short hint that names what arrived, so the person knows why it was not used."""
    _ = turn._
    kind = turn.inbound.kind
    if kind in (Kind.PHOTO, Kind.FILE, Kind.VOICE, Kind.STICKER, Kind.LOCATION):
        return _("I cannot use a photo, file, voice message, sticker or location here.")
    if kind is Kind.CONTACT:
        return _("I did not ask for a phone number here.")
    if kind is Kind.UNSUPPORTED:
        # Also what Zalo sends, without content, for protected users (children...).
        return _("I cannot read this kind of message.")
    if kind is Kind.CHOICE:
        return _("That button is no longer valid.")
    return _("Sorry, I did not understand that.")


async def answer_unexpected(turn: Turn) -> None:
    await show_menu(turn, describe_unexpected(turn))
