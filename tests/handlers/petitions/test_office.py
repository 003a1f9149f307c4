"""The petition card for the office and agencies: what each may see, and every read logged."""

from __future__ import annotations

from sqlalchemy import select

from storage.db import Database
from storage.models import Agency, AuditEntry, Petition
from tests.handlers.petitions.test_my_petitions import ADDRESS, PHONE, hidden_petitioner
from tests.handlers.petitions.test_submit import AGENCY, setup


async def forward_to_agency(db: Database, pid: int) -> None:
    async with db.transaction() as session:
        petition = await session.get(Petition, pid)
        agency = (await session.execute(select(Agency.id).where(Agency.name == AGENCY))
                  ).scalar_one()
        assert petition is not None
        petition.status, petition.agency_id = "forwarded", agency


async def test_an_agency_sees_only_the_hamlet_and_a_coarse_place_of_a_hidden_petitioner(
    db: Database,
) -> None:
    office, officer, _citizen = await setup(db)
    _hidden, pid = await hidden_petitioner(db, office)
    await forward_to_agency(db, pid)
    card = "\n".join(r.text for r in await officer.press(f"ap:{pid}"))
    assert "Đường làng ấp Tân Dân bị hỏng nặng" in card
    for secret in ("Trần Thị Mười", PHONE, ADDRESS, "10.12346", "105.65432", "Số 12"):
        assert secret not in card
    assert "Ấp Tân Dân" in card and "10.12" in card and "105.65" in card

    office_card = "\n".join(r.text for r in await office.press(f"ip:{pid}"))
    for shown in ("Trần Thị Mười", PHONE, ADDRESS, "10.12346", "105.65432"):
        assert shown in office_card


async def test_every_staff_read_of_a_petitioner_is_in_the_audit_log(db: Database) -> None:
    office, officer, _citizen = await setup(db)
    _hidden, pid = await hidden_petitioner(db, office)
    await forward_to_agency(db, pid)
    await office.press(f"ip:{pid}")
    await officer.press(f"ap:{pid}")
    readers = [await office.person(), await officer.person()]
    async with db.transaction() as session:
        reads = (await session.execute(select(AuditEntry).where(
            AuditEntry.action == "personal_data.read").order_by(AuditEntry.id))).scalars().all()
    assert [(r.actor_id, r.subject_type, r.subject_id, r.after) for r in reads] == [
        (reader.id if reader else None, "petition", pid, {"what": "card"}) for reader in readers]
