"""A petition's statuses, and which of them are still open (waiting on the office or an agency).

The moves between them are `storage.petitions.workflow`'s table; this module only names them,
so that finding duplicates and listing petitions need not import the workflow.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    RECEIVED = "received"
    CLASSIFIED = "classified"
    FORWARDED = "forwarded"
    ANSWERED = "answered"
    CLOSED = "closed"
    REOPENED = "reopened"
    MERGED = "merged"
    REJECTED = "rejected"


OPEN = frozenset({Status.RECEIVED, Status.CLASSIFIED, Status.FORWARDED, Status.REOPENED})
