"""Keeping generated files for delivery: store one, find it by its token, drop expired ones.

A file that holds personal data (a hamlet list with household categories, a report with names,
a person's own data export) is marked `personal`: its link works once and for minutes only
(the HTTP edge enforces the minutes, see `bot.files`), its content is kept a day at most for
the channel that sends it as a document, and the people it is about are recorded, so that
`/forget` deletes it (it is rebuilt without them when asked again).
"""

from __future__ import annotations

import html
import mimetypes
import secrets
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from io import BytesIO

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.base import utcnow
from storage.models.files import FileSubject, StoredFile

KEEP = timedelta(days=30)
# A personal file waits this long at most for its channel to send it; its link is shorter.
PERSONAL_KEEP = timedelta(days=1)
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
    now: datetime | None = None, about: Iterable[int | None] = (), personal: bool = False,
    keep: timedelta = KEEP,
) -> StoredFile:
    """Keep a generated file. `about`: the people whose data it holds (for /forget); a file
    about someone, or marked `personal`, gets a short-lived link that works once. `keep`: how
    long a file about nobody stays (a scheduled announcement's photo, until it has gone)."""
    now = now or utcnow()
    people = sorted({person_id for person_id in about if person_id is not None})
    personal = personal or bool(people)
    stored = StoredFile(
        token=secrets.token_urlsafe(16), name=name, mime=guess_mime(name), content=content,
        owner_id=owner_id, created_at=now, expires_at=now + (PERSONAL_KEEP if personal else keep),
        personal=personal,
    )
    stored.subjects = [FileSubject(person_id=person_id) for person_id in people]
    db.add(stored)
    return stored


def refer_to_platform_file(
    db: AsyncSession, name: str, source: str, *, owner_id: int | None,
    now: datetime | None = None, about: Iterable[int | None] = (), personal: bool = False,
) -> StoredFile:
    """A file that stays where it was sent (`"telegram:<file_id>"`), under a token of ours.

    Telegram re-sends it by its id; other channels get our link, which fetches it on demand.
    A `personal` file, or one `about` someone (a citizen's photo shown to the office), has a
    link that works once, for minutes; `/forget` or a day drops the reference.
    """
    now = now or utcnow()
    people = sorted({person_id for person_id in about if person_id is not None})
    personal = personal or bool(people)
    stored = StoredFile(
        token=secrets.token_urlsafe(16), name=name, mime=guess_mime(name), content=None,
        source=source, owner_id=owner_id, created_at=now,
        expires_at=now + (PERSONAL_KEEP if personal else ANSWER_KEEP), personal=personal,
    )
    stored.subjects = [FileSubject(person_id=person_id) for person_id in people]
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


@dataclass(frozen=True)
class LinkGone:
    """A personal file's link that was already used, or is older than its minutes."""

    used_at: datetime | None


async def download_by_link(
    db: AsyncSession, token: str, *, personal_link: timedelta, spend: bool = True,
    now: datetime | None = None,
) -> StoredFile | LinkGone | None:
    """The file behind a download link, counting the one use of a personal file's link
    (unless `spend` is False: a look that tells whether the link still works).

    The use is taken by a conditional update, so two requests racing for one link never both
    get the file.
    """
    now = now or utcnow()
    found = await file_by_token(db, token, now=now)
    if found is None or not found.personal:
        return found
    if found.used_at is not None or found.created_at + personal_link <= now:
        return LinkGone(found.used_at)
    if not spend:
        return found
    taken = await db.execute(
        update(StoredFile)
        .where(StoredFile.id == found.id, StoredFile.used_at.is_(None))
        .values(used_at=now)
    )
    if not getattr(taken, "rowcount", 0):
        return LinkGone(now)
    return found


def readable_text(content: bytes) -> str:
    """What a file says, for searching it: XLSX/DOCX members unzipped, XML references read."""
    if content.startswith(b"PK"):
        try:
            with zipfile.ZipFile(BytesIO(content)) as archive:
                return "\n".join(
                    html.unescape(archive.read(name).decode("utf-8", "replace"))
                    for name in archive.namelist()
                )
        except zipfile.BadZipFile:
            pass
    return content.decode("utf-8", "replace")


async def delete_files_about(
    db: AsyncSession, person_id: int, traces: Iterable[str] = ()
) -> int:
    """For /forget: files made for the person or about them go, their links with them.

    Besides the recorded subjects, personal files are searched for `traces` (their phone,
    address, questions...) as a safety net for a file whose subjects were not recorded.
    """
    about = select(FileSubject.file_id).where(FileSubject.person_id == person_id)
    doomed = set((await db.execute(select(StoredFile.id).where(
        or_(StoredFile.owner_id == person_id, StoredFile.id.in_(about))))).scalars())
    needles = [trace for trace in traces if trace]
    if needles:
        personal = await db.execute(select(StoredFile.id, StoredFile.content).where(
            StoredFile.personal.is_(True), StoredFile.content.is_not(None)))
        for file_id, content in personal.tuples():
            text = readable_text(content or b"")
            if any(needle in text for needle in needles):
                doomed.add(file_id)
    if doomed:
        await db.execute(delete(StoredFile).where(StoredFile.id.in_(sorted(doomed))))
    return len(doomed)


async def purge_expired_files(db: AsyncSession, *, now: datetime | None = None) -> int:
    result = await db.execute(delete(StoredFile).where(StoredFile.expires_at <= (now or utcnow())))
    return int(getattr(result, "rowcount", 0) or 0)
