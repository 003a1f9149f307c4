"""Voter contact (tiếp xúc cử tri): the council's sessions, the rounds around them, meetings.

A round is the window before or after a session in which every electoral unit meets its
delegates; its deadlines (documents to delegates, opinions back, the Front's report) are part
of the plan and differ per commune.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow


class CouncilSession(Base):
    """A session (kỳ họp) of a commune's People's Council."""

    __tablename__ = "council_sessions"
    __table_args__ = (UniqueConstraint("commune_id", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    term: Mapped[str] = mapped_column(String(32), default="")
    title: Mapped[str] = mapped_column(String(200))
    opens_on: Mapped[date]
    closes_on: Mapped[date]


class ContactRound(Base):
    """The voter-contact round before or after one session, with its window and deadlines."""

    __tablename__ = "contact_rounds"
    __table_args__ = (UniqueConstraint("session_id", "timing"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("council_sessions.id", ondelete="CASCADE"))
    timing: Mapped[str] = mapped_column(String(8))  # before, after
    window_start: Mapped[date]
    window_end: Mapped[date]
    documents_days: Mapped[int] = mapped_column(default=5)
    opinions_days: Mapped[int] = mapped_column(default=5)
    front_report_by: Mapped[date | None]
    version: Mapped[int] = mapped_column(default=1)


class Meeting(Base):
    """One voter-contact meeting (hội nghị TXCT) of an electoral unit's delegates."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("contact_rounds.id", ondelete="CASCADE"),
                                          index=True)
    electoral_unit_id: Mapped[int] = mapped_column(ForeignKey("electoral_units.id"), index=True)
    place: Mapped[str] = mapped_column(String(300))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    agenda: Mapped[str] = mapped_column(Text, default="")
    expected_voters: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(12), default="planned")  # held, cancelled
    voters_present: Mapped[int | None]
    held_at: Mapped[datetime | None]
    # Bumped by every change a reminder depends on; a reminder carries the version it was
    # planned for and is dropped if they differ when it falls due.
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MeetingDelegate(Base):
    """A delegate of the meeting's group, and whether they said they will come."""

    __tablename__ = "meeting_delegates"
    __table_args__ = (UniqueConstraint("meeting_id", "delegate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    delegate_id: Mapped[int] = mapped_column(ForeignKey("delegates.id", ondelete="CASCADE"),
                                             index=True)
    attendance: Mapped[str] = mapped_column(String(16), default="invited")
    opinions_sent_at: Mapped[datetime | None]


class Reminder(Base):
    """A message planned for a moment: what it is about, for whom, and the version it knows.

    Recipients are worked out when it falls due (the delegates of the meeting then, the
    residents following voter-contact news then), so a reminder is one row, not one per person.
    """

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("kind", "subject_type", "subject_id", "subject_version", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"))
    kind: Mapped[str] = mapped_column(String(32))
    subject_type: Mapped[str] = mapped_column(String(16))  # meeting, round, delegate_meeting
    subject_id: Mapped[int]
    subject_version: Mapped[int]
    due_at: Mapped[datetime] = mapped_column(index=True)
    # Sent late only until then (the rule in storage.voter_contact.reminders).
    useful_until: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12), default="planned", index=True)
    sent_at: Mapped[datetime | None]
    recipients: Mapped[int] = mapped_column(default=0)


class ReminderDelivery(Base):
    """Who a reminder reached: they are the ones told when the meeting moves or is cancelled."""

    __tablename__ = "reminder_deliveries"
    __table_args__ = (UniqueConstraint("reminder_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reminder_id: Mapped[int] = mapped_column(ForeignKey("reminders.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"),
                                           index=True)


class PlanImport(Base):
    """A plan file the office sent, waiting to be fetched, checked and imported.

    Fetching a file from the platform is slow network work, so it happens in a background job
    and not inside the conversation that received it.
    """

    __tablename__ = "plan_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    file_token: Mapped[str] = mapped_column(String(32))
    file_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    result: Mapped[dict[str, Any] | None]
