"""Staff and the agency open a petition's photos from its card; duplicates are named at once."""

from __future__ import annotations

from sqlalchemy import select

from bot.telegram import TelegramChannel
from bot.zalo import ZaloChannel
from handlers.conversation import ConversationRunner
from handlers.turn import HandlerConfig
from handlers.values import Kind, Reply
from storage.db import Database
from storage.files import refer_to_platform_file
from storage.models import AuditEntry, StoredFile
from storage.models.files import FileSubject
from tests.chat import Chat, actions, texts
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import FakeZalo, new_user_id
from tests.handlers.petitions.test_office import forward_to_agency
from tests.handlers.petitions.test_submit import (
    VOTER,
    field_action,
    petition_id,
    send_petition,
    setup,
)


async def reads_of(db: Database, pid: int, what: str) -> list[int | None]:
    async with db.transaction() as session:
        entries = (await session.execute(select(AuditEntry).where(
            AuditEntry.action == "personal_data.read", AuditEntry.subject_id == pid))
        ).scalars().all()
    return [entry.actor_id for entry in entries if entry.after == {"what": what}]


async def stored(db: Database, token: str) -> tuple[StoredFile, list[int]]:
    async with db.transaction() as session:
        found = (await session.execute(select(StoredFile).where(StoredFile.token == token))
                 ).scalar_one()
        subjects = (await session.execute(select(FileSubject.person_id).where(
            FileSubject.file_id == found.id))).scalars().all()
        return found, list(subjects)


async def test_the_office_opens_the_photos_of_a_petition_from_its_card(db: Database) -> None:
    office, _officer, citizen = await setup(db)
    code = await send_petition(db, citizen, "Cống thoát nước ấp Tân Dân bị tắc", photos=2)
    pid = await petition_id(db, code)
    card = await office.press(f"ip:{pid}")
    assert "📎 Xem tệp đính kèm (2)" in [c.label for r in card for c in r.choices]
    assert f"io:files:{pid}" in actions(card)

    sent = await office.press(f"io:files:{pid}")
    files = [reply for reply in sent if reply.file is not None]
    assert [reply.text for reply in files] == [f"{code} · Ảnh 1/2", f"{code} · Ảnh 2/2"]
    assert [name for _token, name in (r.file for r in files if r.file)] == [
        f"{code}-1.jpg", f"{code}-2.jpg"]
    first, subjects = await stored(db, files[0].file[0] if files[0].file else "")
    # The citizen sent it on Zalo: it stays there, behind a link of ours that works once.
    assert first.source == "zalo:https://zalo.example/photo-0.jpg"
    assert first.personal and first.content is None
    petitioner = await citizen.person()
    assert petitioner is not None and subjects == [petitioner.id]
    assert f"ip:{pid}" in actions(sent)
    reader = await office.person()
    assert reader is not None and await reads_of(db, pid, "attachments") == [reader.id]


async def test_the_agency_opens_a_hidden_petitioners_photo_and_the_read_is_audited(
    db: Database,
) -> None:
    office, officer, citizen = await setup(db)
    code = await send_petition(db, citizen, "Đèn đường ấp Tân Dân không sáng", hide=True)
    pid = await petition_id(db, code)
    await forward_to_agency(db, pid)
    card = await officer.press(f"ap:{pid}")
    assert VOTER not in texts(card)  # the name stays hidden ...
    sent = await officer.press(f"io:files:{pid}")
    assert [r.file[1] for r in sent if r.file] == [f"{code}-1.jpg"]  # ... the problem does not
    assert VOTER not in texts(sent)
    reader = await officer.person()
    assert reader is not None and await reads_of(db, pid, "attachments") == [reader.id]
    assert await reads_of(db, pid, "card") != []  # the office's notice was not a read
    del office


async def test_nobody_else_opens_the_attachments(db: Database) -> None:
    _office, officer, citizen = await setup(db)
    code = await send_petition(db, citizen, "Sạt lở bờ kênh ấp Tân Hùng")
    pid = await petition_id(db, code)
    stranger = Chat(db, user_id="9300", runner=citizen.runner)
    await stranger.onboard(1)
    # The petitioner's own card has no such button; the agency's comes with the forward.
    for reader in (citizen, stranger, officer):
        replies = await reader.press(f"io:files:{pid}")
        assert [r for r in replies if r.file] == []
        assert "không mở được kiến nghị này" in texts(replies)
    assert await reads_of(db, pid, "attachments") == []


async def test_a_likely_duplicate_is_named_in_the_notice_and_on_the_card(db: Database) -> None:
    office, _officer, citizen = await setup(db)
    first = await send_petition(db, citizen, "Đường làng ấp Tân Dân bị hỏng nặng", photos=0)
    notice = await office.new_replies()
    assert "trùng" not in texts(notice)
    second = await send_petition(db, citizen, "duong lang ap tan dan bi hong nang qua",
                                 photos=0)
    pid = await petition_id(db, second)
    notice = await office.new_replies()
    assert f"Có thể trùng với {first}." in texts(notice)
    assert f"io:merge:{pid}" in actions(notice)
    card = await office.press(f"ip:{pid}")
    assert f"Có thể trùng với {first}." in texts(card)


async def test_telegram_resends_a_telegram_voice_note_by_its_id_and_a_zalo_one_as_a_link(
    db: Database,
) -> None:
    async with db.transaction() as session:
        voice = refer_to_platform_file(session, "KN-2026-00001-1.ogg", "telegram:fake-file-7",
                                       owner_id=None, personal=True).token
        zalo_voice = refer_to_platform_file(
            session, "KN-2026-00001-2.aac", "zalo:https://zalo.example/v.aac", owner_id=None,
            personal=True).token
        photo = refer_to_platform_file(session, "KN-2026-00001-3.jpg", "telegram:fake-file-8",
                                       owner_id=None, personal=True).token
    async with FakeTelegram() as telegram:
        telegram.text(550001, "xin chào")
        channel = TelegramChannel(telegram.token, ConversationRunner(db, HandlerConfig()),
                                  api_url=telegram.base_url, public_url="https://cutri.example.vn")
        try:
            for token, name in ((voice, "KN-2026-00001-1.ogg"),
                                (zalo_voice, "KN-2026-00001-2.aac")):
                await channel.send("550001", Reply(text="Tệp", file=(token, name)).to_payload())
        finally:
            await channel.close()
        assert [entry["method"] for entry in telegram.sent] == [
            "sendVoice", "sendMessage", "sendMessage"]
        assert telegram.sent[0]["message"]["voice"]["file_id"] == "fake-file-7"
        assert f"https://cutri.example.vn/files/{zalo_voice}/" in str(telegram.sent[2])
        assert telegram.violations == []
    async with FakeZalo() as zalo:
        user = new_user_id()
        zalo.text(user, "chào")
        zalo_channel = ZaloChannel(zalo.token, ConversationRunner(db, HandlerConfig()),
                                   api_url=zalo.base_url, public_url="https://cutri.example.vn")
        try:
            await zalo_channel.send(user, Reply(
                text="Ảnh", file=(photo, "KN-2026-00001-3.jpg")).to_payload())
        finally:
            await zalo_channel.client.aclose()
        # A personal photo's link works once: Zalo fetching it would spend it, so it is text.
        (text,) = zalo.texts_for(user)
        assert f"https://cutri.example.vn/files/{photo}/KN-2026-00001-3.jpg" in text


async def test_a_telegram_petitioners_photo_reaches_telegram_staff_by_its_id(
    db: Database,
) -> None:
    office, _officer, _citizen = await setup(db)
    citizen = Chat(db, user_id="9400", runner=office.runner)
    await citizen.onboard(1)
    await citizen.press("menu:petition")
    await citizen.press(await field_action(db, "transport"))
    await citizen.send("Cầu khỉ ấp Tân Hậu sắp gãy")
    await citizen.deliver(kind=Kind.PHOTO, file_ref="fake-file-42")
    await citizen.deliver(kind=Kind.VOICE, file_ref="fake-file-43")
    await citizen.press("pa:done")
    await citizen.send("Ấp Tân Hậu")
    await citizen.press("pn:yes")
    receipt = texts(await citizen.press("pr:send"))
    code = receipt.split("KN-", 1)[1][:10].join(["KN-", ""])
    pid = await petition_id(db, code)
    sent = [r for r in await office.press(f"io:files:{pid}") if r.file]
    assert [r.text for r in sent] == [f"{code} · Ảnh 1/2", f"{code} · Tin nhắn thoại 2/2"]
    sources = [(await stored(db, r.file[0]))[0].source for r in sent if r.file]
    assert sources == ["telegram:fake-file-42", "telegram:fake-file-43"]
