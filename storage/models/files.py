"""Files the bot sends: reports, letters and answers' documents, kept so every channel gets them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, utcnow


class StoredFile(Base):
    """A generated document. Zalo cannot take files, so it gets a link carrying `token`:
    128 random bits that expire, which is what makes the link safe to put in a chat."""

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    mime: Mapped[str] = mapped_column(String(100))
    # Empty for a file that stays on the platform it came from (`source`, e.g.
    # "telegram:<file_id>" for a document an agency officer answered with).
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    source: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    # Holds personal data (lists with categories, reports with names, an export): its link is
    # short-lived and works once; `used_at` is when it was downloaded.
    personal: Mapped[bool] = mapped_column(default=False)
    used_at: Mapped[datetime | None]
    # Written with the file, never read through it.
    subjects: Mapped[list[FileSubject]] = relationship(lazy="noload", passive_deletes=True)


class FileSubject(Base):
    """Whom a stored file is about, so `/forget` deletes every file that names them."""

    __tablename__ = "stored_file_subjects"

    file_id: Mapped[int] = mapped_column(
        ForeignKey("stored_files.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True
    )
