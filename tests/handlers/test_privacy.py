"""Erased means erased: after /forget no table, no stored file and no old link holds the person.

The person onboards with a name and a verified phone, sends a petition with a hidden name and
an address, registers as a poor household with questions; the office opens the card, reads the
questions, downloads the hamlet lists and the report. Then the person says /forget.
"""

from __future__ import annotations

import html
import json
import zipfile
from collections.abc import AsyncIterator
from datetime import timedelta
from io import BytesIO
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select

from bot.field_training import train_commune
from bot.files import file_route, file_url
from handlers.values import Reply
from storage.db import Database
from storage.demo import seed_demo
from storage.dialogues.dialogues import TOPICS
from storage.files import file_by_token
from storage.models import (
    Base,
    Commune,
    Dialogue,
    Field,
    Hamlet,
    HamletQuota,
    Petition,
    Registration,
    RoleGrant,
)
from storage.models.base import utcnow
from tests.chat import Chat, actions, texts

NAME = "Phạm Thị Hoa Lý"
PHONE = "0987654321"
ADDRESS = "Nhà số 47 hẻm Cây Me"
QUESTION = "Nhà tôi xin hỗ trợ vay vốn mua hai con bò sinh sản để thoát nghèo"
SECRETS = (NAME, PHONE, PHONE[1:], ADDRESS, QUESTION, QUESTION[:30])


@pytest.fixture
async def files_server(db: Database) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_routes([file_route(db)])
    runner = web.AppRunner(app)
    await runner.setup()
    # Port 0: the system picks a free port and keeps it; probing one first could race another
    # test worker for it.
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def status_of(url: str) -> int:
    """Open a link as a person does: a personal file's page, then its Download button."""
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            await response.read()
            if response.status != 200 or response.content_type != "text/html":
                return response.status
        async with http.post(url) as response:
            await response.read()
            return response.status


def files_of(replies: list[Reply]) -> list[tuple[str, str]]:
    return [reply.file for reply in replies if reply.file]


async def a_household_and_the_office(db: Database) -> tuple[Chat, Chat, int]:
    """The household has done everything a villager does; the office has read all of it."""
    async with db.transaction() as session:
        commune = await seed_demo(session)
        hamlet = (await session.execute(select(Hamlet).where(Hamlet.name == "Ấp Tân Dân"))
                  ).scalar_one()
        dialogue = Dialogue(commune_id=commune.id, title="Đối thoại giảm nghèo 2026",
                            starts_at=utcnow() + timedelta(days=10), place="Hội trường xã",
                            topics=list(TOPICS), categories=["poor", "near_poor"],
                            registration_until=utcnow() + timedelta(days=8))
        session.add(dialogue)
        await session.flush()
        session.add(HamletQuota(dialogue_id=dialogue.id, hamlet_id=hamlet.id, seats=5))
        field_id = (await session.execute(select(Field.id).where(Field.code == "transport"))
                    ).scalar_one()
    office = Chat(db, user_id="7100")
    household = Chat(db, user_id="7101", runner=office.runner)
    await office.onboard(1)
    office_person = await office.person()
    assert office_person is not None
    async with db.transaction() as session:
        commune_id = (await session.execute(select(Commune.id))).scalars().first()
        assert commune_id is not None
        session.add(RoleGrant(person_id=office_person.id, commune_id=commune_id, role="office"))

    await household.reach_name_step(1)
    await household.send(NAME)
    await household.share_contact(PHONE)
    await household.press("menu:petition")
    await household.press(f"pf:{field_id}")
    await household.send("Cống thoát nước đầu hẻm bị tắc, nước tràn vào nhà khi mưa.")
    await household.press("pa:done")
    await household.send(ADDRESS)
    assert "pr:send" in actions(await household.press("pn:no"))
    await household.press("pr:send")
    await household.press("menu:dialogue")
    await household.press(f"dp:{dialogue.id}")
    await household.press("dc:yes")
    await household.press("dn:me")
    await household.press(f"dh:{hamlet.id}")
    await household.press("dk:poor")
    await household.press("dt:job_loans")
    await household.press("dt:done")
    assert QUESTION in texts(await household.send(QUESTION))
    await household.press("dr:send")
    await household.send("/mydata")
    await household.press("me:export")
    assert files_of(await household.documents())

    async with db.transaction() as session:
        petition_id = (await session.execute(select(Petition.id))).scalar_one()
    card = texts(await office.press(f"ip:{petition_id}"))
    assert NAME in card and ADDRESS in card
    await office.press(f"dla:{dialogue.id}")
    async with db.transaction() as session:
        registration_id = (await session.execute(select(Registration.id))).scalar_one()
    assert QUESTION in texts(await office.press(f"dq:{registration_id}"))
    return office, household, dialogue.id


def text_of(value: Any) -> str:
    """Everything a value could reveal: unzipped XLSX/DOCX members included."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        if value.startswith(b"PK"):
            with zipfile.ZipFile(BytesIO(value)) as archive:
                # XML members: "&#7841;" is "ạ", so character references are read as text.
                return "\n".join(html.unescape(archive.read(name).decode("utf-8", "replace"))
                                 for name in archive.namelist())
        return value.decode("utf-8", "replace")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


async def everything_stored(db: Database) -> dict[str, str]:
    found: dict[str, str] = {}
    async with db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                found[f"{table.name}:{row[0]}"] = "\n".join(text_of(v) for v in row)
    return found


async def test_after_forget_no_table_no_file_and_no_link_holds_the_person(
    db: Database, files_server: str,
) -> None:
    office, household, dialogue_id = await a_household_and_the_office(db)
    await office.press(f"dll:{dialogue_id}")
    (downloaded,) = files_of(await office.documents())
    await office.press(f"dll:{dialogue_id}")
    (not_yet,) = files_of(await office.documents())
    await office.send("/report")
    await office.press("rp:month")
    report = files_of(await office.documents())
    assert len(report) == 2
    downloaded_link, unused_link = (file_url(files_server, *file) for file in (downloaded,
                                                                                not_yet))
    assert await status_of(downloaded_link) == 200  # the office downloaded the lists
    for file in report:  # and the report
        assert await status_of(file_url(files_server, *file)) == 200
    # The office classifies the petition, and the commune's field model learns from it.
    async with db.transaction() as session:
        petition = (await session.execute(select(Petition))).scalar_one()
        social = (await session.execute(select(Field.id).where(Field.code == "social"))
                  ).scalar_one()
    await office.press(f"io:classify:{petition.id}")
    await office.press(f"of:{social}")
    await office.press("oc:commune")
    async with db.transaction() as session:
        classified = await session.get(Petition, petition.id)
    # The office's choice of field, not the one the household confirmed (transport).
    assert classified is not None and classified.field_id == social
    trained = await train_commune(db, "tan-thuan-tay")
    assert trained is not None and trained.kept and trained.examples == 1
    before = await everything_stored(db)
    assert any(NAME in text for key, text in before.items() if key.startswith("stored_files"))
    assert any(key.startswith("field_models") for key in before)

    await household.send("/forget")
    await household.press("forget:yes")

    leaks = {
        key: [secret for secret in SECRETS if secret in text]
        for key, text in (await everything_stored(db)).items()
    }
    assert {key: found for key, found in leaks.items() if found} == {}
    # The model learnt from their words: dropped, to be retrained without them.
    assert not any(key.startswith("field_models") for key in leaks)
    assert await status_of(downloaded_link) in (404, 410)
    assert await status_of(unused_link) == 404  # deleted, not merely used
    # Asked again, the lists are rebuilt without the household.
    await office.press(f"dll:{dialogue_id}")
    (rebuilt,) = files_of(await office.documents())
    async with aiohttp.ClientSession() as http, http.post(
            file_url(files_server, *rebuilt)) as response:
        assert response.status == 200
        assert NAME not in text_of(await response.read())


async def test_a_seat_freed_by_forget_goes_to_the_waiting_household(db: Database) -> None:
    async with db.transaction() as session:
        commune = await seed_demo(session)
        hamlet = (await session.execute(select(Hamlet).where(Hamlet.name == "Ấp Tân Dân"))
                  ).scalar_one()
        dialogue = Dialogue(commune_id=commune.id, title="Đối thoại giảm nghèo 2026",
                            starts_at=utcnow() + timedelta(days=10), place="Hội trường xã",
                            topics=list(TOPICS), categories=["poor"],
                            registration_until=utcnow() + timedelta(days=8))
        session.add(dialogue)
        await session.flush()
        session.add(HamletQuota(dialogue_id=dialogue.id, hamlet_id=hamlet.id, seats=1))
    seated = Chat(db, user_id="7201")
    waiting = Chat(db, user_id="7202", runner=seated.runner)
    for chat, name in ((seated, "Lê Văn Một"), (waiting, "Lê Văn Hai")):
        await chat.onboard(1)
        await chat.press("menu:dialogue")
        await chat.press(f"dp:{dialogue.id}")
        await chat.press("dc:yes")
        await chat.send(name)
        await chat.press(f"dh:{hamlet.id}")
        await chat.press("dk:poor")
        await chat.press("dt:job_loans")
        await chat.press("dt:done")
        await chat.press("dq:skip")
        await chat.press("dr:send")
    await waiting.new_replies()
    await seated.send("/forget")
    await seated.press("forget:yes")
    offer = await waiting.new_replies()
    assert any(a.startswith("dlg:accept:") for a in actions(offer))
    async with db.transaction() as session:
        rows = (await session.execute(select(Registration.status, Registration.representative)
                                      .order_by(Registration.id))).all()
        quota = (await session.execute(select(HamletQuota))).scalar_one()
    assert [tuple(row) for row in rows] == [("cancelled", None), ("offered", "Lê Văn Hai")]
    assert quota.taken == 1


async def test_mydata_shows_petitions_registrations_and_gives_the_whole_file(
    db: Database,
) -> None:
    _office, household, _dialogue = await a_household_and_the_office(db)
    shown = texts(await household.send("/mydata"))
    async with db.transaction() as session:
        code = (await session.execute(select(Petition.code))).scalar_one()
        registration = (await session.execute(select(Registration))).scalar_one()
    for expected in (code, registration.code, QUESTION, "Hộ nghèo", "098****321"):
        assert expected in shown, expected
    await household.press("me:export")
    (export,) = files_of(await household.documents())
    assert export[1].endswith(".xlsx")
    async with db.transaction() as session:
        stored = await file_by_token(session, export[0])
    assert stored is not None and stored.personal and stored.content is not None
    workbook = text_of(stored.content)
    for expected in (NAME, PHONE, ADDRESS, QUESTION, "Hộ nghèo", "Cống thoát nước", code,
                     registration.checkin_code, "Vay vốn tạo việc làm", "Telegram"):
        assert expected in workbook, expected
