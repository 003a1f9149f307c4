"""Closing the loops of voter contact: each delegate's dossier before a round, and the
report-back to the voters of a meeting on how their opinions were passed on and answered.

Neither table holds personal data: they say what was sent, to which seat or meeting, and when.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow


class DossierDelivery(Base):
    """A delegate's dossier for a round was asked of the document worker: once per seat."""

    __tablename__ = "dossier_deliveries"
    __table_args__ = (UniqueConstraint("round_id", "delegate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("contact_rounds.id", ondelete="CASCADE"))
    delegate_id: Mapped[int] = mapped_column(ForeignKey("delegates.id", ondelete="CASCADE"),
                                             index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReportBack(Base):
    """The notice telling a meeting's voters what became of the opinions they gave there.

    Sent at `send_at`, a time the office chose; or, `with_next_meeting`, together with the
    residents' notice of the unit's meeting in the next round (when that falls due, so a
    meeting planned or moved later is followed).
    """

    __tablename__ = "report_backs"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"),
                                            unique=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"))
    send_at: Mapped[datetime | None]
    with_next_meeting: Mapped[bool] = mapped_column(default=False)
    # planned, sent, cancelled
    status: Mapped[str] = mapped_column(String(12), default="planned", index=True)
    # The next round's meeting it went out with, once sent that way.
    sent_with_meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="SET NULL"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    recipients: Mapped[int] = mapped_column(default=0)
