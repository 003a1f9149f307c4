"""The office's dialogue screens; and nobody else reads a household's category through them."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlalchemy import select

from storage.db import Database
from storage.demo import seed_demo
from storage.dialogues.dialogues import RegistrationForm, register_household
from storage.files import file_by_token
from storage.models import (
    Agency,
    AuditEntry,
    Commune,
    Dialogue,
    HamletQuota,
    Registration,
    RoleGrant,
)
from storage.models.base import utcnow
from tests.chat import Chat, actions, texts

LOCAL_FORMAT = "%d/%m/%Y %H:%M"


async def office_and_others(db: Database) -> tuple[Chat, list[Chat]]:
    async with db.transaction() as session:
        await seed_demo(session)
    office = Chat(db, user_id="6100")
    others = [Chat(db, user_id=f"610{n}", runner=office.runner) for n in (1, 2, 3)]
    for chat in (office, *others):
        await chat.onboard(1)
    people = [await chat.person() for chat in (office, *others)]
    async with db.transaction() as session:
        commune = (await session.execute(select(Commune))).scalars().first()
        agency = (await session.execute(select(Agency.id))).scalars().first()
        assert commune is not None
        for person, role in zip(people, ("office", "delegate", "agency", None), strict=True):
            assert person is not None
            if role:
                session.add(RoleGrant(person_id=person.id, commune_id=commune.id, role=role,
                                      agency_id=agency if role == "agency" else None))
    return office, others


async def test_the_office_creates_a_dialogue_watches_seats_and_checks_households_in(
    db: Database,
) -> None:
    office, (delegate, officer, citizen) = await office_and_others(db)
    await office.press("menu:dialogues")
    await office.press("dln:start")
    await office.send("Đối thoại chính sách giảm nghèo năm 2026")
    when = (utcnow() + timedelta(days=10)).astimezone().strftime(LOCAL_FORMAT)
    await office.send(f"{when}\nHội trường UBND xã")
    assert "4" in texts(await office.send("2 0 1"))  # three numbers for four hamlets
    await office.send("2 0 1 0")
    await office.press("dcat:newly_non_poor")  # not this time
    await office.press("dcat:done")
    await office.press("dform:no")
    assert "ddl:default" in actions(await office.send("31/02/2026 10:00"))
    created = texts(await office.press("ddl:default"))
    assert "3" in created
    household = await citizen.person()
    assert household is not None
    async with db.transaction() as session:
        dialogue = (await session.execute(select(Dialogue))).scalar_one()
        assert dialogue.categories == ["poor", "near_poor"]
        assert dialogue.questions_enabled is False
        quotas = {q.hamlet_id: q.seats for q in (await session.execute(
            select(HamletQuota))).scalars()}
        assert sorted(quotas.values()) == [1, 2]
        hamlet_id = max(quotas, key=lambda h: quotas[h])
        registered = await register_household(session, dialogue, household, RegistrationForm(
            hamlet_id=hamlet_id, representative="Đỗ Văn Chín", category="near_poor",
            topics=("job_loans",)))
        code = registered.registration.checkin_code
    fill = texts(await office.press(f"dlo:{dialogue.id}"))
    assert "1/2 (50%)" in fill
    await office.press(f"dlc:{dialogue.id}")
    assert "Đỗ Văn Chín" in texts(await office.send(code))
    async with db.transaction() as session:
        assert (await session.execute(select(Registration.status))).scalar_one() == "attended"
    await office.press(f"dll:{dialogue.id}")
    lists = await office.documents()
    (workbook_file,) = [reply.file for reply in lists if reply.file]
    async with db.transaction() as session:
        stored = await file_by_token(session, workbook_file[0])
        assert stored is not None and stored.content is not None
    book = load_workbook(BytesIO(stored.content))
    rows = [row for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]
    assert ("Đỗ Văn Chín" in rows[1]) and ("Hộ cận nghèo" in rows[1])

    # Nobody but the office reads a household's category, whatever they press.
    for chat in (delegate, officer, citizen):
        seen = []
        for press in ("menu:dialogues", f"dlo:{dialogue.id}", f"dlc:{dialogue.id}",
                      f"dll:{dialogue.id}", f"dla:{dialogue.id}", "dln:start"):
            seen += await chat.press(press)
        seen += await chat.send(code)
        assert "cận nghèo" not in texts(seen).lower() and "near_poor" not in texts(seen)
        assert not any(a.startswith("dlc:") for a in actions(seen))
        assert not any(reply.file for reply in seen)


async def test_the_office_answers_a_households_questions_in_the_bot(db: Database) -> None:
    office, (_delegate, _officer, citizen) = await office_and_others(db)
    household = await citizen.person()
    assert household is not None
    async with db.transaction() as session:
        commune = (await session.execute(select(Commune))).scalars().first()
        assert commune is not None
        dialogue = Dialogue(commune_id=commune.id, title="Đối thoại 2026", place="Xã",
                            starts_at=utcnow() + timedelta(days=5), topics=["job_loans"],
                            categories=["poor"], registration_until=utcnow() + timedelta(days=4))
        session.add(dialogue)
        await session.flush()
        session.add(HamletQuota(dialogue_id=dialogue.id, hamlet_id=household.hamlet_id or 0,
                                seats=5))
        await session.flush()
        registered = await register_household(session, dialogue, household, RegistrationForm(
            hamlet_id=household.hamlet_id or 0, representative="Lý Thị Mười", category="poor",
            topics=("job_loans",), questions="Khi nào được vay vốn?"))
        registration_id = registered.registration.id
    view = await office.press(f"dlo:{dialogue.id}")
    labels = [c.label for reply in view for c in reply.choices if c.action.startswith("dla:")]
    assert labels == ["💬 Trả lời câu hỏi (1)"]
    await office.press(f"dla:{dialogue.id}")
    assert "Khi nào được vay vốn?" in texts(await office.press(f"dq:{registration_id}"))
    await office.send("Tháng 7 ngân hàng chính sách giải ngân.")
    answer = texts(await citizen.new_replies())
    assert "giải ngân" in answer and "Khi nào được vay vốn?" in answer


async def test_a_used_check_in_code_is_refused_with_when_it_was_used(db: Database) -> None:
    office, (_delegate, _officer, citizen) = await office_and_others(db)
    household = await citizen.person()
    assert household is not None
    async with db.transaction() as session:
        commune = (await session.execute(select(Commune))).scalars().first()
        assert commune is not None
        dialogue = Dialogue(commune_id=commune.id, title="Đối thoại 2026", place="Xã",
                            starts_at=utcnow() + timedelta(days=10), topics=["job_loans"],
                            categories=["poor"], registration_until=utcnow() + timedelta(days=8))
        session.add(dialogue)
        await session.flush()
        session.add(HamletQuota(dialogue_id=dialogue.id, hamlet_id=household.hamlet_id,
                                seats=5))
        await session.flush()
        registered = await register_household(session, dialogue, household, RegistrationForm(
            hamlet_id=household.hamlet_id or 0, representative="Đỗ Văn Chín", category="poor",
            topics=("job_loans",)))
        code = registered.registration.checkin_code
    await office.press(f"dlc:{dialogue.id}")
    assert "Đỗ Văn Chín" in texts(await office.send(code))
    again = texts(await office.send(code))
    async with db.transaction() as session:
        attended_at = (await session.execute(select(Registration.attended_at))).scalar_one()
        entries = (await session.execute(select(AuditEntry.action).where(
            AuditEntry.action == "dialogue.attended"))).scalars().all()
    assert attended_at is not None
    used = attended_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y %H:%M")
    assert used in again
    assert len(entries) == 1


async def test_every_read_of_households_by_the_office_is_in_the_audit_log(db: Database) -> None:
    office, (_delegate, _officer, citizen) = await office_and_others(db)
    household = await citizen.person()
    assert household is not None
    async with db.transaction() as session:
        commune = (await session.execute(select(Commune))).scalars().first()
        assert commune is not None
        dialogue = Dialogue(commune_id=commune.id, title="Đối thoại 2026", place="Xã",
                            starts_at=utcnow() + timedelta(days=10), topics=["job_loans"],
                            categories=["poor"], registration_until=utcnow() + timedelta(days=8))
        session.add(dialogue)
        await session.flush()
        session.add(HamletQuota(dialogue_id=dialogue.id, hamlet_id=household.hamlet_id,
                                seats=5))
        await session.flush()
        registered = await register_household(session, dialogue, household, RegistrationForm(
            hamlet_id=household.hamlet_id or 0, representative="Đỗ Văn Chín", category="poor",
            topics=("job_loans",), questions="Xin vay vốn nuôi bò"))
        registration_id = registered.registration.id
    office_person = await office.person()
    assert office_person is not None
    await office.press(f"dll:{dialogue.id}")
    await office.documents()  # the lists are read (and the read logged) when they are built
    await office.press(f"dla:{dialogue.id}")
    await office.press(f"dq:{registration_id}")
    async with db.transaction() as session:
        reads = (await session.execute(select(AuditEntry).where(
            AuditEntry.action == "personal_data.read").order_by(AuditEntry.id))).scalars().all()
    assert [(r.actor_id, r.subject_type, r.subject_id, r.after) for r in reads] == [
        (office_person.id, "dialogue", dialogue.id, {"what": "hamlet_lists"}),
        (office_person.id, "dialogue", dialogue.id, {"what": "questions"}),
        (office_person.id, "registration", registration_id, {"what": "questions"})]
    # The log says who read what, never the data itself.
    assert all(r.before is None and r.reason is None for r in reads)
    assert all("Chín" not in str(r.after) and "bò" not in str(r.after) for r in reads)


async def test_the_chat_door_tells_a_waiting_household_from_an_unknown_code(
    db: Database,
) -> None:
    # Imported here: the panel's test module imports this one for its setup.
    from tests.bot.panel.test_dialogues import small_dialogue

    office, (delegate, _officer, citizen) = await office_and_others(db)
    dialogue_id, _seated, waiting = await small_dialogue(db, [citizen, delegate])
    await office.press(f"dlc:{dialogue_id}")
    assert "danh sách chờ" in texts(await office.send(waiting))
    unknown = "999999" if waiting != "999999" else "111111"
    assert "Không có hộ đã đăng ký nào" in texts(await office.send(unknown))
