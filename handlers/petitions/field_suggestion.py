"""The field suggested for a petition: the lexicon plus the commune's own trained model.

The model is trained outside the bot process (`cutri fields train`, run by the scheduler) and
stored per commune; here it is only read. A process keeps the models it has loaded and asks
the database each time only when the commune's model was trained (one primary-key read): a
retrained model is picked up by the next suggestion, a dropped one (after /forget) is dropped
here too. Reading a model never loads scikit-learn: scores are computed in plain Python.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.understanding.fields import suggest_field
from handlers.understanding.model import FORMAT_VERSION, FieldModel
from storage.models import Field
from storage.petitions.field_models import field_model_stamp, load_field_model

log = logging.getLogger(__name__)
# A model is a few megabytes in memory; a province's process keeps its busiest communes'.
MAX_MODELS = 16

_loaded: OrderedDict[tuple[str, int], tuple[datetime, FieldModel]] = OrderedDict()


async def commune_field_model(db: AsyncSession, commune_id: int) -> FieldModel | None:
    """The commune's trained model, or None (never trained, dropped, of an older format)."""
    # Keyed by database too: one process may serve several (the tests do).
    key = (str(db.get_bind().engine.url), commune_id)
    stamp = await field_model_stamp(db, commune_id)
    if stamp is None:
        _loaded.pop(key, None)
        return None
    cached = _loaded.get(key)
    if cached is not None and cached[0] == stamp:
        _loaded.move_to_end(key)
        return cached[1]
    stored = await load_field_model(db, commune_id)
    if stored is None or stored.format_version != FORMAT_VERSION:
        _loaded.pop(key, None)
        return None
    try:
        # A megabyte of JSON: parsed beside the event loop rather than in its way.
        model = await asyncio.to_thread(FieldModel.from_json, stored.model)
    except (ValueError, KeyError, TypeError):
        log.warning("field model unreadable, lexicon used", extra={"outcome": commune_id})
        _loaded.pop(key, None)
        return None
    _loaded[key] = (stored.trained_at, model)
    log.info("field model loaded", extra={"outcome": commune_id})
    while len(_loaded) > MAX_MODELS:
        _loaded.popitem(last=False)
    return model


async def suggested_field(db: AsyncSession, commune_id: int, content: str,
                          fields: list[Field]) -> Field:
    """The commune's field the petition most likely belongs to (`fields` is not empty)."""
    model = await commune_field_model(db, commune_id)
    ranked = suggest_field(content, model, fields={field.code for field in fields})
    by_code = {field.code: field for field in fields}
    return by_code.get(ranked[0][0], fields[-1])
