"""Documents asked for in the chat and built in the background (posters, reports, lists)."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow


class DocumentJob(Base):
    """One document someone asked for, waiting for the document worker.

    Building a document takes seconds (LibreOffice, thousands of report rows); inside the
    conversation's transaction it would hold up everyone whose updates share it, so the
    conversation records this row and the worker builds the file outside any transaction.
    """

    __tablename__ = "document_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Which builder makes it ("posters", "petition_report", ...) and what it was asked for.
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]]
    # The file is theirs: /forget drops a job still waiting (the row goes with the person).
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"),
                                           index=True)
    # The account that asked, and its language then: the file is answered where it was asked.
    identity_id: Mapped[int | None] = mapped_column(
        ForeignKey("channel_identities.id", ondelete="SET NULL"))
    locale: Mapped[str | None] = mapped_column(String(8))
    # pending, working, done, failed, dropped
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the current attempt took the job: a file about someone forgotten since is rebuilt.
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
