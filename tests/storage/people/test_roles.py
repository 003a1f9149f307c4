"""Invites in storage: codes easy to type, hashed at rest, and a delegate's always for a seat."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import Commune, Delegate, Invite
from storage.people.roles import (
    CODE_ALPHABET,
    SeatRequired,
    create_invites,
    format_invite_code,
    new_invite_code,
    normalize_invite_code,
)
from tests.factories import demo


def test_codes_avoid_look_alikes_and_hold_at_least_45_bits() -> None:
    assert not set(CODE_ALPHABET) & set("0O1IL5S2Z8B")
    code = new_invite_code()
    assert len(code) == 10 and len(CODE_ALPHABET) ** 10 >= 2**45
    assert format_invite_code("K7MQ3XHPAC") == "K7MQ-3XHP-AC"


@pytest.mark.parametrize("typed", ["K7MQ-3XHP-AC", "k7mq3xhpac", " k7mq 3xhp ac ", "K7MQ_3XHP.AC"])
def test_a_code_is_recognised_in_any_case_and_grouping(typed: str) -> None:
    assert normalize_invite_code(typed) == "K7MQ3XHPAC"


@pytest.mark.parametrize("typed", ["K7MQ3XHPA", "K7MQ3XHPACC", "K7MQ3XHP0C", "ACDEFGHJKM",
                                   "3467934679", "Nguyễn Văn An", ""])
def test_what_cannot_be_a_code_is_not_one(typed: str) -> None:
    assert normalize_invite_code(typed) is None


async def test_a_delegate_invite_without_a_seat_of_the_commune_is_refused(db: Database) -> None:
    await demo(db)
    async with db.transaction() as session:
        commune = (await session.execute(select(Commune))).scalars().one()
        with pytest.raises(SeatRequired):
            await create_invites(session, commune, "delegate")
        with pytest.raises(SeatRequired):
            await create_invites(session, commune, "delegate", delegate_id=999_999)
        with pytest.raises(ValueError):
            seat = (await session.execute(select(Delegate.id))).scalars().first()
            await create_invites(session, commune, "office", delegate_id=seat)
        assert (await session.execute(select(Invite))).first() is None


async def test_only_a_hash_of_the_code_is_stored(db: Database) -> None:
    await demo(db)
    async with db.transaction() as session:
        commune = (await session.execute(select(Commune))).scalars().one()
        (issued,) = await create_invites(session, commune, "office")
        stored = (await session.execute(select(Invite.token_hash))).scalar_one()
    assert issued.token not in stored and len(stored) == 64
