"""Erasing a household's dialogue data for /forget: its seat, category, words and name.

The seat itself is given up through
`cancel_registration`, so a seat freed by /forget reaches the waiting list exactly as a
cancellation does.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Registration

ACTIVE = ("registered", "waiting", "offered")


async def household_traces(db: AsyncSession, person_id: int) -> list[str]:
    """What the household typed into its registrations: names and questions (for redaction)."""
    rows = await db.execute(select(Registration.representative, Registration.questions).where(
        Registration.person_id == person_id))
    traces: list[str] = []
    for representative, questions in rows.tuples():
        traces += [representative or "", questions or ""]
        if questions:
            # Staff screens show the first words of long questions.
            traces.append(" ".join(questions.split())[:30])
    return [trace for trace in traces if trace.strip()]


async def registered_people(db: AsyncSession, dialogue_id: int) -> list[int]:
    """The households a dialogue's lists name: what such a file is about."""
    query = select(Registration.person_id).where(
        Registration.dialogue_id == dialogue_id, Registration.person_id.is_not(None))
    return [person_id for person_id in (await db.execute(query)).scalars() if person_id]


async def erase_household_data(
    db: AsyncSession, person_id: int, *, now: datetime | None = None
) -> int:
    """After /forget: active registrations are cancelled (a held seat goes to the waiting
    list); the category, the representative's name, the questions and their answer go.
    Returns how many registrations were cancelled."""
    # Imported here: the seat machinery reaches storage.people.people (which imports this
    # module) through reminders and broadcasts.
    from storage.dialogues.dialogues import cancel_registration

    active = (await db.execute(select(Registration).where(
        Registration.person_id == person_id, Registration.status.in_(ACTIVE))
        .order_by(Registration.id))).scalars().all()
    for registration in active:
        await cancel_registration(db, registration, now=now)
    await db.execute(
        update(Registration)
        .where(Registration.person_id == person_id)
        .values(category=None, representative=None, questions="", answer=None)
    )
    return len(active)
