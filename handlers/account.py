"""A person's own account: /mydata, /forget, /language, changing hamlet or phone, invites."""

from __future__ import annotations

from handlers.dates import format_datetime
from handlers.i18n import LOCALES, N_, translator
from handlers.menu import help_command, show_menu
from handlers.onboarding import ask_commune, ask_phone, role_name
from handlers.registry import action, command, step
from handlers.turn import Turn
from handlers.values import Choice
from storage.people.people import describe_person, forget_person, set_locale
from storage.people.phones import mask_phone
from storage.people.roles import INVITE_PREFIX, create_invites, roles_of
from storage.places import get_commune, list_agencies, list_delegate_seats

LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}


@command("mydata", N_("What we store about me"))
@action("menu:mydata")
async def show_my_data(turn: Turn) -> None:
    _ = turn._
    if turn.person is None:
        turn.say(
            _(
                "We store nothing about you except the id of this chat account, which is "
                "needed to answer you."
            ),
            title=_("Your data"),
        )
        return
    data = await describe_person(turn.db, turn.person)
    unknown = _("(not given)")
    phone = unknown
    if data.phone:
        phone = mask_phone(data.phone) + " " + (
            _("(verified)") if data.phone_verified else _("(not verified)")
        )
    lines = [
        _("Name: {value}", value=data.full_name or unknown),
        _("Phone: {value}", value=phone),
        _("Hamlet: {value}", value=data.hamlet or unknown),
        _("Commune: {value}", value=data.commune or unknown),
        _("Chat accounts: {value}", value=", ".join(c.capitalize() for c in data.channels)),
    ]
    if data.roles:
        lines.append(
            _("Roles: {value}", value=", ".join(role_name(turn, r) for r in data.roles))
        )
    for _purpose, version, given_at, withdrawn_at in data.consents:
        lines.append(
            _("Consent to notice {version} given on {date}", version=version,
              date=format_datetime(given_at, turn.config.timezone))
            + (_(" (withdrawn)") if withdrawn_at else "")
        )
    turn.say("\n".join(lines), title=_("Your data"))
    await show_menu(turn)


@command("forget", N_("Delete my personal data"))
@action("menu:forget")
async def ask_forget(turn: Turn) -> None:
    _ = turn._
    if turn.person is None:
        turn.end()
        turn.say(_("We store nothing about you, so there is nothing to delete."))
        return
    turn.go("forget", "confirm")
    turn.say(
        _(
            "This deletes your name, phone number and hamlet, and withdraws your consent. "
            "Petitions you sent stay on record without your name, so they can still be "
            "answered publicly. Delete now?"
        ),
        title=_("Delete my data"),
        choices=[
            Choice("forget:yes", _("🗑 Yes, delete")),
            Choice("forget:no", _("No, keep my data")),
        ],
    )


@step("forget", "confirm")
async def on_forget_confirm(turn: Turn) -> None:
    _ = turn._
    if turn.inbound.choice == "forget:yes":
        await forget_person(turn.db, turn.identity)
        turn.person = None
        turn.end()
        turn.say(
            _(
                "Your personal data has been deleted and your consent withdrawn. "
                "Type /start if you want to use the bot again."
            )
        )
        return
    if turn.inbound.choice == "forget:no":
        await show_menu(turn, _("Nothing was deleted."))
        return
    turn.say(
        _("Please answer: delete your data?"),
        choices=[
            Choice("forget:yes", _("🗑 Yes, delete")),
            Choice("forget:no", _("No, keep my data")),
        ],
    )


@command("language", N_("Tiếng Việt / English"))
@action("menu:language")
async def ask_language(turn: Turn) -> None:
    turn.go("language", "choose")
    turn.say(
        turn._("Choose your language."),
        choices=[Choice(f"lang:{code}", LANGUAGE_NAMES[code]) for code in LOCALES],
    )


@step("language", "choose")
async def on_language(turn: Turn) -> None:
    choice = turn.inbound.choice or ""
    code = choice.removeprefix("lang:")
    if not choice.startswith("lang:") or code not in LOCALES:
        await ask_language(turn)
        return
    await set_locale(turn.db, turn.identity, code)
    turn.t = translator(code)
    if turn.person is None:
        turn.end()
        turn.say(turn._("Language changed. Type /start to begin."))
        return
    await show_menu(turn, turn._("Language changed."))


@action("menu:hamlet")
async def change_hamlet(turn: Turn) -> None:
    await ask_commune(turn)
    if turn.step == ("onboarding", "hamlet"):
        turn.go("onboarding", "hamlet", then="menu")


@action("menu:phone")
async def change_phone(turn: Turn) -> None:
    await ask_phone(turn, then="menu")


@action("menu:help")
async def menu_help(turn: Turn) -> None:
    await help_command(turn)


@action("menu:invite")
async def invite_staff(turn: Turn) -> None:
    """Admins get fresh single-use links for office staff, delegates and agency officers."""
    _ = turn._
    if turn.person is None:
        return
    communes = [g.commune_id for g in await roles_of(turn.db, turn.person.id) if g.role == "admin"]
    if not communes:
        await show_menu(turn, _("Only an administrator can invite staff."))
        return
    commune = await get_commune(turn.db, communes[0])
    assert commune is not None
    lines = []
    invite = (await create_invites(turn.db, commune, "office", 1))[0]
    lines.append(f"{role_name(turn, 'office')}: {invite_link(turn, INVITE_PREFIX + invite.token)}")
    # One link per delegate seat, so reminders about their meetings reach the right person.
    for delegate_id, name in await list_delegate_seats(turn.db, commune.id):
        invite = (await create_invites(turn.db, commune, "delegate", 1,
                                       delegate_id=delegate_id))[0]
        lines.append(f"{role_name(turn, 'delegate')} – {name}: "
                     f"{invite_link(turn, INVITE_PREFIX + invite.token)}")
    # One link per agency: the officer who opens it answers that agency's petitions.
    for agency in await list_agencies(turn.db, commune.id):
        invite = (await create_invites(turn.db, commune, "agency", 1, agency_id=agency.id))[0]
        lines.append(f"{role_name(turn, 'agency')} – {agency.name}: "
                     f"{invite_link(turn, INVITE_PREFIX + invite.token)}")
    turn.say(
        "\n".join(lines)
        + "\n\n"
        + _("Each link works once, for 14 days. On Zalo, the person types: /start {code}",
            code="inv-…"),
        title=_("Invitation links"),
    )
    await show_menu(turn)


def invite_link(turn: Turn, start_argument: str) -> str:
    if turn.config.bot_username:
        return f"https://t.me/{turn.config.bot_username}?start={start_argument}"
    return f"/start {start_argument}"
