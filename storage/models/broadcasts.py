"""Office announcements to many people, and the topics citizens can mute."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow


class Broadcast(Base):
    """One announcement; its messages are outbox rows that point back here."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    topic: Mapped[str] = mapped_column(String(32))
    urgent: Mapped[bool] = mapped_column(default=False)
    audience: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(12), default="queued")
    send_at: Mapped[datetime]
    recipients: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]


class TopicMute(Base):
    """A citizen does not want routine announcements on this topic (urgent ones still come)."""

    __tablename__ = "topic_mutes"
    __table_args__ = (UniqueConstraint("person_id", "topic"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(32))
