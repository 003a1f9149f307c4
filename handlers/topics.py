"""Announcement topics: their names, and /settings where a citizen mutes routine ones."""

from __future__ import annotations

from handlers.i18n import N_, Translator
from handlers.menu import show_menu
from handlers.registry import action, command, step
from handlers.turn import Turn
from handlers.values import Choice
from storage.messaging.broadcasts import TOPICS, mute_topic, muted_topics

TOPIC_NAMES = {
    "general": N_("General notices"),
    "voter_contact": N_("Meetings with delegates"),
    "dialogue": N_("Policy dialogues"),
    "agriculture": N_("Agriculture"),
    "health_education": N_("Health and education"),
    "security": N_("Security and order"),
}


def topic_name(t: Translator, topic: str) -> str:
    return t._(TOPIC_NAMES.get(topic, topic))


@command("settings", N_("Announcements I receive"))
@action("menu:settings")
async def show_settings(turn: Turn) -> None:
    if turn.person is None:
        return
    muted = await muted_topics(turn.db, turn.person)
    choices = [
        Choice(f"mute:{topic}", ("🔕 " if topic in muted else "🔔 ") + topic_name(turn.t, topic))
        for topic in TOPICS
    ]
    choices.append(Choice("mute:done", turn._("Done")))
    turn.go("settings", "topics")
    turn.say(
        turn._(
            "Announcements you receive (🔔) and the ones you muted (🔕). Choose a topic to "
            "switch it. Urgent warnings, such as floods, always reach you."
        ),
        title=turn._("Announcements"),
        choices=choices,
    )


@step("settings", "topics")
async def on_topic(turn: Turn) -> None:
    choice = turn.inbound.choice or ""
    if choice == "mute:done" or turn.person is None:
        await show_menu(turn, turn._("Saved."))
        return
    topic = choice.removeprefix("mute:")
    if choice.startswith("mute:") and topic in TOPICS:
        muted = await muted_topics(turn.db, turn.person)
        await mute_topic(turn.db, turn.person, topic, topic not in muted)
    await show_settings(turn)
