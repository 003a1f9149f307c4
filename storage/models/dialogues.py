"""Poverty-policy dialogues: the dialogue, its per-hamlet seats, and households' registrations.

The household category (poor, near-poor...) is sensitive personal data: it lives only on the
registration, is stored encrypted, is shown only to the commune office, and `/forget` erases it.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.encryption import Encrypted
from storage.models.base import Base, utcnow


class Dialogue(Base):
    __tablename__ = "dialogues"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    organiser: Mapped[str] = mapped_column(String(300), default="")
    starts_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(300))
    topics: Mapped[list[Any]]
    categories: Mapped[list[Any]]  # household categories invited
    registration_until: Mapped[datetime]
    # From then on, seats a hamlet has not filled go to any household, in waiting-list order.
    release_at: Mapped[datetime | None]
    questions_enabled: Mapped[bool] = mapped_column(default=True)
    offer_hours: Mapped[int] = mapped_column(default=24)
    status: Mapped[str] = mapped_column(String(12), default="open")  # cancelled
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HamletQuota(Base):
    """A hamlet's seats at one dialogue. `taken` changes only under this row's lock."""

    __tablename__ = "hamlet_quotas"
    __table_args__ = (UniqueConstraint("dialogue_id", "hamlet_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(ForeignKey("dialogues.id", ondelete="CASCADE"))
    hamlet_id: Mapped[int] = mapped_column(ForeignKey("hamlets.id"))
    seats: Mapped[int]
    taken: Mapped[int] = mapped_column(default=0)


class Registration(Base):
    """One household at one dialogue: a seat, a place on the waiting list, or an offer."""

    __tablename__ = "registrations"
    __table_args__ = (
        UniqueConstraint("dialogue_id", "person_id"),
        UniqueConstraint("dialogue_id", "code"),
        UniqueConstraint("dialogue_id", "checkin_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(ForeignKey("dialogues.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"),
                                                  index=True)
    hamlet_id: Mapped[int] = mapped_column(ForeignKey("hamlets.id"))
    # Whose seat it holds: the household's hamlet, or another's released seat.
    seat_hamlet_id: Mapped[int | None] = mapped_column(ForeignKey("hamlets.id"))
    representative: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(Encrypted("registrations.category"))
    topics: Mapped[list[Any]]
    questions: Mapped[str] = mapped_column(Text, default="")
    code: Mapped[str] = mapped_column(String(16))
    checkin_code: Mapped[str] = mapped_column(String(8))
    # registered, waiting, offered, cancelled, expired, attended
    status: Mapped[str] = mapped_column(String(12), index=True)
    offered_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attended_at: Mapped[datetime | None]
    # The organisers' answer to the household's questions, sent to it when recorded.
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
