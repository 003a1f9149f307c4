"""Onboarding: greeting, privacy notice and consent, commune, hamlet, optional phone.

`/start` may carry a hamlet code (QR posters at the cultural house: `/start ttt-tan-dan`) or a
staff invite (`/start inv-K7MQ3XHPAC`); both are kept until consent is given, then applied.
On Zalo, where links carry nothing, an invite code is simply typed ("Mã mời K7MQ-3XHP-AC"),
at any point: `typed_invite_code` recognises it and the router treats it as that `/start`.
"""

from __future__ import annotations

from typing import Any

from handlers.dates import format_datetime
from handlers.i18n import N_, Translator
from handlers.menu import describe_unexpected, show_menu
from handlers.registry import RESUMES, command, parse_id, step
from handlers.text import fold
from handlers.turn import Turn
from handlers.values import Choice, Kind
from storage.people.linking import (
    CodeRefused,
    CodeSent,
    LinkCodeLimits,
    Linked,
    claim_phone,
    confirm_link_code,
)
from storage.people.people import (
    clean_name,
    get_person,
    give_consent,
    set_full_name,
    set_hamlet,
    set_verified_phone,
)
from storage.people.phones import normalize_phone
from storage.people.roles import (
    INVITE_HASH_PREFIX,
    INVITE_PREFIX,
    InviteAccepted,
    accept_invite,
    keep_start_argument,
    normalize_invite_code,
)
from storage.places import (
    find_communes,
    find_hamlet_by_code,
    get_commune,
    get_hamlet,
    list_communes,
    list_hamlets,
)

FLOW = "onboarding"


def notice_summary(turn: Turn) -> str:
    return turn._(
        "To handle your requests we keep: your chat account, the commune and hamlet you live "
        "in, and your phone number if you give it. Only the commune office and the agencies "
        "that handle your requests see them. You can see your data with /mydata and delete it "
        "with /forget at any time."
    )


# Words people put before an invite code, folded, longest first ("Mã mời: K7MQ-3XHP-AC").
INVITE_WORDS = ("ma loi moi", "ma moi", "loi moi", "ma", "moi", "invitation code",
                "invite code", "invitation", "invite", "code", "inv")


def typed_invite_code(text: str) -> str | None:
    """The invite code in a message that is only a code, perhaps with words before it."""
    words = fold(text).lstrip("/").removeprefix("start").strip()
    for prefix in INVITE_WORDS:
        if words.startswith(prefix):
            code = normalize_invite_code(words[len(prefix):].lstrip(" :-"))
            if code is not None:
                return code
    return normalize_invite_code(words)


@command("start", N_("Start / register"))
async def start_command(turn: Turn) -> None:
    argument = turn.inbound.text.strip()
    if (
        argument
        and not argument.startswith(INVITE_PREFIX)
        and (code := typed_invite_code(argument)) is not None
        and await find_hamlet_by_code(turn.db, argument) is None
    ):
        argument = INVITE_PREFIX + code  # `/start K7MQ3XHPAC`, typed without the "inv-"
    if turn.consented_at_start:
        await apply_start_argument(turn, argument)
        return
    await start_onboarding(turn, argument)


async def start_onboarding(
    turn: Turn, argument: str = "", draft: dict[str, Any] | None = None
) -> None:
    """Greet, show the notice and ask for consent; `draft` (a petition begun by its first
    message) waits in the conversation and goes on once onboarding is done."""
    _ = turn._
    turn.go(FLOW, "consent", argument=keep_start_argument(argument[:64]))
    if draft:
        turn.go(FLOW, "consent", draft=draft)
    turn.say(
        _(
            "Hello! I am the automated assistant of the commune People's Council. "
            "Through me you can send petitions, follow meetings with your delegates and "
            "register for dialogues. I am a computer program; the commune office reads and "
            "answers what you send."
        ),
        title=_("Welcome"),
    )
    turn.say(
        notice_summary(turn) + "\n\n" + _("Do you agree?"),
        title=_("Your personal data"),
        choices=consent_choices(turn),
    )


def consent_choices(turn: Turn) -> list[Choice]:
    _ = turn._
    return [
        Choice("consent:yes", _("✅ I agree")),
        Choice("consent:no", _("❌ I do not agree")),
        Choice("consent:more", _("📄 Read the full notice")),
    ]


@step(FLOW, "consent", answers={"yes": "consent:yes", "no": "consent:no"})
async def on_consent(turn: Turn) -> None:
    _ = turn._
    choice = turn.inbound.choice
    if choice == "consent:more":
        turn.say(full_notice(turn), title=_("Privacy notice"), choices=consent_choices(turn))
        return
    if choice == "consent:no":
        turn.end()
        turn.say(
            _(
                "Understood. Nothing about you has been stored. Without consent I cannot take "
                "petitions or registrations, but you can still read /help. Type /start "
                "whenever you change your mind."
            )
        )
        return
    if choice != "consent:yes":
        turn.say(
            _("Please choose one of the options below."), choices=consent_choices(turn)
        )
        return
    turn.person = await give_consent(turn.db, turn.identity)
    turn.say(_("Thank you. Your consent has been recorded."))
    await apply_start_argument(turn, str(turn.data.get("argument", "")))


def full_notice(turn: Turn) -> str:
    return turn._(
        "Who: the People's Council and People's Committee office of your commune.\n"
        "What: your chat account id, your hamlet, your phone number (optional), and what you "
        "send us (petitions, registrations).\n"
        "Why: to receive, forward and answer your requests and to send you notices you asked "
        "for.\n"
        "Who sees it: the commune office and the agencies that handle your request. If you ask, "
        "your name is hidden from agencies.\n"
        "How long: as long as needed for your requests; you can delete it at any time with "
        "/forget (your petitions stay, without your name).\n"
        "Your rights (Law 91/2025 on personal data protection): see, correct, export and "
        "delete your data, and withdraw consent. Requests are handled within 15 days.\n"
        "We never ask for photos of your ID card."
    )


async def apply_start_argument(turn: Turn, argument: str) -> None:
    """After consent: take an invite or a hamlet code from the deep link, else ask."""
    _ = turn._
    assert turn.person is not None
    if argument.startswith((INVITE_PREFIX, INVITE_HASH_PREFIX)):
        if argument.startswith(INVITE_HASH_PREFIX):
            result = await accept_invite(turn.db, turn.person,
                                         argument.removeprefix(INVITE_HASH_PREFIX), hashed=True)
        else:
            result = await accept_invite(turn.db, turn.person,
                                         argument.removeprefix(INVITE_PREFIX))
        if isinstance(result, InviteAccepted):
            turn.say(
                _("You are now registered as {role} of {commune}.").format(
                    role=role_name(turn.t, result.role), commune=result.commune_name
                )
            )
        elif result.reason == "unknown":
            turn.say(_("I do not know this invitation code. Please check it and type it again, "
                       "or ask the commune office for a new one."))
        elif result.reason == "too_many":
            turn.say(_("Too many wrong invitation codes today. Please try again tomorrow, or "
                       "ask the commune office for help."))
        else:
            turn.say(_("This invitation link is not valid any more. Ask the office for a new one."))
        await show_menu(turn)
        return
    hamlet = await find_hamlet_by_code(turn.db, argument) if argument else None
    if hamlet is not None:
        await set_hamlet(turn.db, turn.person, hamlet)
        commune = await get_commune(turn.db, hamlet.commune_id)
        turn.say(
            _("Your hamlet: {hamlet}, {commune}.").format(
                hamlet=hamlet.name, commune=commune.name if commune else ""
            )
        )
        await ask_name(turn)
        return
    if turn.person.hamlet_id is not None:
        await done(turn)
        return
    await ask_commune(turn)


def role_name(t: Translator, role: str) -> str:
    _ = t._
    names = {
        "delegate": _("a People's Council delegate"),
        "office": _("office staff"),
        "agency": _("an agency officer"),
        "admin": _("an administrator"),
    }
    return names.get(role, role)


# Up to this many communes are offered as buttons; a province's hundred are found by name.
SHOWN_COMMUNES = 8
FOUND_COMMUNES = 6


async def ask_commune(turn: Turn) -> None:
    _ = turn._
    communes = await list_communes(turn.db)
    if len(communes) == 1:
        await ask_hamlet(turn, communes[0].id)
        return
    if not communes:
        turn.end()
        turn.say(_("No commune has been set up yet. Please ask the commune office."))
        return
    turn.go(FLOW, "commune")
    if len(communes) <= SHOWN_COMMUNES:
        turn.say(_("Which commune or ward do you live in?"),
                 choices=[Choice(f"commune:{c.id}", c.name) for c in communes])
        return
    turn.say(_("Which commune or ward do you live in? Type its name (accents are not needed), "
               "or the name of the district it belonged to before."))


@step(FLOW, "commune")
async def on_commune(turn: Turn) -> None:
    _ = turn._
    communes = await list_communes(turn.db)
    if turn.inbound.choice == "commune:again":
        turn.say(_("Please type the name of your commune or ward, or of its former district."))
        return
    chosen = _pick(turn, "commune", [(c.id, c.name) for c in communes])
    if chosen is not None and (turn.inbound.choice or len(communes) <= SHOWN_COMMUNES):
        await ask_hamlet(turn, chosen)
        return
    found = []
    if turn.inbound.kind is Kind.TEXT:
        found = await find_communes(turn.db, turn.inbound.text, FOUND_COMMUNES)
    if len(found) == 1:
        commune = found[0]
        turn.say(_("Is it {commune}?", commune=commune.name) + (
            " " + _("(former district: {district})", district=commune.district)
            if commune.district else ""),
            choices=[Choice(f"commune:{commune.id}", _("Yes, {commune}", commune=commune.name)),
                     Choice("commune:again", _("No, type again"))])
        return
    if found:
        turn.say(_("Which of these is your commune?"),
                 choices=[Choice(f"commune:{c.id}", c.name) for c in found]
                 + [Choice("commune:again", _("None of these, type again"))])
        return
    if len(communes) <= SHOWN_COMMUNES:
        turn.say(_("Please choose your commune from the list."),
                 choices=[Choice(f"commune:{c.id}", c.name) for c in communes])
        return
    turn.say(_("I found no commune by that name. Please type it again, for example: Tan Thuan "
               "Tay, or the name of the former district."))


async def ask_hamlet(turn: Turn, commune_id: int) -> None:
    commune = await get_commune(turn.db, commune_id)
    hamlets = await list_hamlets(turn.db, commune_id)
    turn.go(FLOW, "hamlet", commune_id=commune_id)
    turn.say(
        turn._("Which hamlet or residential group of {commune} do you live in?").format(
            commune=commune.name if commune else ""
        ),
        choices=[Choice(f"hamlet:{h.id}", h.name) for h in hamlets],
    )


@step(FLOW, "hamlet")
async def on_hamlet(turn: Turn) -> None:
    commune_id = int(turn.data.get("commune_id", 0))
    hamlets = await list_hamlets(turn.db, commune_id)
    chosen = _pick(turn, "hamlet", [(h.id, h.name) for h in hamlets])
    hamlet = await get_hamlet(turn.db, chosen) if chosen is not None else None
    if hamlet is None or turn.person is None:
        turn.say(
            turn._("Please choose your hamlet from the list."),
            choices=[Choice(f"hamlet:{h.id}", h.name) for h in hamlets],
        )
        return
    await set_hamlet(turn.db, turn.person, hamlet)
    if turn.data.get("then") == "menu":
        await done(turn, turn._("Your hamlet is now {hamlet}.").format(hamlet=hamlet.name))
        return
    await ask_name(turn)


async def ask_name(turn: Turn) -> None:
    turn.go(FLOW, "name")
    turn.say(
        turn._(
            "What is your full name? The office uses it to reply to you. You may skip this "
            "and send petitions without a name."
        ),
        choices=[Choice("name:skip", turn._("Skip"))],
    )


@step(FLOW, "name")
async def on_name(turn: Turn) -> None:
    _ = turn._
    assert turn.person is not None
    if turn.inbound.choice == "name:skip":
        await ask_phone(turn)
        return
    name = clean_name(turn.inbound.text) if turn.inbound.kind is Kind.TEXT else None
    if name is None:
        turn.say(
            _("Please type your full name, for example: Nguyễn Văn An."),
            choices=[Choice("name:skip", _("Skip"))],
        )
        return
    await set_full_name(turn.db, turn.person, name)
    turn.say(_("Thank you, {name}.", name=name))
    await ask_phone(turn)


def _pick(turn: Turn, prefix: str, options: list[tuple[int, str]]) -> int | None:
    """The id chosen by button, or by typing the name (with or without accents)."""
    ids = {option_id for option_id, _ in options}
    choice = turn.inbound.choice or ""
    if choice.startswith(prefix + ":"):
        raw = choice.split(":", 1)[1]
        number = parse_id(raw)
        return number if number in ids else None
    typed = fold(turn.inbound.text)
    if turn.inbound.kind is not Kind.TEXT or len(typed) < 3:
        return None
    matches = [option_id for option_id, name in options if typed in fold(name)]
    return matches[0] if len(matches) == 1 else None


async def ask_phone(turn: Turn, *, then: str = "finish") -> None:
    _ = turn._
    turn.go(FLOW, "phone", then=then)
    turn.say(
        _(
            "You may give your phone number so the office can call you back about your "
            "petitions. It is optional: type your number, or choose Skip."
        ),
        ask_contact=_("📱 Share my phone number"),
        choices=[Choice("phone:skip", _("Skip"))],
    )


@step(FLOW, "phone")
async def on_phone(turn: Turn) -> None:
    _ = turn._
    inbound = turn.inbound
    assert turn.person is not None
    if inbound.choice == "phone:skip":
        await finish(turn)
        return
    if inbound.kind is not Kind.TEXT and inbound.kind is not Kind.CONTACT:
        await _ask_phone_again(turn, describe_unexpected(turn))
        return
    if inbound.kind is Kind.CONTACT and inbound.phone:
        phone = normalize_phone(inbound.phone)
        if phone is not None and inbound.phone_verified:
            await set_verified_phone(turn.db, turn.person, phone)
            turn.say(_("Thank you, your phone number has been saved."), remove_keyboard=True)
            await finish(turn)
            return
        if phone is None:
            await _ask_phone_again(turn, _("That does not look like a Vietnamese phone number."))
            return
        # Someone else's contact card: treat it like a typed number (a claim, not proof).
    phone = normalize_phone(inbound.phone or inbound.text)
    if phone is None:
        await _ask_phone_again(
            turn, _("That does not look like a Vietnamese phone number, for example 0912345678.")
        )
        return
    config = turn.config
    limits = LinkCodeLimits(per_target=config.link_codes_per_target,
                            per_claimant=config.link_codes_per_claimant,
                            minutes=config.link_code_minutes, quiet=config.quiet_hours)
    claim = await claim_phone(turn.db, turn.identity, turn.person, phone, limits=limits)
    if isinstance(claim, CodeRefused):
        turn.say(
            _("This number is already registered through another account, and no more codes "
              "can be sent to it today. Try again tomorrow, or ask the commune office."),
            remove_keyboard=True,
        )
        await finish(turn)
        return
    if isinstance(claim, CodeSent):
        turn.go(FLOW, "link_code")
        if claim.delayed:
            text = _(
                "This number is already registered through {channel}. To join both accounts, "
                "I will send a 6-digit code there at {time}, when the night's quiet hours "
                "end. Then type that code here."
            ).format(channel=channel_name(claim.channel),
                     time=format_datetime(claim.sends_at, config.timezone))
        else:
            text = _(
                "This number is already registered through {channel}. To join both accounts, "
                "I sent a 6-digit code there. Type that code here."
            ).format(channel=channel_name(claim.channel))
        turn.say(text, choices=[Choice("link:skip", _("Skip"))], remove_keyboard=True)
        return
    turn.say(_("Thank you, your phone number has been saved."), remove_keyboard=True)
    await finish(turn)


async def _ask_phone_again(turn: Turn, problem: str) -> None:
    _ = turn._
    turn.say(
        problem,
        ask_contact=_("📱 Share my phone number"),
        choices=[Choice("phone:skip", _("Skip"))],
    )


def channel_name(channel: str) -> str:
    return {"telegram": "Telegram", "zalo": "Zalo"}.get(channel, channel)


@step(FLOW, "link_code", expects_code=True)
async def on_link_code(turn: Turn) -> None:
    _ = turn._
    if turn.inbound.choice == "link:skip":
        await finish(turn)
        return
    code = "".join(turn.inbound.text.split())
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        turn.say(_("Please type the 6-digit code."), choices=[Choice("link:skip", _("Skip"))])
        return
    result = await confirm_link_code(turn.db, turn.identity, code)
    if isinstance(result, Linked):
        turn.person = await get_person(turn.db, result.person_id)
        turn.say(_("Your accounts are now joined: you are the same person on both."))
        await done(turn)
        return
    messages = {
        "wrong": _("That code is not right. Please try again."),
        "expired": _("That code has expired. You can ask for a new one from the menu."),
        "too_many": _("Too many wrong codes. You can ask for a new one from the menu."),
        "no_code": _("There is no code waiting. You can ask for one from the menu."),
    }
    if result.reason == "wrong":
        turn.say(messages["wrong"], choices=[Choice("link:skip", _("Skip"))])
        return
    await show_menu(turn, messages[result.reason])


async def finish(turn: Turn) -> None:
    if turn.data.get("then") == "menu":
        await done(turn)
        return
    await done(
        turn,
        turn._("All set! Choose what you would like to do. Type /menu at any time to come back."),
    )


async def done(turn: Turn, text: str | None = None) -> None:
    """Onboarding is over: a petition begun by the first message goes on, else the menu."""
    draft = turn.data.get("draft")
    resume = RESUMES.get("petition")
    if isinstance(draft, dict) and draft and resume is not None and turn.person is not None:
        # "Choose from the menu" would be wrong here: the petition's question comes next.
        turn.end()
        await resume(turn, draft)
        return
    await show_menu(turn, text)
