"""Files the bot sends: reports and letters, kept for a while so every channel can fetch them."""

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow


class StoredFile(Base):
    """A generated document. Zalo cannot take files, so it gets a link carrying `token`:
    128 random bits that expire, which is what makes the link safe to put in a chat."""

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    mime: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
