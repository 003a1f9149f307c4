"""The main menu, help, and the polite answers to input a step did not expect."""

from __future__ import annotations

from handlers.i18n import N_
from handlers.registry import command
from handlers.turn import Turn
from handlers.values import Choice, Kind
from storage.people.roles import roles_of


async def main_menu_choices(turn: Turn) -> list[Choice]:
    _ = turn._
    choices = [
        Choice("menu:petition", _("✍️ Send a petition")),
        Choice("menu:mypetitions", _("📂 My petitions")),
        Choice("menu:meetings", _("📅 Voter-contact meetings")),
        Choice("menu:dialogue", _("🤝 Register for a dialogue")),
        Choice("menu:mydata", _("📋 My data")),
        Choice("menu:hamlet", _("🏡 Change my hamlet")),
        Choice("menu:phone", _("📱 Phone number and linking")),
        Choice("menu:settings", _("🔔 Announcements I receive")),
        Choice("menu:language", _("🌐 Language")),
        Choice("menu:help", _("❓ Help")),
        Choice("menu:forget", _("🗑 Delete my data")),
    ]
    if turn.person is not None:
        roles = {grant.role for grant in await roles_of(turn.db, turn.person.id)}
        staff = []
        if roles & {"office", "admin"}:
            staff += [Choice("menu:inbox", _("📥 Petition inbox")),
                      Choice("menu:report", _("📊 Petition report")),
                      Choice("menu:plan", _("🗓 Import the voter-contact plan")),
                      Choice("menu:officemeetings", _("🕑 Move or cancel a meeting")),
                      Choice("menu:dialogues", _("🤝 Dialogues")),
                      Choice("menu:posters", _("🖨 Posters to print"))]
            staff += [Choice("menu:broadcast", _("📢 Send an announcement")),
                      Choice("menu:broadcasts", _("📊 Announcements sent"))]
        if "delegate" in roles:
            staff.append(Choice("menu:mymeetings", _("🗓 My meetings")))
        if roles & {"delegate", "office", "admin"}:
            staff.append(Choice("menu:collect", _("📝 Enter petitions from a meeting")))
        if "agency" in roles:
            staff.append(Choice("menu:agency", _("📥 Petitions to answer")))
        if "admin" in roles:
            staff.append(Choice("menu:invite", _("✉️ Invite staff and delegates")))
        choices = staff + choices
    return choices


async def show_menu(turn: Turn, text: str | None = None) -> None:
    turn.end()
    turn.say(text or turn._("What would you like to do?"), choices=await main_menu_choices(turn))


@command("menu", N_("Main menu"))
async def menu_command(turn: Turn) -> None:
    await show_menu(turn)


@command("help", N_("How to use this bot"))
async def help_command(turn: Turn) -> None:
    _ = turn._
    turn.say(
        _(
            "I am the automated assistant of the commune People's Council. I do not replace "
            "the office staff: they read and answer what you send.\n\n"
            "/menu: main menu\n"
            "/mydata: what we store about you\n"
            "/language: Tiếng Việt / English\n"
            "/forget: delete your personal data\n"
            "/cancel: stop what you are doing\n\n"
            "On Zalo, type the number of a choice, or type menu at any time."
        ),
        title=_("Help"),
    )
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
