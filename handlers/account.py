"""A person's own account: /mydata, /forget, /language, changing hamlet or phone, invites."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.dates import format_date, format_datetime
from handlers.dialogues.register import CATEGORY_NAMES
from handlers.dialogues.register import TOPIC_NAMES as DIALOGUE_TOPICS
from handlers.documents.jobs import (
    DocumentRequest,
    ask_for_document,
    back_to_menu,
    builder,
    preparing,
)
from handlers.i18n import LOCALES, N_, Translator, channel_name, translator
from handlers.links import telegram_start_link, zalo_chat_link
from handlers.menu import help_command, show_menu
from handlers.onboarding import ask_commune, ask_phone, role_name
from handlers.petitions.texts import STATUS_NAMES, status_name
from handlers.registry import action, choice_number, command, step
from handlers.topics import topic_name
from handlers.turn import Turn
from handlers.values import Choice, Reply
from handlers.working_commune import working_commune
from storage.dialogues.dialogues import HOUSEHOLD_CATEGORY
from storage.documents import DocumentFile
from storage.models import Commune
from storage.people.people import (
    PERSONAL_DATA,
    PersonData,
    Record,
    describe_person,
    forget_person,
    personal_records,
    set_locale,
)
from storage.people.phones import mask_phone
from storage.people.roles import (
    INVITE_PREFIX,
    create_invites,
    format_invite_code,
    live_invites,
    revoke_invite,
)
from storage.places import get_commune, list_agencies, list_delegate_seats

if TYPE_CHECKING:
    from handlers.documents.my_data import Sheet

LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}


@command("mydata", N_("What we store about me"))
@action("menu:mydata")
async def show_my_data(turn: Turn) -> None:
    """The right of access (PDP Law 91/2025): a summary at once, every record in a file.

    The file is built by the document worker when asked for: a spreadsheet is of little use
    on most villagers' phones, and building it for every look at the summary held up the
    other people whose updates share this transaction.
    """
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
    turn.say("\n".join(summary_lines(turn, data)), title=_("Your data"),
             choices=[Choice("me:export", _("📄 Get the full file")),
                      Choice("menu:main", _("↩ Main menu"))])


@action("me:export")
async def ask_data_export(turn: Turn) -> None:
    if turn.person is None:
        await show_my_data(turn)
        return
    await ask_for_document(turn, "my_data", {"timezone": turn.config.timezone})
    turn.say(preparing(turn.t), title=turn._("Your data"))


async def gather_data_export(db: AsyncSession, request: DocumentRequest) -> DataExport:
    data = await describe_person(db, request.person)
    t = translator(request.locale)
    records = await personal_records(db, request.person, data)
    timezone = str(request.params.get("timezone") or "Asia/Ho_Chi_Minh")
    return DataExport(request.person.id, export_sheets(t, timezone, records),
                      datetime.now(ZoneInfo(timezone)).date())


def build_data_export(gathered: DataExport) -> list[DocumentFile]:
    # The document libraries load when a document is made, not with the bot.
    from handlers.documents.my_data import build_data_export_xlsx

    workbook = build_data_export_xlsx(gathered.sheets)
    return [DocumentFile(f"du-lieu-cua-toi-{gathered.today:%Y%m%d}.xlsx", workbook,
                         "my_data_ready", personal=True, about=(gathered.person_id,))]


@dataclass(frozen=True)
class DataExport:
    person_id: int
    sheets: list[Sheet]
    today: date


builder("my_data", gather_data_export, build_data_export)


def my_data_ready(t: Translator, params: dict[str, Any]) -> Reply:
    attached = params.get("file")
    return Reply(
        text=t._("Every record we keep about you is in this spreadsheet. A link to it works "
                 "once and only for a few minutes; ask again for a new one."),
        title=t._("Your data"),
        file=(str(attached[0]), str(attached[1])) if attached else None,
        choices=back_to_menu(t))


SHOWN_PETITIONS = 10


def summary_lines(turn: Turn, data: PersonData) -> list[str]:
    _ = turn._
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
        _("Chat accounts: {value}",
          value=", ".join(channel_name(turn.t, c) for c in data.channels)),
    ]
    if data.roles:
        lines.append(
            _("Roles: {value}", value=", ".join(role_name(turn.t, r) for r in data.roles))
        )
    lines += ["", _("Petitions: {count}", count=len(data.petitions))]
    for petition in data.petitions[-SHOWN_PETITIONS:]:
        lines.append(_("• {code} of {date}: {status}, {count} attachment(s)",
                       code=petition.code, date=local_date(turn, petition.created_at),
                       status=status_name(turn, petition.status), count=petition.attachments))
    if len(data.petitions) > SHOWN_PETITIONS:
        lines.append(_("(the older ones are in the file)"))
    if data.registrations:
        lines += ["", _("Dialogue registrations:")]
    for r in data.registrations:
        lines.append(_("• {code}, “{title}” on {date}: {status}", code=r.code, title=r.dialogue,
                       date=local_date(turn, r.starts_at),
                       status=turn._(REGISTRATION_STATUS.get(r.status, r.status))))
        if r.category:
            lines.append("  " + _("Category: {value}", value=turn._(
                CATEGORY_NAMES.get(r.category, r.category))))
        if r.topics:
            lines.append("  " + _("Topics: {value}", value=", ".join(
                turn._(DIALOGUE_TOPICS.get(t, t)) for t in r.topics)))
        if r.questions:
            lines.append("  " + _("Questions: {value}", value=r.questions))
    lines += ["", _("Announcements muted: {value}", value=", ".join(
        topic_name(turn.t, t) for t in data.muted_topics)) if data.muted_topics else
        _("Announcements muted: none")]
    for purpose, version, given_at, withdrawn_at in data.consents:
        text = (_("Consent to notice {version} given on {date}", version=version,
                  date=format_datetime(given_at, turn.config.timezone))
                if purpose != HOUSEHOLD_CATEGORY else
                _("Consent to keep the household category given on {date}",
                  date=format_datetime(given_at, turn.config.timezone)))
        lines.append(text + (_(" (withdrawn)") if withdrawn_at else ""))
    return lines


def local_date(turn: Turn, moment: datetime) -> str:
    return format_date(moment.astimezone(ZoneInfo(turn.config.timezone)).date())


REGISTRATION_STATUS = {
    "registered": N_("registered"),
    "attended": N_("attended"),
    "offered": N_("seat offered"),
    "waiting": N_("waiting list"),
    "cancelled": N_("cancelled"),
    "expired": N_("offer expired"),
}
SHEETS = {
    "person": N_("Me"),
    "accounts": N_("Chat accounts"),
    "consents": N_("Consents"),
    "roles": N_("Roles"),
    "petitions": N_("Petitions"),
    "attachments": N_("Attachments"),
    "registrations": N_("Dialogues"),
    "muted_topics": N_("Muted topics"),
    "history": N_("What I did"),
}
COLUMNS = {
    "full_name": N_("Full name"), "phone": N_("Phone"), "phone_verified": N_("Verified"),
    "hamlet": N_("Hamlet"), "commune": N_("Commune"), "created_at": N_("Created"),
    "channel": N_("Chat app"), "account_id": N_("Account id"), "language": N_("Language"),
    "purpose": N_("Purpose"), "notice_version": N_("Notice version"),
    "given_at": N_("Given"), "withdrawn_at": N_("Withdrawn"), "role": N_("Role"),
    "code": N_("Code"), "status": N_("Status"), "field": N_("Field"),
    "content": N_("Content"), "address": N_("Address"), "latitude": N_("Latitude"),
    "longitude": N_("Longitude"), "show_name": N_("Name shown to the agency"),
    "due_on": N_("Answer due"), "answer": N_("Answer"), "answered_at": N_("Answered"),
    "kind": N_("Kind"), "file": N_("File"), "dialogue": N_("Dialogue"),
    "checkin_code": N_("Check-in code"), "representative": N_("Representative"),
    "category": N_("Category"), "topics": N_("Topics"), "questions": N_("Questions"),
    "topic": N_("Topic"), "at": N_("When"), "action": N_("Action"),
    "subject": N_("About"), "subject_id": N_("Number"),
}
PURPOSES = {
    PERSONAL_DATA: N_("Personal data"),
    HOUSEHOLD_CATEGORY: N_("Household category"),
}


def export_sheets(t: Translator, timezone: str,
                  records: dict[str, list[Record]]) -> list[Sheet]:
    """The records with every header, date and key written out in the reader's language."""
    sheets: list[Sheet] = []
    for table, rows in records.items():
        keys = list(rows[0]) if rows else []
        sheets.append((
            t._(SHEETS.get(table, table)),
            [t._(COLUMNS.get(key, key)) for key in keys] or [t._("(nothing)")],
            [[export_value(t, timezone, table, key, row[key]) for key in keys] for row in rows],
        ))
    return sheets


def export_value(t: Translator, timezone: str, table: str, key: str, value: object) -> str:
    _ = t._
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return format_datetime(value, timezone)
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, list):
        return ", ".join(export_value(t, timezone, table, key, item) for item in value)
    text = str(value)
    names: dict[str, str] = {}
    if key == "status":
        names = STATUS_NAMES if table == "petitions" else REGISTRATION_STATUS
    elif key == "category":
        names = CATEGORY_NAMES
    elif key == "topics":
        names = DIALOGUE_TOPICS
    elif table == "muted_topics":
        return topic_name(t, text)
    elif key == "role":
        return role_name(t, text)
    elif key == "channel":
        return channel_name(t, text)
    elif key == "purpose":
        names = PURPOSES
    return _(names[text]) if text in names else text


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
            "This deletes your name, phone number and hamlet, cancels your dialogue "
            "registrations (a seat you hold goes to the next household), and withdraws your "
            "consent. Petitions you sent stay on record without your name, so they can still "
            "be answered publicly. Delete now?"
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
    flow, step_name = turn.step
    if flow == "onboarding" and step_name in ("commune", "hamlet"):
        # Kept through the commune step: the hamlet step then returns to the menu.
        turn.go(flow, step_name, then="menu")


@action("menu:phone")
async def change_phone(turn: Turn) -> None:
    await ask_phone(turn, then="menu")


@action("menu:help")
async def menu_help(turn: Turn) -> None:
    await help_command(turn)


async def _admin_commune(turn: Turn) -> Commune | None:
    """The commune this person administers; None (and the menu, with why) if none."""
    commune_id = await working_commune(turn, ("admin",))
    commune = await get_commune(turn.db, commune_id) if commune_id is not None else None
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
    label = role_name(turn.t, "office")
    if choice.startswith("iv:dl:"):
        seats = dict(await list_delegate_seats(turn.db, commune.id))
        if number not in seats:
            await invite_staff(turn)
            return
        issued = await create_invites(turn.db, commune, "delegate", delegate_id=number,
                                      actor_id=turn.person.id)
        label = f"{role_name(turn.t, 'delegate')} – {seats[number]}"
    elif choice.startswith("iv:ag:"):
        agencies = {a.id: a.name for a in await list_agencies(turn.db, commune.id)}
        if number not in agencies:
            await invite_staff(turn)
            return
        issued = await create_invites(turn.db, commune, "agency", agency_id=number,
                                      actor_id=turn.person.id)
        label = f"{role_name(turn.t, 'agency')} – {agencies[number]}"
    else:
        issued = await create_invites(turn.db, commune, "office", actor_id=turn.person.id)
    turn.say(invite_text(turn, label, issued[0].token), title=_("Invitation"), secret=True)
    await show_menu(turn)


def invite_text(turn: Turn, label: str, code: str) -> str:
    """The links that open the bot and the code to type where no link can carry it (Zalo)."""
    _ = turn._
    lines = [label, ""]
    telegram = telegram_start_link(turn.config.bot_username, INVITE_PREFIX + code)
    if telegram:
        lines.append(_("On Telegram, open: {link}", link=telegram))
    zalo = zalo_chat_link(turn.config)
    if zalo:
        lines.append(_("On Zalo, open: {link} and type the code.", link=zalo))
    lines += [
        _("Invitation code: {code}", code=format_invite_code(code)),
        "",
        _("Send this to that person only. It works once, for 14 days, and is shown only now. "
          "On Zalo, or if the link does not open, the person types the code in the chat with "
          "the bot."),
    ]
    return "\n".join(lines)


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
        who = role_name(turn.t, invite.role)
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

