"""Finding petitions that say the same thing, typed with or without accents.

Texts are compared folded (lower case, no diacritics) with rapidfuzz's token-set ratio, which
forgives word order and extra words: "duong lang bi hong" matches "Đường làng bị hỏng nặng".
Only the commune's open petitions of the last months are compared; staff decide on a merge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.folding import fold
from storage.models import Petition
from storage.models.base import utcnow
from storage.petition_workflow import OPEN

THRESHOLD = 70.0
WINDOW = timedelta(days=180)
CANDIDATES = 5000


@dataclass(frozen=True)
class Similar:
    id: int
    code: str
    content: str
    score: float


async def find_similar_petitions(
    db: AsyncSession, commune_id: int, text: str, *, exclude_id: int | None = None,
    limit: int = 5,
) -> list[Similar]:
    query = (
        select(Petition.id, Petition.code, Petition.content, Petition.content_folded)
        .where(
            Petition.commune_id == commune_id,
            Petition.status.in_([s.value for s in OPEN] + ["answered"]),
            Petition.created_at >= utcnow() - WINDOW,
        )
        .order_by(Petition.id.desc())
        .limit(CANDIDATES)
    )
    rows = [row for row in (await db.execute(query)).all() if row.id != exclude_id]
    matches = process.extract(
        fold(text), [row.content_folded for row in rows], scorer=fuzz.token_set_ratio,
        score_cutoff=THRESHOLD, limit=limit,
    )
    return [
        Similar(rows[index].id, rows[index].code, rows[index].content, score)
        for _choice, score, index in matches
    ]
