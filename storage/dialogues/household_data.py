"""Erasing a household's sensitive dialogue data (its category), for /forget.

Apart from the rest of `storage.dialogues.dialogues` so that `storage.people.people` can use
it without importing the reminder machinery.
"""

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Registration


async def erase_household_data(db: AsyncSession, person_id: int) -> None:
    """After /forget: the household category and the representative's name go."""
    await db.execute(
        update(Registration)
        .where(Registration.person_id == person_id)
        .values(category=None, representative=None)
    )
