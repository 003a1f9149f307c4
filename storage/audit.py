"""Writing the audit log: one call per staff or system action."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


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
