"""Each commune's field model: what it learns from, when it is due, storing it, dropping it.

The bot suggests a petition's field from a lexicon plus a small classifier trained on what this
commune's staff chose for earlier petitions. Training happens outside the bot process (it needs
scikit-learn); these operations give it its examples and keep its result. The model is derived
from petition texts, so forgetting a petitioner drops the models of their communes: the next
training leaves their petitions out.

A training example is a petition the office classified (`petition.classified` in the audit log,
its `after` holding the field chosen), the latest classification winning. The field a citizen
confirmed when sending does not count: only a choice made by staff teaches the model. Nor does
an agency returning a petition to the office: that is a move back, not a choice of field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry, Commune, Field, FieldModel, Person, Petition
from storage.models.base import utcnow

CLASSIFIED = "petition.classified"


@dataclass(frozen=True, slots=True)
class TrainingSet:
    """A commune's staff classifications as read at one moment."""

    commune_id: int
    # (petition text as sent, field code chosen by staff), in classification order.
    examples: list[tuple[str, str]]
    # The newest classification read: those after it are "new" for the next training.
    through_audit_id: int
    # Forgotten petitioners of the commune at reading time: if there are more when the model
    # is saved, someone left meanwhile and the model may hold their words.
    forgotten: int
    read_at: datetime


@dataclass(frozen=True, slots=True)
class StoredFieldModel:
    commune_id: int
    model: bytes
    format_version: int
    examples: int
    trained_at: datetime


async def _forgotten_petitioners(db: AsyncSession, commune_id: int) -> int:
    found = await db.execute(
        select(func.count(func.distinct(Person.id)))
        .select_from(Petition)
        .join(Person, Person.id == Petition.person_id)
        .where(Petition.commune_id == commune_id, Person.forgotten_at.is_not(None))
    )
    return int(found.scalar_one())


async def read_training_set(db: AsyncSession, commune_id: int) -> TrainingSet:
    """The commune's staff classifications: petition text and the field code last chosen.

    Petitions of people who asked to be forgotten are left out. The text is returned as sent:
    the trainer normalises it the same way the bot normalises what it is asked about.
    """
    read_at = utcnow()
    forgotten = await _forgotten_petitioners(db, commune_id)
    codes = dict((await db.execute(
        select(Field.id, Field.code).where(Field.commune_id == commune_id))).tuples().all())
    rows = await db.execute(
        select(AuditEntry.id, Petition.id, Petition.content, AuditEntry.before,
               AuditEntry.after, Person.forgotten_at)
        .select_from(AuditEntry)
        .join(Petition, Petition.id == AuditEntry.subject_id)
        .outerjoin(Person, Person.id == Petition.person_id)
        .where(AuditEntry.action == CLASSIFIED, AuditEntry.subject_type == "petition",
               Petition.commune_id == commune_id)
        .order_by(AuditEntry.id)
    )
    latest: dict[int, tuple[str, str]] = {}
    through = 0
    for audit_id, petition_id, content, before, after, forgotten_at in rows.tuples():
        through = max(through, audit_id)
        if forgotten_at is not None or (before or {}).get("status") == "forwarded":
            continue
        code = codes.get((after or {}).get("field_id"))  # type: ignore[arg-type]
        if code is None:
            continue
        # A later classification of the same petition replaces the earlier one (and moves
        # it to the end: the order is that of the staff's last word).
        latest.pop(petition_id, None)
        latest[petition_id] = (content, code)
    return TrainingSet(commune_id, list(latest.values()), through, forgotten, read_at)


async def communes_due_for_training(
    db: AsyncSession, *, min_new: int, format_version: int
) -> list[str]:
    """Codes of the communes with at least `min_new` staff classifications their model has not
    learnt from (all of them when there is no model yet, or it was dropped), or whose model is
    of another format than the trainer now writes."""
    new = (
        select(Petition.commune_id, func.count(AuditEntry.id).label("new"))
        .select_from(AuditEntry)
        .join(Petition, Petition.id == AuditEntry.subject_id)
        .outerjoin(FieldModel, FieldModel.commune_id == Petition.commune_id)
        .where(AuditEntry.action == CLASSIFIED, AuditEntry.subject_type == "petition",
               AuditEntry.id > func.coalesce(FieldModel.through_audit_id, 0))
        .group_by(Petition.commune_id)
        .subquery()
    )
    found = await db.execute(
        select(Commune.code).join(new, new.c.commune_id == Commune.id)
        .where(new.c.new >= max(1, min_new))
    )
    stale = await db.execute(
        select(Commune.code)
        .join(FieldModel, FieldModel.commune_id == Commune.id)
        .where(FieldModel.format_version != format_version)
    )
    return sorted(set(found.scalars()) | set(stale.scalars()))


async def _lock_communes(db: AsyncSession, commune_ids: list[int]) -> None:
    """Saving a model and forgetting a petitioner of its commune take turns (PostgreSQL; on
    SQLite one writer at a time already does it): whichever comes second sees the other."""
    if commune_ids:
        await db.execute(select(Commune.id).where(Commune.id.in_(sorted(commune_ids)))
                         .order_by(Commune.id).with_for_update())


async def save_field_model(
    db: AsyncSession, trained: TrainingSet, model: bytes, *, format_version: int
) -> bool:
    """Keep the model trained on `trained` as the commune's model. False when it is not kept:
    a petitioner of the commune was forgotten since the examples were read (the next training
    leaves them out), or a model of newer classifications was saved meanwhile."""
    await _lock_communes(db, [trained.commune_id])
    if await _forgotten_petitioners(db, trained.commune_id) > trained.forgotten:
        return False
    row = (await db.execute(
        select(FieldModel).where(FieldModel.commune_id == trained.commune_id))).scalar_one_or_none()
    if row is None:
        row = FieldModel(commune_id=trained.commune_id)
        db.add(row)
    elif row.through_audit_id > trained.through_audit_id:
        return False
    row.model = model
    row.format_version = format_version
    row.examples = len(trained.examples)
    row.through_audit_id = trained.through_audit_id
    row.trained_at = trained.read_at
    await db.flush()
    return True


async def field_model_stamp(db: AsyncSession, commune_id: int) -> datetime | None:
    """When the commune's model was trained, or None: a cheap check before loading it."""
    found = await db.execute(
        select(FieldModel.trained_at).where(FieldModel.commune_id == commune_id))
    return found.scalar_one_or_none()


async def load_field_model(db: AsyncSession, commune_id: int) -> StoredFieldModel | None:
    row = await db.get(FieldModel, commune_id)
    if row is None:
        return None
    return StoredFieldModel(row.commune_id, row.model, row.format_version, row.examples,
                            row.trained_at)


async def drop_field_models_of(db: AsyncSession, person_id: int) -> int:
    """/forget: the models of the communes where the person sent petitions go; the next
    training, without their petitions, makes new ones. Returns how many were dropped."""
    communes = list((await db.execute(
        select(Petition.commune_id).where(Petition.person_id == person_id).distinct()
    )).scalars())
    if not communes:
        return 0
    await _lock_communes(db, communes)
    dropped = await db.execute(delete(FieldModel).where(FieldModel.commune_id.in_(communes)))
    return int(getattr(dropped, "rowcount", 0) or 0)
