"""A petition's photos, documents and voice notes, opened by the office or the agency.

They stay on the platform they were sent to; opening them makes short-lived references of
ours (personal files: a Telegram reader gets them again by their id, a Zalo reader a link that
works once, for minutes). The agency may open them even when the petitioner's name is hidden:
a photo shows the problem, not the person. Every opening is a staff read in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit import record_read
from storage.files import refer_to_platform_file
from storage.models import Person, Petition, PetitionAttachment
from storage.petitions.visibility import Viewer, viewer_from
from storage.petitions.workflow import actor_kinds

# Who may open them; another petitioner of a merged group may not (their own are theirs).
READERS = frozenset({Viewer.OFFICE, Viewer.AGENCY})
# A Telegram file id says nothing of its type: the name gives the type channels send it as.
EXTENSIONS = {"photo": ".jpg", "voice": ".ogg", "file": ""}


@dataclass(frozen=True)
class OpenedAttachment:
    position: int  # 1, 2, ... as the petitioner sent them
    kind: str  # photo, file, voice
    token: str  # the stored file's token (bot.files serves and sends it)
    name: str


def attachment_name(code: str, position: int, attachment: PetitionAttachment) -> str:
    """`KN-2026-00042-2.jpg`: the code and the number, with the type's extension."""
    extension = EXTENSIONS.get(attachment.kind, "")
    if attachment.file_ref.startswith("https://"):
        path = urlsplit(attachment.file_ref).path
        last = path.rsplit("/", 1)[-1]
        if "." in last and len(last.rsplit(".", 1)[1]) <= 4:
            extension = "." + last.rsplit(".", 1)[1].lower()
    return f"{code}-{position}{extension}"


async def may_open_attachments(db: AsyncSession, petition: Petition, reader: Person) -> bool:
    return viewer_from(await actor_kinds(db, petition, reader)) in READERS


async def list_attachments(db: AsyncSession, petition: Petition) -> list[PetitionAttachment]:
    query = (select(PetitionAttachment)
             .where(PetitionAttachment.petition_id == petition.id)
             .order_by(PetitionAttachment.position, PetitionAttachment.id))
    return list((await db.execute(query)).scalars())


async def open_attachments(
    db: AsyncSession, petition: Petition, reader: Person, *, now: datetime | None = None,
) -> list[OpenedAttachment] | None:
    """The petition's files for this reader, or None if they may not open them."""
    if not await may_open_attachments(db, petition, reader):
        return None
    opened = []
    for position, attachment in enumerate(await list_attachments(db, petition), start=1):
        name = attachment_name(petition.code, position, attachment)
        stored = refer_to_platform_file(
            db, name, f"{attachment.channel}:{attachment.file_ref}", owner_id=None, now=now,
            about=[petition.person_id], personal=True)
        opened.append(OpenedAttachment(position, attachment.kind, stored.token, name))
    if opened:
        record_read(db, actor_id=reader.id, subject_type="petition", subject_id=petition.id,
                    what="attachments")
    return opened


@dataclass(frozen=True)
class AttachmentToShow:
    kind: str
    channel: str
    file_ref: str
    name: str


async def attachment_to_show(
    db: AsyncSession, petition: Petition, reader: Person, position: int
) -> AttachmentToShow | None:
    """One attachment (1-based) for the panel to show inline; None if the reader may not
    open it or there is none. The opening is written to the audit log."""
    if not await may_open_attachments(db, petition, reader):
        return None
    found = await list_attachments(db, petition)
    if not 1 <= position <= len(found):
        return None
    attachment = found[position - 1]
    record_read(db, actor_id=reader.id, subject_type="petition", subject_id=petition.id,
                what="attachment")
    return AttachmentToShow(attachment.kind, attachment.channel, attachment.file_ref,
                            attachment_name(petition.code, position, attachment))
