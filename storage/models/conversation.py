"""Conversation state per channel identity, and the record of inbound updates already seen."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.encryption import EncryptedText
from storage.models.base import Base, utcnow


class Conversation(Base):
    """Where one identity is in which flow. Its row is locked while an update is handled."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    identity_id: Mapped[int] = mapped_column(
        ForeignKey("channel_identities.id", ondelete="CASCADE"), unique=True
    )
    flow: Mapped[str | None] = mapped_column(String(32))
    step: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The choices last shown, so "2" typed on Zalo maps back to an action.
    offered: Mapped[list[Any]] = mapped_column(default=list)
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboundEvent(Base):
    """One row per platform update: a redelivered update collides on the unique key.

    An update is recorded as it arrives (`payload` holds it, encrypted) and marked handled in
    the transaction that handles it (`payload` emptied): what was received but not yet
    handled when the process stopped is handled after the restart.

    `sender_key` (a hash of channel and account, kept only while the row waits) lets any
    replica find a person's earlier waiting updates; `resumed_at`: when a replica took over
    an update left waiting, by a dead replica as a rule.
    """

    __tablename__ = "inbound_events"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        Index("ix_inbound_events_waiting", "id", sqlite_where=text("handled_at IS NULL"),
              postgresql_where=text("handled_at IS NULL")),
        Index("ix_inbound_events_sender_waiting", "sender_key", "id",
              sqlite_where=text("handled_at IS NULL"),
              postgresql_where=text("handled_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    payload: Mapped[str | None] = mapped_column(EncryptedText("inbound_events.payload"))
    handled_at: Mapped[datetime | None]
    sender_key: Mapped[int | None] = mapped_column(BigInteger)
    resumed_at: Mapped[datetime | None]
