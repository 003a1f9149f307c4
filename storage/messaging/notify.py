"""Telling one person something: a notice queued for the channel account that can reach them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.messaging.outbox import ROUTINE, enqueue_message, enqueue_once
from storage.models import ChannelIdentity


async def reachable_identity(db: AsyncSession, person_id: int | None) -> ChannelIdentity | None:
    """The person's first account that has not blocked the bot, if any."""
    if person_id is None:
        return None
    query = (
        select(ChannelIdentity)
        .where(ChannelIdentity.person_id == person_id, ChannelIdentity.unreachable_at.is_(None))
        .order_by(ChannelIdentity.id)
        .limit(1)
    )
    return (await db.execute(query)).scalar_one_or_none()


async def notify_person(
    db: AsyncSession,
    person_id: int | None,
    notice: str,
    params: dict[str, Any],
    *,
    dedupe_key: str | None = None,
    priority: int = ROUTINE,
    about: Iterable[int | None] = (),
) -> bool:
    """Queue a notice (rendered in the reader's language when it leaves).

    False if the person cannot be reached, or if a notice with `dedupe_key` was queued before.
    `about`: the people whose data `params` carry, for `/forget` (see `enqueue_message`).
    """
    identity = await reachable_identity(db, person_id)
    if identity is None:
        return False
    payload = {"notice": notice, "params": params, "locale": identity.locale}
    if dedupe_key is not None:
        return await enqueue_once(db, identity, payload, dedupe_key=dedupe_key,
                                  priority=priority, about=about)
    enqueue_message(
        db,
        identity,
        payload,
        priority=priority,
        about=about,
    )
    return True
