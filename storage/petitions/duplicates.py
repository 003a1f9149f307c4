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
from storage.petitions.statuses import OPEN

THRESHOLD = 70.0
WINDOW = timedelta(days=180)
# A commune's open petitions of half a year fit well within this; more would only slow
# every merge screen (bench/petitions: the scan is in Python).
CANDIDATES = 2000


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
        select(Petition.id, Petition.content_folded)
        .where(
            Petition.commune_id == commune_id,
            Petition.status.in_([s.value for s in OPEN] + ["answered"]),
            Petition.created_at >= utcnow() - WINDOW,
        )
        .order_by(Petition.id.desc())
        .limit(CANDIDATES)
    )
    candidates = {pid: text for pid, text in (await db.execute(query)).all() if pid != exclude_id}
    matches = process.extract(
        fold(text), candidates, scorer=fuzz.token_set_ratio, score_cutoff=THRESHOLD, limit=limit
    )
    if not matches:
        return []
    found = {
        pid: (code, content)
        for pid, code, content in (
            await db.execute(
                select(Petition.id, Petition.code, Petition.content).where(
                    Petition.id.in_([pid for _text, _score, pid in matches])
                )
            )
        ).all()
    }
    return [Similar(pid, *found[pid], score) for _text, score, pid in matches if pid in found]
