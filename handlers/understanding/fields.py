"""Suggesting a petition's field (lĩnh vực) from what the citizen wrote.

Two sources: the lexicon of field words (`lexicon.py`), which works from the first day, and
the commune's own model trained on its staff's classifications (`model.py`), which learns
the commune's words and its own field codes. The model's say grows with the number of
examples it learnt from: a model trained on 20 petitions is a hint, on 2,000 it leads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from handlers.understanding.matching import FIELD_PREFIX, correct_typos, find_cues
from handlers.understanding.meanings import MAX_CHARS
from handlers.understanding.model import FieldModel
from handlers.understanding.normalise import normalise

OTHER = "other"
# Examples at which the model and the lexicon weigh the same.
EVEN_AT = 100


def lexicon_scores(text: str) -> dict[str, float]:
    """Weights of the field words found in the text, per field code."""
    words = correct_typos(normalise(text[:MAX_CHARS]).split())
    scores: defaultdict[str, float] = defaultdict(float)
    for hit in find_cues(words):
        for label, weight in hit.labels:
            if label.startswith(FIELD_PREFIX):
                scores[label.removeprefix(FIELD_PREFIX)] += weight
    return dict(scores)


def model_weight(model: FieldModel | None) -> float:
    """How much the model counts against the lexicon, from 0 (untrained) towards 1."""
    if model is None or len(model.classes) < 2:
        return 0.0
    return model.examples / (model.examples + EVEN_AT)


def suggest_field(
    text: str, model: FieldModel | None = None, *, fields: Collection[str] | None = None
) -> list[tuple[str, float]]:
    """Field codes with a score, most likely first; never empty.

    `fields` are the commune's field codes (they differ per locality); suggestions outside
    them are dropped. With no clue at all, the answer is "other" (or every field alike).
    """
    lexicon = lexicon_scores(text)
    if fields is not None:
        lexicon = {code: score for code, score in lexicon.items() if code in fields}
    total = sum(lexicon.values())
    combined: defaultdict[str, float] = defaultdict(float)
    weight = model_weight(model)
    if total == 0:
        # The lexicon knows nothing here: the model alone, if there is one.
        weight = 1.0 if weight > 0 else 0.0
    else:
        for code, score in lexicon.items():
            combined[code] += (1 - weight) * score / total
    if model is not None and weight > 0:
        for code, probability in model.predict(text):
            if fields is None or code in fields:
                combined[code] += weight * probability
    if not combined:
        allowed = sorted(fields) if fields else [OTHER]
        if OTHER in allowed:
            return [(OTHER, 1.0)]
        return [(code, 1.0 / len(allowed)) for code in allowed]
    norm = sum(combined.values())
    ranked = sorted(((code, score / norm) for code, score in combined.items()),
                    key=lambda item: -item[1])
    return [(code, round(score, 4)) for code, score in ranked]
