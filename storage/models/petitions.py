"""Petitions (kiến nghị): the petition, its attachments, and the per-commune code counter.

A petition's history is its audit log entries (`subject_type == "petition"`): one record of
who moved it, when, from what to what and why.
"""

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow

TABLE_FILTERED = ("status", "field_id", "hamlet_id", "agency_id", "due_on")
# Trigram indexes of the panel's search, which only PostgreSQL has (migration 0023pt): the
# models cannot say "on PostgreSQL only", so migration checks leave these names out.
POSTGRESQL_ONLY_INDEXES = frozenset({"ix_petitions_folded_trigrams",
                                     "ix_petitions_code_trigrams"})


class Petition(Base):
    __tablename__ = "petitions"
    __table_args__ = (
        UniqueConstraint("commune_id", "code"),
        # The staff inbox: a commune's petitions by status, newest first.
        Index("ix_petitions_inbox", "commune_id", "status", "id"),
        Index("ix_petitions_due", "commune_id", "status", "due_on"),
        # An agency's queue, nearest deadline first, read in index order.
        Index("ix_petitions_agency_queue", "agency_id", "status", "due_on", "id"),
        # Inbox filters by hamlet or field: counted and paged from the index alone.
        Index("ix_petitions_hamlet_inbox", "hamlet_id", "commune_id", "status", "id"),
        Index("ix_petitions_field_inbox", "field_id", "commune_id", "status", "id"),
        # Duplicate search reads a commune's newest petitions, not everyone's.
        Index("ix_petitions_commune_recent", "commune_id", "id"),
        # A delegate's dossier: a unit's hamlets' petitions since the last round.
        Index("ix_petitions_hamlet_created", "hamlet_id", "created_at"),
        # The panel's overview counts a commune's petitions received and answered per month
        # from these alone.
        Index("ix_petitions_commune_created", "commune_id", "created_at"),
        Index("ix_petitions_commune_answered", "commune_id", "answered_at", "created_at"),
        # ... and its open petitions by field and hamlet.
        Index("ix_petitions_commune_places", "commune_id", "status", "field_id", "hamlet_id"),
        # The panel's table: each order read from an index, the filters checked in it
        # (migration 0023pt; on PostgreSQL also trigram indexes for the search).
        *[Index(f"ix_petitions_table_{name}", "commune_id", *columns, "created_at", "id",
                postgresql_include=[c for c in TABLE_FILTERED if c not in columns])
          for name, columns in (("received", ()), ("due", ("due_on",)), ("status", ("status",)),
                                ("field", ("field_id",)), ("hamlet", ("hamlet_id",)))],
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"))
    code: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    # Staff or delegate who typed it in for a voter met in person; the source says where.
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(16), default="chat")
    source_note: Mapped[str | None] = mapped_column(String(300))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"), index=True)
    voter_name: Mapped[str | None] = mapped_column(String(200))
    hamlet_id: Mapped[int | None] = mapped_column(ForeignKey("hamlets.id"))
    field_id: Mapped[int | None] = mapped_column(ForeignKey("fields.id"))
    competence: Mapped[str | None] = mapped_column(String(16))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    content: Mapped[str] = mapped_column(Text)
    # Lower-case, accents removed: what duplicate search compares.
    content_folded: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(300))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    show_name: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="received")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_at: Mapped[datetime] = mapped_column(default=utcnow)
    forwarded_at: Mapped[datetime | None]
    due_on: Mapped[date | None]
    answer: Mapped[str | None] = mapped_column(Text)
    answer_file: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("petitions.id"), index=True)
    version: Mapped[int] = mapped_column(default=1)


class PetitionAttachment(Base):
    """A photo, document or voice note, kept as the channel's file reference."""

    __tablename__ = "petition_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(
        ForeignKey("petitions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(16))
    file_ref: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)


class PetitionCounter(Base):
    """The last code number used per commune and year; its row lock makes codes unique."""

    __tablename__ = "petition_counters"

    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)
