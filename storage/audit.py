"""Writing the audit log: one call per staff or system action, and one per staff read.

Entries say who did or read what, and when; never the personal data itself.
"""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry

READ = "personal_data.read"


def record_action(
    db: AsyncSession,
    *,
    action: str,
    subject_type: str,
    subject_id: int | None,
    actor_id: int | None = None,
    actor_label: str = "person",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    db.add(
        AuditEntry(
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            actor_id=actor_id,
            actor_label=actor_label,
            before=before,
            after=after,
            reason=reason,
        )
    )


def record_read(
    db: AsyncSession, *, actor_id: int | None, subject_type: str, subject_id: int | None,
    what: str,
) -> None:
    """A staff member read personal data: a card, a list, a download (PDP Law 91/2025).

    `what` names the screen or file ("card", "hamlet_lists"), never what it showed. One row,
    written with the reader's turn.
    """
    record_action(db, action=READ, subject_type=subject_type, subject_id=subject_id,
                  actor_id=actor_id, after={"what": what})
