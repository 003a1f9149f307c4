"""Broadcasts for office staff: text, audience, topic, urgency, preview, when, confirm; progress.

The preview is the very message recipients will get (the same notice renderer), with the
number of people it reaches. Routine announcements wait out quiet hours; urgent ones do not.
"""

from __future__ import annotations

from typing import Any

from handlers.dates import example_datetime, format_datetime, parse_local_datetime
from handlers.i18n import N_
from handlers.menu import show_menu
from handlers.notices import render_payload
from handlers.registry import action, choice_number, command, parse_id, step
from handlers.topics import topic_name
from handlers.turn import Turn
from handlers.values import Choice, Kind
from handlers.working_commune import working_commune
from storage.dialogues.dialogues import dialogues_of_commune
from storage.files import refer_to_platform_file
from storage.messaging.broadcasts import (
    MAX_TEXT,
    TOPICS,
    BadBroadcast,
    BroadcastDraft,
    broadcast_progress,
    cancel_broadcast,
    count_audience,
    list_broadcasts,
    may_schedule,
    queue_broadcast,
)
from storage.permissions import BROADCASTERS, NotAllowed
from storage.places import get_commune, list_hamlets

FLOW = "broadcast"


async def _commune_of_staff(turn: Turn) -> int | None:
    return await working_commune(turn, BROADCASTERS)


def _cancel_choice(turn: Turn) -> Choice:
    return Choice("bc:abort", turn._("✖ Cancel"))


@command("broadcast", N_("Send an announcement (office)"))
@action("menu:broadcast")
async def start_broadcast(turn: Turn) -> None:
    commune_id = await _commune_of_staff(turn)
    if commune_id is None:
        await show_menu(turn, turn._("Only the commune office can send announcements."))
        return
    turn.go(FLOW, "text", commune_id=commune_id)
    turn.say(
        turn._("Type the announcement, up to {limit} characters.", limit=MAX_TEXT),
        title=turn._("New announcement"),
        choices=[_cancel_choice(turn)],
    )


@action("bc:abort")
async def discard_broadcast(turn: Turn) -> None:
    await show_menu(turn, turn._("Announcement discarded."))


@step(FLOW, "text")
async def on_text(turn: Turn) -> None:
    inbound = turn.inbound
    text = inbound.text.strip() if inbound.kind in (Kind.TEXT, Kind.PHOTO) else ""
    if not text:
        turn.say(turn._("Please type the text of the announcement (with a photo, as its "
                        "caption)."), choices=[_cancel_choice(turn)])
        return
    if len(text) > MAX_TEXT:
        turn.say(
            turn._("The text has {length} characters; the limit is {limit}. Please shorten it "
                   "or split it into two announcements.", length=len(text), limit=MAX_TEXT),
            choices=[_cancel_choice(turn)],
        )
        return
    photo = None
    if inbound.kind is Kind.PHOTO and inbound.file_ref:
        # The photo stays where it was sent; Zalo readers get it through our link.
        stored = refer_to_platform_file(turn.db, f"thong-bao-{turn.now:%Y%m%d-%H%M}.jpg",
                                        f"{inbound.channel}:{inbound.file_ref}",
                                        owner_id=None)
        photo = [stored.token, stored.name]
    turn.go(FLOW, "audience", text=text, photo=photo)
    await ask_audience(turn)


async def ask_audience(turn: Turn) -> None:
    _ = turn._
    turn.say(
        _("Who should receive it?"),
        choices=[
            Choice("aud:commune", _("Everyone in the commune")),
            Choice("aud:hamlets", _("Some hamlets")),
            Choice("aud:delegates", _("People's Council delegates")),
            Choice("aud:dialogue", _("Households registered for a dialogue")),
            _cancel_choice(turn),
        ],
    )


@step(FLOW, "audience")
async def on_audience(turn: Turn) -> None:
    choice = turn.inbound.choice or ""
    if choice == "aud:hamlets":
        turn.go(FLOW, "hamlets", hamlet_ids=[])
        await ask_hamlets(turn)
        return
    if choice == "aud:dialogue":
        dialogues = await dialogues_of_commune(turn.db, int(turn.data["commune_id"]), turn.now)
        if not dialogues:
            turn.say(turn._("The commune has no dialogue yet."))
            await ask_audience(turn)
            return
        turn.go(FLOW, "dialogue")
        turn.say(turn._("Which dialogue's households?"),
                 choices=[Choice(f"bdg:{d.id}", d.title) for d in dialogues])
        return
    if choice in ("aud:commune", "aud:delegates"):
        turn.go(FLOW, "topic", audience={"kind": choice.removeprefix("aud:")})
        await ask_topic(turn)
        return
    await ask_audience(turn)


@step(FLOW, "dialogue")
async def on_dialogue(turn: Turn) -> None:
    dialogues = {d.id for d in await dialogues_of_commune(turn.db, int(turn.data["commune_id"]),
                                                          turn.now)}
    chosen = choice_number(turn.inbound.choice)
    if chosen not in dialogues:
        await ask_audience(turn)
        return
    turn.go(FLOW, "topic", audience={"kind": "dialogue", "dialogue_id": chosen})
    await ask_topic(turn)


async def ask_hamlets(turn: Turn) -> None:
    chosen = set(turn.data.get("hamlet_ids", []))
    hamlets = await list_hamlets(turn.db, int(turn.data["commune_id"]))
    choices = [
        Choice(f"bh:{h.id}", ("☑ " if h.id in chosen else "☐ ") + h.name) for h in hamlets
    ]
    choices.append(Choice("bh:done", turn._("Done choosing")))
    turn.say(turn._("Choose the hamlets (choose again to remove one), then Done."),
             choices=choices)


@step(FLOW, "hamlets")
async def on_hamlet(turn: Turn) -> None:
    choice = turn.inbound.choice or ""
    chosen: list[int] = list(turn.data.get("hamlet_ids", []))
    if choice == "bh:done" and chosen:
        turn.go(FLOW, "topic", audience={"kind": "hamlets", "hamlet_ids": sorted(chosen)})
        await ask_topic(turn)
        return
    hamlets = {h.id for h in await list_hamlets(turn.db, int(turn.data["commune_id"]))}
    raw = choice.removeprefix("bh:")
    hamlet_id = parse_id(raw) if choice.startswith("bh:") else None
    if hamlet_id is not None and hamlet_id in hamlets:
        chosen = [h for h in chosen if h != hamlet_id] if hamlet_id in chosen else [
            *chosen, hamlet_id]
        turn.go(FLOW, "hamlets", hamlet_ids=chosen)
    elif choice == "bh:done":
        turn.say(turn._("Choose at least one hamlet."))
    await ask_hamlets(turn)


async def ask_topic(turn: Turn) -> None:
    turn.say(
        turn._("What is it about? People who muted this topic will not get routine notices."),
        choices=[Choice(f"bt:{topic}", topic_name(turn.t, topic)) for topic in TOPICS],
    )


@step(FLOW, "topic")
async def on_topic(turn: Turn) -> None:
    topic = (turn.inbound.choice or "").removeprefix("bt:")
    if topic not in TOPICS:
        await ask_topic(turn)
        return
    turn.go(FLOW, "urgency", topic=topic)
    await ask_urgency(turn)


async def ask_urgency(turn: Turn) -> None:
    _ = turn._
    turn.say(
        _("Routine or urgent? Urgent notices (floods, storms, epidemics) are sent first, also "
          "at night, and reach people who muted the topic."),
        choices=[Choice("bu:routine", _("Routine")), Choice("bu:urgent", _("🚨 Urgent"))],
    )


@step(FLOW, "urgency")
async def on_urgency(turn: Turn) -> None:
    choice = turn.inbound.choice or ""
    if choice not in ("bu:routine", "bu:urgent"):
        await ask_urgency(turn)
        return
    turn.go(FLOW, "when", urgent=choice == "bu:urgent")
    await show_preview(turn)


def _draft(turn: Turn, send_at: Any = None) -> BroadcastDraft:
    data = turn.data
    return BroadcastDraft(
        commune_id=int(data["commune_id"]),
        text=str(data["text"]),
        audience=dict(data["audience"]),
        topic=str(data["topic"]),
        urgent=bool(data["urgent"]),
        send_at=send_at,
        photo=(str(data["photo"][0]), str(data["photo"][1])) if data.get("photo") else None,
    )


async def show_preview(turn: Turn) -> None:
    _ = turn._
    draft = _draft(turn)
    commune = await get_commune(turn.db, draft.commune_id)
    reach = await count_audience(turn.db, draft.commune_id, draft.audience, draft.topic,
                                 draft.urgent)
    preview = render_payload(
        {"notice": "broadcast",
         "params": {"text": draft.text, "commune": commune.name if commune else "",
                    "urgent": draft.urgent,
                    **({"photo": list(draft.photo)} if draft.photo else {})}},
        turn.locale,
    )
    turn.say(_("Preview, exactly as people will see it:"))
    turn.say(preview.text, title=preview.title, file=preview.file)
    turn.say(
        _("It will reach {count} people. Send it now, or at a time you choose?", count=reach),
        choices=[
            Choice("bw:now", _("📤 Send now")),
            Choice("bw:later", _("🕒 Choose a time")),
            _cancel_choice(turn),
        ],
    )


@step(FLOW, "when")
async def on_when(turn: Turn) -> None:
    choice = turn.inbound.choice or ""
    if choice == "bw:now":
        await send(turn, None)
        return
    if choice == "bw:later":
        turn.go(FLOW, "time")
        turn.say(turn._("Type the date and time, for example {example} or 7h sáng mai.",
                        example=example_datetime(turn.now, turn.config.timezone, hour=7)),
                 choices=[_cancel_choice(turn)])
        return
    await show_preview(turn)


@step(FLOW, "time")
async def on_time(turn: Turn) -> None:
    moment = parse_local_datetime(turn.inbound.text, turn.config.timezone, turn.now)
    if moment is None or not may_schedule(moment, turn.now):
        turn.say(
            turn._("Please type a date and time within the next 60 days, for example {example} "
                   "or 7h sáng mai.",
                   example=example_datetime(turn.now, turn.config.timezone, hour=7)),
            choices=[_cancel_choice(turn)],
        )
        return
    await send(turn, moment)


async def send(turn: Turn, moment: Any) -> None:
    _ = turn._
    try:
        broadcast = await queue_broadcast(turn.db, turn.person, _draft(turn, moment),
                                          turn.config.quiet_hours)
    except NotAllowed:
        await show_menu(turn, _("Only the commune office can send announcements."))
        return
    except BadBroadcast:
        await show_menu(turn, _("This announcement cannot be sent. Please start again."))
        return
    turn.end()
    when = format_datetime(broadcast.send_at, turn.config.timezone)
    turn.say(
        _("Announcement #{id} is queued for {count} people, from {when}. Type /broadcasts to "
          "follow it or cancel it.", id=broadcast.id, count=broadcast.recipients, when=when)
    )
    await show_menu(turn)


@command("broadcasts", N_("Announcements sent (office)"))
@action("menu:broadcasts")
async def show_broadcasts(turn: Turn) -> None:
    _ = turn._
    commune_id = await _commune_of_staff(turn)
    if commune_id is None:
        await show_menu(turn, _("Only the commune office can send announcements."))
        return
    lines, choices = [], []
    for broadcast in await list_broadcasts(turn.db, commune_id):
        progress = await broadcast_progress(turn.db, broadcast.id)
        assert progress is not None
        lines.append(
            _("#{id} {when}: delivered {delivered}/{total}, waiting {waiting}, failed "
              "{failed}, blocked the bot {unreachable}, withheld {cancelled}",
              id=broadcast.id, when=format_datetime(broadcast.send_at, turn.config.timezone),
              delivered=progress.delivered, total=broadcast.recipients,
              waiting=progress.waiting, failed=progress.failed,
              unreachable=progress.unreachable, cancelled=progress.cancelled)
            + "".join(
                "\n" + _("{count} failed: {reason}", count=count, reason=reason[:120])
                for reason, count in progress.errors
            )
            + "\n" + broadcast.text[:80]
        )
        if progress.stoppable:
            choices.append(Choice(f"bx:{broadcast.id}", _("✖ Stop #{id}", id=broadcast.id)))
    choices.append(Choice("menu:broadcasts", _("🔄 Refresh")))
    turn.go("broadcasts", "list")
    turn.say("\n\n".join(lines) or _("No announcements yet."), title=_("Announcements"),
             choices=choices)


@step("broadcasts", "list")
async def on_broadcast_choice(turn: Turn) -> None:
    raw = (turn.inbound.choice or "").removeprefix("bx:")
    broadcast_id = parse_id(raw)
    if not (turn.inbound.choice or "").startswith("bx:") or broadcast_id is None:
        await show_menu(turn)
        return
    try:
        withheld = await cancel_broadcast(turn.db, turn.person, broadcast_id)
    except (NotAllowed, BadBroadcast):
        await show_menu(turn, turn._("You cannot stop this announcement."))
        return
    turn.say(turn._("Stopped: {count} messages will not be sent.", count=withheld))
    await show_broadcasts(turn)
