"""The office's announcements in the panel: compose, preview, send, follow, stop, the report."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from aiohttp import FormData
from sqlalchemy import delete, select, update

from storage.db import Database
from storage.messaging.broadcasts import finish_broadcasts
from storage.models import Broadcast, Hamlet, OutboxMessage, RoleGrant
from storage.models.base import utcnow
from tests.bot.panel.client import PHOTO, panel_client, sign_in
from tests.chat import Chat
from tests.factories import make_commune, staff
from tests.handlers.test_broadcast import setup

TEXT = "Phun thuốc muỗi <sáng mai> & dọn vệ sinh 🦟"
REACH = re.compile(r'class="reach"><strong>(\d+)</strong>')
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


def form(csrf: str, **values: str | list[str]) -> FormData:
    data = FormData()
    data.add_field("csrf", csrf)
    fields: dict[str, str | list[str]] = {"text": TEXT, "audience": "commune",
                                          "topic": "health_education", "urgency": "routine",
                                          "when": "now", **values}
    for name, value in fields.items():
        for one in value if isinstance(value, list) else [value]:
            data.add_field(name, one)
    return data


def hidden_fields(body: str) -> dict[str, list[str]]:
    """The send form's snapshot of what was previewed."""
    send_form = body.split('action="/panel/broadcasts/send"', 1)[1].split("</form>", 1)[0]
    found: dict[str, list[str]] = {}
    for name, value in re.findall(r'name="(\w+)" value="([^"]*)"', send_form):
        found.setdefault(name, []).append(value)
    return found


async def outbox_count(db: Database) -> int:
    async with db.transaction() as session:
        return len((await session.execute(select(OutboxMessage.id).where(
            OutboxMessage.broadcast_id.is_not(None)))).scalars().all())


async def test_the_office_previews_and_sends_an_announcement_to_the_commune(
    db: Database,
) -> None:
    office, _citizens = await setup(db)
    async with panel_client(db) as client:
        csrf = await sign_in(client, office)
        async with client.get("/panel/broadcasts") as page:
            assert page.status == 200 and "Chưa có thông báo nào" in await page.text()
        async with client.post("/panel/broadcasts/preview", data=form(csrf)) as page:
            body = await page.text()
        assert page.status == 200
        assert "Phun thuốc muỗi &lt;sáng mai&gt; &amp; dọn vệ sinh 🦟" in body  # escaped
        assert "Thông báo của Xã Tân Thuận Tây" in body  # the notice's own title
        found = REACH.search(body)
        assert found is not None and found.group(1) == "5"  # four citizens and the clerk
        assert await outbox_count(db) == 0  # a preview sends nothing
        snapshot = hidden_fields(body)
        snapshot["csrf"] = [csrf]
        async with client.post("/panel/broadcasts/send", data=snapshot,
                               allow_redirects=False) as sent:
            assert sent.status == 303
            location = sent.headers["Location"]
        assert re.fullmatch(r"/panel/broadcasts/\d+\?notice=queued", location)
        assert await outbox_count(db) == 5
        async with client.get(location) as page:
            body = await page.text()
            assert page.headers["Refresh"] == "5"  # follows the sending
        assert "0/5" in body and "Dừng #1" in body

        # Every message went out: the scheduler's job closes it, the page shows the report.
        async with db.transaction() as session:
            await session.execute(update(OutboxMessage).values(status="sent"))
            await session.execute(update(OutboxMessage).where(
                OutboxMessage.chat_id == "910").values(status="failed"))
            assert await finish_broadcasts(session) == [1]
        async with client.get("/panel/broadcasts/1") as page:
            body = await page.text()
            assert "Refresh" not in page.headers
        report = body.split("Kết quả cuối cùng", 1)[1]
        assert "<strong>4</strong> trên 5 người" in report
        assert re.search(r"Đã chặn tin nhắn</th><td>1<", report)
        async with client.get("/panel/broadcasts") as page:
            assert "đã gửi xong" in await page.text()


async def test_a_hamlet_a_dialogue_or_a_time_and_the_problems_with_each(db: Database) -> None:
    office, _citizens = await setup(db)
    async with db.transaction() as session:
        hamlet = (await session.execute(select(Hamlet).where(Hamlet.name == "Ấp Tân Hậu"))
                  ).scalar_one()
    later = (utcnow() + timedelta(days=3)).astimezone(LOCAL).replace(hour=7, minute=30, second=0,
                                                                   microsecond=0)
    async with panel_client(db) as client:
        csrf = await sign_in(client, office)
        async with client.post("/panel/broadcasts/preview", data=form(
                csrf, audience="hamlets", hamlet=[str(hamlet.id)], when="later",
                at=later.strftime("%d/%m/%Y %H:%M"))) as page:
            body = await page.text()
        found = REACH.search(body)
        assert found is not None and found.group(1) == "1"
        assert f"🕒 Gửi lúc {later:%H:%M %d/%m/%Y}" in body
        snapshot = hidden_fields(body)
        snapshot["csrf"] = [csrf]
        async with client.post("/panel/broadcasts/send", data=snapshot) as sent:
            assert "chờ đến giờ gửi" in await sent.text()
        async with db.transaction() as session:
            broadcast = (await session.execute(select(Broadcast))).scalar_one()
        assert broadcast.send_at == later and broadcast.recipients == 1
        assert broadcast.audience == {"kind": "hamlets", "hamlet_ids": [hamlet.id]}

        # Stopped before its time: nothing of it leaves.
        async with client.post("/panel/broadcasts/1/stop", data={"csrf": csrf}) as stopped:
            assert "Đã dừng" in await stopped.text()
        async with db.transaction() as session:
            statuses = (await session.execute(select(OutboxMessage.status).where(
                OutboxMessage.broadcast_id == 1))).scalars().all()
        assert statuses == ["cancelled"]

        problems = [
            ({"text": "   "}, "Xin gõ nội dung thông báo."),
            ({"text": "x" * 3001}, "Nội dung quá dài"),
            ({"audience": "hamlets"}, "chọn ít nhất một"),
            ({"audience": "dialogue", "dialogue": "99999"}, "Xin chọn buổi đối thoại"),
            ({"when": "later", "at": "31/02/2026 10:00"}, "trong vòng 60 ngày tới"),
            ({"when": "later", "at": (utcnow() + timedelta(days=70)).astimezone(LOCAL)
              .strftime("%d/%m/%Y %H:%M")}, "trong vòng 60 ngày tới"),
        ]
        for values, words in problems:
            async with client.post("/panel/broadcasts/preview",
                                   data=form(csrf, **values)) as page:
                assert page.status == 400, values
                assert words in await page.text(), values
    async with db.transaction() as session:
        assert len((await session.execute(select(Broadcast))).scalars().all()) == 1


async def test_a_photo_goes_with_the_announcement_and_only_a_photo(db: Database) -> None:
    office, _citizens = await setup(db)
    async with panel_client(db) as client:
        csrf = await sign_in(client, office)
        upload = form(csrf)
        upload.add_field("photo", PHOTO, filename="anh.png", content_type="image/png")
        async with client.post("/panel/broadcasts/preview", data=upload) as page:
            body = await page.text()
        photo = re.search(r'src="(/panel/broadcasts/photos/[\w-]+)"', body)
        assert photo is not None
        async with client.get(photo.group(1)) as shown:
            assert shown.status == 200 and await shown.read() == PHOTO
        snapshot = hidden_fields(body)
        snapshot["csrf"] = [csrf]
        async with client.post("/panel/broadcasts/send", data=snapshot) as sent:
            assert sent.status == 200
        not_a_photo = form(csrf)
        not_a_photo.add_field("photo", b"MZ\x90\x00 not a photo", filename="anh.jpg",
                              content_type="image/jpeg")
        async with client.post("/panel/broadcasts/preview", data=not_a_photo) as page:
            assert page.status == 400 and "Chỉ gửi kèm được ảnh" in await page.text()
    async with db.transaction() as session:
        payloads = (await session.execute(select(OutboxMessage.payload).where(
            OutboxMessage.broadcast_id.is_not(None)))).scalars().all()
    assert len(payloads) == 5
    assert all(p["params"]["photo"][1].endswith(".png") for p in payloads)


async def test_another_commune_a_forged_form_or_a_lost_role_changes_nothing(
    db: Database,
) -> None:
    office, _citizens = await setup(db)
    async with panel_client(db) as client:
        csrf = await sign_in(client, office)
        async with client.post("/panel/broadcasts/send", data=form(csrf, when="later", at=(
                utcnow() + timedelta(days=2)).astimezone(LOCAL).strftime("%d/%m/%Y %H:%M")),
                allow_redirects=False) as sent:
            assert sent.status == 303
        for forged in ({}, {"csrf": "forged"}):
            async with client.post("/panel/broadcasts/send",
                                   data={**forged, "text": TEXT, "audience": "commune"}) as r:
                assert r.status == 403
            async with client.post("/panel/broadcasts/1/stop", data=forged) as r:
                assert r.status == 403
    other = await make_commune(db, "Xã Tân Hiệp", ["Ấp Một"])
    await staff(db, "9777", commune_id=other, hamlet_name="Ấp Một")
    other_office = Chat(db, user_id="9777", runner=office.runner)
    async with panel_client(db) as client:
        csrf = await sign_in(client, other_office)
        async with client.get("/panel/broadcasts") as page:
            assert TEXT.split()[0] not in await page.text()
        async with client.get("/panel/broadcasts/1") as page:
            assert page.status == 403
        async with client.post("/panel/broadcasts/1/stop", data={"csrf": csrf}) as page:
            assert page.status == 403
    async with panel_client(db) as client:
        await sign_in(client, office)
        person = await office.person()
        assert person is not None
        async with db.transaction() as session:
            await session.execute(delete(RoleGrant).where(RoleGrant.person_id == person.id))
        for path in ("/panel/broadcasts", "/panel/broadcasts/1"):
            async with client.get(path) as page:
                assert page.status == 403
    async with db.transaction() as session:
        assert len((await session.execute(select(Broadcast))).scalars().all()) == 1
        statuses = set((await session.execute(select(OutboxMessage.status))).scalars())
    assert statuses == {"pending"}  # nobody stopped it
