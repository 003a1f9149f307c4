"""Keeping generated files for delivery: store one, find it by its token, drop expired ones."""

from __future__ import annotations

import mimetypes
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.base import utcnow
from storage.models.files import StoredFile

KEEP = timedelta(days=30)
# An agency's answer is part of the petition's record: its document stays reachable.
ANSWER_KEEP = timedelta(days=5 * 365)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def guess_mime(name: str) -> str:
    if name.endswith(".docx"):
        return DOCX
    if name.endswith(".xlsx"):
        return XLSX
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def store_file(
    db: AsyncSession, name: str, content: bytes, *, owner_id: int | None,
    now: datetime | None = None,
) -> StoredFile:
    now = now or utcnow()
    stored = StoredFile(
        token=secrets.token_urlsafe(16), name=name, mime=guess_mime(name), content=content,
        owner_id=owner_id, created_at=now, expires_at=now + KEEP,
    )
    db.add(stored)
    return stored


def refer_to_platform_file(
    db: AsyncSession, name: str, source: str, *, owner_id: int | None,
    now: datetime | None = None,
) -> StoredFile:
    """A file that stays where it was sent (`"telegram:<file_id>"`), under a token of ours.

    Telegram re-sends it by its id; other channels get our link, which fetches it on demand.
    """
    now = now or utcnow()
    stored = StoredFile(
        token=secrets.token_urlsafe(16), name=name, mime=guess_mime(name), content=None,
        source=source, owner_id=owner_id, created_at=now, expires_at=now + ANSWER_KEEP,
    )
    db.add(stored)
    return stored


async def file_by_token(
    db: AsyncSession, token: str, *, now: datetime | None = None
) -> StoredFile | None:
    query = select(StoredFile).where(StoredFile.token == token)
    found = (await db.execute(query)).scalar_one_or_none()
    if found is None or found.expires_at <= (now or utcnow()):
        return None
    return found


async def purge_expired_files(db: AsyncSession, *, now: datetime | None = None) -> int:
    result = await db.execute(delete(StoredFile).where(StoredFile.expires_at <= (now or utcnow())))
    return int(getattr(result, "rowcount", 0) or 0)
