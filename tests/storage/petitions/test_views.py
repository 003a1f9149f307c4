"""The inbox and the agency queue: filters, paging, deadlines; the card decides who sees names."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from storage.db import Database
from storage.models import Agency, Field, Hamlet, Person, Petition
from storage.petitions.petitions import PetitionDraft, submit_petition
from storage.petitions.views import agency_queue, list_inbox, petition_card
from tests.factories import citizen, demo, staff

TODAY = date(2026, 11, 23)
AGENCY = "Phòng Kinh tế xã"


async def petitions(db: Database, voter: Person, count: int, **changes: object) -> list[int]:
    async with db.transaction() as session:
        commune_id = (await session.execute(select(Hamlet.commune_id))).scalars().first()
        assert commune_id is not None
        ids = []
        for n in range(count):
            petition = (await submit_petition(
                session, voter, PetitionDraft(commune_id, f"Kiến nghị số {n}"))).petition
            for name, value in changes.items():
                setattr(petition, name, value)
            ids.append(petition.id)
        return ids


async def test_filters_and_pages_list_the_right_petitions_newest_first(db: Database) -> None:
    commune_id = await demo(db)
    voter = await citizen(db, "voter")
    async with db.transaction() as session:
        hau = (await session.execute(select(Hamlet.id).where(Hamlet.name == "Ấp Tân Hậu"))
               ).scalar_one()
        land = (await session.execute(select(Field.id).where(Field.code == "land"))).scalar_one()
        agency = (await session.execute(select(Agency.id).where(Agency.name == AGENCY))
                  ).scalar_one()
    new = await petitions(db, voter, 11)
    late = await petitions(db, voter, 2, status="forwarded", agency_id=agency,
                           due_on=TODAY - timedelta(days=1))
    on_time = await petitions(db, voter, 1, status="forwarded", agency_id=agency,
                              due_on=TODAY + timedelta(days=3))
    in_hau = await petitions(db, voter, 2, status="classified", hamlet_id=hau, field_id=land)
    await petitions(db, voter, 1, status="closed", hamlet_id=hau, field_id=land)
    async with db.transaction() as session:
        first, total = await list_inbox(session, commune_id, "new", TODAY)
        second, _ = await list_inbox(session, commune_id, "new", TODAY, offset=8)
        assert total == 11
        assert [line.id for line in first + second] == sorted(new, reverse=True)
        overdue, _ = await list_inbox(session, commune_id, "overdue", TODAY)
        assert [line.id for line in overdue] == sorted(late, reverse=True)
        for name in (f"hamlet:{hau}", f"field:{land}"):
            lines, total = await list_inbox(session, commune_id, name, TODAY)
            assert ([line.id for line in lines], total) == (sorted(in_hau, reverse=True), 2)
        queue = await agency_queue(session, agency)
        assert [line.id for line in queue] == [*late, *on_time]  # nearest deadline first


async def test_an_agency_never_sees_a_hidden_name_and_a_neighbour_sees_nothing(
    db: Database,
) -> None:
    await demo(db)
    voter = await citizen(db, "voter", name="Lê Thị Năm")
    officer = await staff(db, "officer", role="agency", agency_name=AGENCY)
    office = await staff(db, "office")
    neighbour = await citizen(db, "neighbour")
    async with db.transaction() as session:
        agency = (await session.execute(select(Agency.id).where(Agency.name == AGENCY))
                  ).scalar_one()
    hidden, shown = [await petitions(db, voter, 1, agency_id=agency, show_name=flag)
                     for flag in (False, True)]
    async with db.transaction() as session:
        for petition_id, expected in ((hidden[0], None), (shown[0], "Lê Thị Năm")):
            petition = await session.get(Petition, petition_id)
            assert petition is not None
            agency_card = await petition_card(session, petition, officer, TODAY)
            office_card = await petition_card(session, petition, office, TODAY)
            assert agency_card is not None and office_card is not None
            assert agency_card.petitioner.name == expected
            assert office_card.petitioner.name == "Lê Thị Năm"
            assert await petition_card(session, petition, neighbour, TODAY) is None
