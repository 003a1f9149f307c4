"""A person's own account: /mydata, /forget, /language, changing hamlet or phone, invites."""

from __future__ import annotations

from handlers.dates import format_datetime
from handlers.i18n import LOCALES, N_, translator
from handlers.menu import help_command, show_menu
from handlers.onboarding import ask_commune, ask_phone, role_name
from handlers.registry import action, choice_number, command, step
from handlers.turn import Turn
from handlers.values import Choice
from storage.models import Commune
from storage.people.people import describe_person, forget_person, set_locale
from storage.people.phones import mask_phone
from storage.people.roles import (
    INVITE_PREFIX,
    create_invites,
    live_invites,
    revoke_invite,
    roles_of,
)
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


async def _admin_commune(turn: Turn) -> Commune | None:
    """The commune this person administers; None (and the menu, with why) if none."""
    if turn.person is None:
        return None
    communes = [g.commune_id for g in await roles_of(turn.db, turn.person.id) if g.role == "admin"]
    commune = await get_commune(turn.db, communes[0]) if communes else None
    if commune is None:
        await show_menu(turn, turn._("Only an administrator can invite staff."))
    return commune


@action("menu:invite")
async def invite_staff(turn: Turn) -> None:
    """Admins choose whom to invite: office staff, one delegate seat or one agency."""
    _ = turn._
    commune = await _admin_commune(turn)
    if commune is None:
        return
    choices = [Choice("iv:office", _("Office staff"))]
    # A delegate's link is for their seat, so reminders about their meetings reach them.
    for delegate_id, name in await list_delegate_seats(turn.db, commune.id):
        choices.append(Choice(f"iv:dl:{delegate_id}", _("Delegate: {name}", name=name)))
    # An agency's link makes its holder the officer who answers that agency's petitions.
    for agency in await list_agencies(turn.db, commune.id):
        choices.append(Choice(f"iv:ag:{agency.id}", _("Agency: {name}", name=agency.name)))
    choices.append(Choice("iv:list", _("📋 Open invitations")))
    choices.append(Choice("menu:main", _("✖ Cancel")))
    turn.say(_("Whom do you want to invite? Each link works once, for 14 days."),
             title=_("Invite staff and delegates"), choices=choices)


@action("iv:office")
@action("iv:dl:*")
@action("iv:ag:*")
async def make_invite(turn: Turn) -> None:
    _ = turn._
    commune = await _admin_commune(turn)
    if commune is None or turn.person is None:
        return
    choice = turn.inbound.choice or ""
    number = choice_number(choice)
    label = role_name(turn, "office")
    if choice.startswith("iv:dl:"):
        seats = dict(await list_delegate_seats(turn.db, commune.id))
        if number not in seats:
            await invite_staff(turn)
            return
        issued = await create_invites(turn.db, commune, "delegate", delegate_id=number,
                                      actor_id=turn.person.id)
        label = f"{role_name(turn, 'delegate')} – {seats[number]}"
    elif choice.startswith("iv:ag:"):
        agencies = {a.id: a.name for a in await list_agencies(turn.db, commune.id)}
        if number not in agencies:
            await invite_staff(turn)
            return
        issued = await create_invites(turn.db, commune, "agency", agency_id=number,
                                      actor_id=turn.person.id)
        label = f"{role_name(turn, 'agency')} – {agencies[number]}"
    else:
        issued = await create_invites(turn.db, commune, "office", actor_id=turn.person.id)
    link = invite_link(turn, INVITE_PREFIX + issued[0].token)
    turn.say(
        f"{label}: {link}\n\n"
        + _("Send this link to that person only. It works once, for 14 days, and is shown "
            "only now. On Zalo, the person types: /start {code}",
            code=INVITE_PREFIX + issued[0].token),
        title=_("Invitation link"),
        secret=True,
    )
    await show_menu(turn)


@action("iv:list")
async def list_invites(turn: Turn) -> None:
    _ = turn._
    commune = await _admin_commune(turn)
    if commune is None:
        return
    invites = await live_invites(turn.db, commune.id)
    if not invites:
        await show_menu(turn, _("No invitation link is open."))
        return
    seats = dict(await list_delegate_seats(turn.db, commune.id))
    agencies = {a.id: a.name for a in await list_agencies(turn.db, commune.id)}
    lines, choices = [], []
    for invite in invites:
        who = role_name(turn, invite.role)
        if invite.delegate_id is not None:
            who += " – " + seats.get(invite.delegate_id, "")
        if invite.agency_id is not None:
            who += " – " + agencies.get(invite.agency_id, "")
        until = format_datetime(invite.expires_at, turn.config.timezone)
        lines.append(_("No. {number}: {who}, until {date}", number=invite.id, who=who,
                       date=until))
        choices.append(Choice(f"iv:rv:{invite.id}", _("Revoke No. {number}", number=invite.id)))
    choices.append(Choice("menu:main", _("✖ Cancel")))
    turn.say("\n".join(lines), title=_("Open invitations"), choices=choices)


@action("iv:rv:*")
async def revoke_invite_link(turn: Turn) -> None:
    _ = turn._
    commune = await _admin_commune(turn)
    number = choice_number(turn.inbound.choice)
    if commune is None or turn.person is None:
        return
    revoked = None
    if number is not None:
        revoked = await revoke_invite(turn.db, number, commune_id=commune.id,
                                      actor_id=turn.person.id)
    if revoked is None:
        await show_menu(turn, _("That invitation is already used, revoked or unknown."))
        return
    await show_menu(turn, _("Invitation No. {number} revoked: its link no longer works.",
                            number=number))


def invite_link(turn: Turn, start_argument: str) -> str:
    if turn.config.bot_username:
        return f"https://t.me/{turn.config.bot_username}?start={start_argument}"
    return f"/start {start_argument}"
