"""A commune workbook sent in the chat, waiting to be fetched and checked, then applied."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow


class SetupImport(Base):
    """One upload of a commune workbook by an admin.

    Fetching the file from the platform is slow network work, done by a background job; the
    checked workbook then waits as a short-lived personal file (`workbook_token`: it holds
    delegates' phones) until the admin applies or drops it.
    """

    __tablename__ = "setup_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    # The codes of the communes the sender administers: the only ones the workbook may touch.
    allowed: Mapped[list[Any]]
    file_token: Mapped[str] = mapped_column(String(32))
    file_name: Mapped[str] = mapped_column(String(200))
    # pending, working, checked, refused, failed, applied, cancelled
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    workbook_token: Mapped[str | None] = mapped_column(String(32))
