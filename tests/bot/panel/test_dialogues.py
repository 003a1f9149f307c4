"""The office's dialogues in the panel: seats, waiting lists, lists to print, and the door."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, select

from storage.db import Database
from storage.dialogues.dialogues import RegistrationForm, register_household
from storage.models import (
    AuditEntry,
    Commune,
    Dialogue,
    Hamlet,
    HamletQuota,
    Registration,
    RoleGrant,
)
from storage.models.base import utcnow
from tests.bot.panel.client import panel_client, sign_in
from tests.chat import Chat
from tests.factories import make_commune, staff
from tests.handlers.dialogues.test_office import office_and_others

SEATED_NAME = "Đỗ Văn Chín"
WAITING_NAME = "Lê Thị Mười"


async def small_dialogue(db: Database, households: list[Chat]) -> tuple[int, str, str]:
    """One seat in Ấp Tân Dân: the first household takes it, the second waits.
    Returns the dialogue's id and the two check-in codes."""
    people = [await chat.person() for chat in households]
    async with db.transaction() as session:
        commune = (await session.execute(select(Commune))).scalars().first()
        hamlet = (await session.execute(select(Hamlet).where(Hamlet.name == "Ấp Tân Dân"))
                  ).scalar_one()
        assert commune is not None
        dialogue = Dialogue(commune_id=commune.id, title="Đối thoại giảm nghèo 2026",
                            place="Hội trường UBND xã", starts_at=utcnow() + timedelta(days=5),
                            topics=["job_loans"], categories=["poor", "near_poor"],
                            registration_until=utcnow() + timedelta(days=4))
        session.add(dialogue)
        await session.flush()
        session.add(HamletQuota(dialogue_id=dialogue.id, hamlet_id=hamlet.id, seats=1))
        await session.flush()
        codes = []
        for person, name in zip(people, (SEATED_NAME, WAITING_NAME), strict=True):
            assert person is not None
            done = await register_household(session, dialogue, person, RegistrationForm(
                hamlet_id=hamlet.id, representative=name, category="near_poor",
                topics=("job_loans",), questions="Vay vốn tạo việc làm thế nào?"))
            codes.append(done.registration.checkin_code)
        return dialogue.id, codes[0], codes[1]


async def test_the_office_sees_seats_waiting_lists_and_lists_to_print(db: Database) -> None:
    office, (delegate, _officer, citizen) = await office_and_others(db)
    dialogue_id, _seated, _waiting = await small_dialogue(db, [citizen, delegate])
    async with panel_client(db) as client:
        await sign_in(client, office)
        async with client.get("/panel/dialogues") as page:
            body = await page.text()
        assert page.status == 200 and "Đối thoại giảm nghèo 2026" in body
        assert "1/1" in body  # the one seat is taken
        async with client.get(f"/panel/dialogues/{dialogue_id}") as page:
            body = await page.text()
        assert page.status == 200
        waiting_list = body.split("Danh sách chờ", 1)[1]
        assert WAITING_NAME in waiting_list and SEATED_NAME not in waiting_list
        assert "Hộ cận nghèo" in waiting_list  # the office sees the category
        async with client.get(f"/panel/dialogues/{dialogue_id}/lists") as page:
            body = await page.text()
        assert SEATED_NAME in body and WAITING_NAME in body and "Vay vốn tạo việc làm" in body
        async with client.get(f"/panel/dialogues/{dialogue_id}/lists.xlsx") as workbook:
            assert workbook.status == 200
            assert workbook.headers["Content-Disposition"].startswith("attachment")
            book = load_workbook(BytesIO(await workbook.read()))
    rows = [row for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]
    assert any(SEATED_NAME in row and "Hộ cận nghèo" in row for row in rows)
    async with db.transaction() as session:
        reads = (await session.execute(select(AuditEntry.after).where(
            AuditEntry.action == "personal_data.read", AuditEntry.subject_id == dialogue_id))
        ).scalars().all()
    assert {"what": "hamlet_lists"} in reads  # every read of the lists is on record


DOOR = re.compile(r'class="door-answer door-(\w+)"')


async def door(client: object, dialogue_id: int, csrf: str, code: str) -> tuple[str, str]:
    async with client.post(f"/panel/dialogues/{dialogue_id}/check-in",  # type: ignore[attr-defined]
                           data={"csrf": csrf, "code": code}) as page:
        assert page.status == 200
        body: str = await page.text()
    found = DOOR.search(body)
    assert found is not None
    return found.group(1), body


async def test_the_door_says_checked_in_already_used_waiting_or_unknown(db: Database) -> None:
    office, (delegate, _officer, citizen) = await office_and_others(db)
    dialogue_id, seated, waiting = await small_dialogue(db, [citizen, delegate])
    async with panel_client(db) as client:
        csrf = await sign_in(client, office)
        async with client.get(f"/panel/dialogues/{dialogue_id}/check-in") as page:
            body = await page.text()
        assert SEATED_NAME in body and f'value="{seated}"' in body  # pick from the list
        assert WAITING_NAME not in body and "cận nghèo" not in body  # no category at the door
        outcome, body = await door(client, dialogue_id, csrf, f" {seated} ")
        assert outcome == "checked_in" and SEATED_NAME in body and "Đã vào" in body
        outcome, body = await door(client, dialogue_id, csrf, seated)
        assert outcome == "used" and "đã dùng lúc" in body
        assert re.search(r"đã dùng lúc \d\d:\d\d \d\d/\d\d", body)
        outcome, body = await door(client, dialogue_id, csrf, waiting)
        assert outcome == "no_seat" and "chưa có chỗ" in body
        for nonsense in ("000000" if "000000" not in (seated, waiting) else "999999",
                         "<script>", ""):
            outcome, body = await door(client, dialogue_id, csrf, nonsense)
            assert outcome == "unknown" and "<script>" not in body.split("door-answer", 1)[1]
    async with db.transaction() as session:
        statuses = dict((await session.execute(select(
            Registration.representative, Registration.status))).tuples().all())
    assert statuses[SEATED_NAME] == "attended" and statuses[WAITING_NAME] == "waiting"


async def test_another_commune_a_forged_form_or_a_lost_role_is_refused(
    db: Database, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    office, (delegate, _officer, citizen) = await office_and_others(db)
    dialogue_id, seated, _waiting = await small_dialogue(db, [citizen, delegate])
    other = await make_commune(db, "Xã Tân Hiệp", ["Ấp Một"])
    await staff(db, "9777", commune_id=other, hamlet_name="Ấp Một")
    other_office = Chat(db, user_id="9777", runner=office.runner)
    async with panel_client(db) as client:
        csrf = await sign_in(client, other_office)
        async with client.get("/panel/dialogues") as page:
            assert "Đối thoại giảm nghèo 2026" not in await page.text()
        for path in ("", "/lists", "/lists.xlsx", "/check-in"):
            async with client.get(f"/panel/dialogues/{dialogue_id}{path}") as page:
                assert page.status == 403, path
                assert SEATED_NAME.encode() not in await page.read()
        async with client.post(f"/panel/dialogues/{dialogue_id}/check-in",
                               data={"csrf": csrf, "code": seated}) as page:
            assert page.status == 403
    async with panel_client(db) as client:
        await sign_in(client, office)
        async with client.post(f"/panel/dialogues/{dialogue_id}/check-in",
                               data={"code": seated}) as page:
            assert page.status == 403  # no CSRF token
        person = await office.person()
        assert person is not None
        async with db.transaction() as session:
            await session.execute(delete(RoleGrant).where(RoleGrant.person_id == person.id))
        for path in ("/panel/dialogues", f"/panel/dialogues/{dialogue_id}/check-in"):
            async with client.get(path) as page:
                assert page.status == 403
    async with db.transaction() as session:
        status = (await session.execute(select(Registration.status).where(
            Registration.checkin_code == seated))).scalar_one()
    assert status == "registered"
    for secret in (SEATED_NAME, "near_poor", "cận nghèo", seated):
        assert secret not in caplog.text
