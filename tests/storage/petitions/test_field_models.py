"""A commune's field model: learnt from what its staff chose, due when enough is new, kept
only if nobody was forgotten meanwhile, dropped when a petitioner is forgotten."""

from __future__ import annotations

from sqlalchemy import select

from storage.conversations import ensure_identity
from storage.db import Database
from storage.models import Field, FieldModel, Petition
from storage.people.people import forget_person
from storage.petitions.field_models import (
    communes_due_for_training,
    field_model_stamp,
    load_field_model,
    read_training_set,
    save_field_model,
)
from storage.petitions.petitions import PetitionDraft, submit_petition
from storage.petitions.workflow import (
    Status,
    answer_petition,
    classify_petition,
    forward_petition,
    move_petition,
)
from storage.places import list_agencies
from tests.factories import citizen, demo, staff
from tests.field_classifications import (
    CODE,
    HAMLET,
    classified_petitions,
    field_ids,
    minh_hoa,
)

FORMAT = 1


async def due(db: Database, min_new: int, format_version: int = FORMAT) -> list[str]:
    async with db.transaction() as session:
        return await communes_due_for_training(session, min_new=min_new,
                                               format_version=format_version)


async def train_and_save(db: Database, commune_id: int, model: bytes = b"{}") -> bool:
    async with db.transaction() as session:
        trained = await read_training_set(session, commune_id)
    async with db.transaction() as session:
        return await save_field_model(session, trained, model, format_version=FORMAT)


async def test_the_examples_are_what_staff_chose_last_not_what_the_citizen_confirmed(
    db: Database,
) -> None:
    commune_id = await demo(db)
    office = await staff(db, "office")
    villager = await citizen(db, "voter")
    async with db.transaction() as session:
        fields = dict((await session.execute(select(Field.code, Field.id))).tuples().all())
        agency = (await list_agencies(session, commune_id))[0]
        sent = [
            (await submit_petition(session, villager, PetitionDraft(
                commune_id, text, field_id=fields["transport"]))).petition
            for text in ("Đường làng bị hỏng", "Đèn đường hư", "Cống nghẹt", "Chưa phân loại")
        ]
        road, light, culvert, _waiting = sent
        await classify_petition(session, road, office, field_id=fields["transport"],
                                competence="commune")
        await classify_petition(session, light, office, field_id=fields["transport"],
                                competence="commune")
        await classify_petition(session, culvert, office, field_id=fields["transport"],
                                competence="commune")
        # The light was misfiled: answered, reopened and classified again under power.
        await answer_petition(session, light, office, text="Đã báo điện lực")
        await move_petition(session, light, Status.REOPENED, office, reason="Chưa sửa")
        await classify_petition(session, light, office, field_id=fields["power"],
                                competence="utility")
        # The culvert went to an agency that sent it back: no new choice of field.
        await forward_petition(session, culvert, office, agency_id=agency.id)
        await move_petition(session, culvert, Status.CLASSIFIED, office, reason="Không phải")
    async with db.transaction() as session:
        trained = await read_training_set(session, commune_id)
    assert trained.examples == [("Đường làng bị hỏng", "transport"),
                                ("Cống nghẹt", "transport"),
                                ("Đèn đường hư", "power")]


async def test_a_commune_is_due_once_its_staff_classified_enough_since_its_model(
    db: Database,
) -> None:
    commune_id = await minh_hoa(db)
    await demo(db)
    assert await due(db, 1) == []
    await classified_petitions(db, commune_id, per_field=3)  # nine classifications
    assert await due(db, 10) == []
    assert await due(db, 9) == [CODE]
    assert await train_and_save(db, commune_id)
    assert await due(db, 1) == []
    # A new format of model: every commune with a model is retrained.
    assert await due(db, 1, format_version=FORMAT + 1) == [CODE]
    villager = await citizen(db, "minh-hoa-2", HAMLET)
    office = await staff(db, "minh-hoa-office", commune_id=commune_id, hamlet_name=HAMLET)
    ids = await field_ids(db, commune_id)
    async with db.transaction() as session:
        sent = await submit_petition(session, villager, PetitionDraft(commune_id, "ổ gà"))
        await classify_petition(session, sent.petition, office, field_id=ids["ha-tang-ap"],
                                competence="commune")
    assert await due(db, 2) == []
    assert await due(db, 1) == [CODE]


async def test_a_saved_model_is_loaded_with_its_training_time(db: Database) -> None:
    commune_id = await minh_hoa(db)
    await classified_petitions(db, commune_id, per_field=2)
    async with db.transaction() as session:
        assert await field_model_stamp(session, commune_id) is None
        assert await load_field_model(session, commune_id) is None
    assert await train_and_save(db, commune_id, b'{"version": 1}')
    async with db.transaction() as session:
        stamp = await field_model_stamp(session, commune_id)
        stored = await load_field_model(session, commune_id)
    assert stored is not None and stamp == stored.trained_at
    assert stored.model == b'{"version": 1}' and stored.examples == 6
    assert stored.format_version == FORMAT


async def test_forgetting_a_petitioner_drops_the_model_and_their_petitions_leave_the_examples(
    db: Database,
) -> None:
    commune_id = await minh_hoa(db)
    villager = await citizen(db, "minh-hoa-villager", HAMLET)
    await classified_petitions(db, commune_id, villager=villager, per_field=2)
    other = await citizen(db, "minh-hoa-other", HAMLET)
    office = await staff(db, "minh-hoa-office2", commune_id=commune_id, hamlet_name=HAMLET)
    ids = await field_ids(db, commune_id)
    async with db.transaction() as session:
        sent = await submit_petition(session, other, PetitionDraft(commune_id, "nắp cống mất"))
        await classify_petition(session, sent.petition, office, field_id=ids["ha-tang-ap"],
                                competence="commune")
    assert await train_and_save(db, commune_id)
    async with db.transaction() as session:
        identity = await ensure_identity(session, "telegram", "minh-hoa-villager")
        await forget_person(session, identity)
    async with db.transaction() as session:
        assert (await session.execute(select(FieldModel))).first() is None
        trained = await read_training_set(session, commune_id)
        # Their petitions stay for the record, but teach nothing any more.
        assert len((await session.execute(select(Petition.id))).all()) == 7
    assert trained.examples == [("nắp cống mất", "ha-tang-ap")]
    # Dropped, so due again: every classification counts as new.
    assert await due(db, 7) == [CODE]


async def test_a_model_learnt_before_someone_was_forgotten_is_not_kept(db: Database) -> None:
    commune_id = await minh_hoa(db)
    await classified_petitions(db, commune_id, per_field=2)
    async with db.transaction() as session:
        trained = await read_training_set(session, commune_id)
    assert len(trained.examples) == 6
    async with db.transaction() as session:  # while the trainer was learning
        identity = await ensure_identity(session, "telegram", "minh-hoa-villager")
        await forget_person(session, identity)
    async with db.transaction() as session:
        assert not await save_field_model(session, trained, b"{}", format_version=FORMAT)
    async with db.transaction() as session:
        assert (await session.execute(select(FieldModel))).first() is None


async def test_an_older_training_never_replaces_a_newer_model(db: Database) -> None:
    commune_id = await minh_hoa(db)
    await classified_petitions(db, commune_id, per_field=1)
    async with db.transaction() as session:
        older = await read_training_set(session, commune_id)
    await classified_petitions(db, commune_id, per_field=1)
    assert await train_and_save(db, commune_id, b"newer")
    async with db.transaction() as session:
        assert not await save_field_model(session, older, b"older", format_version=FORMAT)
        stored = await load_field_model(session, commune_id)
    assert stored is not None and stored.model == b"newer"
