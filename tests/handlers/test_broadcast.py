"""Office broadcasts in the bot: compose, preview, send, follow, stop; and who may not."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from handlers.values import Kind
from storage.db import Database
from storage.demo import seed_demo
from storage.models import (
    AuditEntry,
    Broadcast,
    ChannelIdentity,
    Commune,
    Dialogue,
    OutboxMessage,
    Province,
    Registration,
    RoleGrant,
)
from storage.models.base import utcnow
from tests.chat import Chat, actions, texts


async def setup(db: Database) -> tuple[Chat, list[Chat]]:
    async with db.transaction() as session:
        await seed_demo(session)
    office = Chat(db, user_id="9001")
    await office.onboard(1)
    person = await office.person()
    async with db.transaction() as session:
        commune = (await session.execute(select(Commune))).scalars().first()
        assert person is not None and commune is not None
        session.add(RoleGrant(person_id=person.id, commune_id=commune.id, role="office"))
    citizens = []
    for n in range(4):
        citizen = Chat(db, user_id=f"91{n}", runner=office.runner, channel="zalo")
        await citizen.onboard(n + 1)
        citizens.append(citizen)
    return office, citizens


async def compose(office: Chat, text: str, *, audience: str = "aud:commune") -> str:
    await office.send("/broadcast")
    await office.send(text)
    await office.press(audience)
    if audience == "aud:hamlets":
        await office.press("bh:4")
        await office.press("bh:done")
    await office.press("bt:agriculture")
    return texts(await office.press("bu:routine"))


async def test_office_previews_and_sends_an_announcement_to_the_commune(db: Database) -> None:
    office, citizens = await setup(db)
    preview = await compose(office, "Phun thuốc muỗi <sáng mai> & dọn vệ sinh 🦟")
    assert "Phun thuốc muỗi <sáng mai> & dọn vệ sinh 🦟" in preview
    assert "Thông báo của Xã Tân Thuận Tây" in preview
    assert "5 người" in preview  # four citizens and the office worker
    replies = await office.press("bw:now")
    assert "#1" in texts(replies)
    for citizen in citizens:
        rows = await citizen.outbox_rows()
        assert rows[-1].payload["notice"] == "broadcast"
    async with db.transaction() as session:
        audit = (await session.execute(select(AuditEntry.action))).scalars().all()
    assert "broadcast.queued" in audit


async def test_hamlet_announcement_reaches_only_that_hamlet(db: Database) -> None:
    office, _citizens = await setup(db)
    preview = await compose(office, "Cắt điện ấp Tân Hậu", audience="aud:hamlets")
    assert "1 người" in preview
    await office.press("bw:now")
    async with db.transaction() as session:
        chats = (
            await session.execute(
                select(OutboxMessage.chat_id).where(OutboxMessage.broadcast_id.is_not(None))
            )
        ).scalars().all()
    assert chats == ["913"]


async def test_a_scheduled_announcement_can_be_stopped_before_it_leaves(db: Database) -> None:
    office, _citizens = await setup(db)
    await compose(office, "Họp tổng kết năm")
    await office.press("bw:later")
    refused = await office.send("hôm qua")
    assert "60 ngày" in texts(refused)
    await office.send("01/01/2099 08:00")  # too far ahead
    queued = await office.send("31/12 08:00")
    assert "#1" in texts(queued)
    listing = await office.send("/broadcasts")
    assert "bx:1" in actions(listing)
    stopped = await office.press("bx:1")
    assert "5 tin nhắn" in texts(stopped)
    async with db.transaction() as session:
        broadcast = (await session.execute(select(Broadcast))).scalar_one()
    assert broadcast.status == "cancelled"


async def test_citizen_delegate_and_other_communes_staff_cannot_broadcast(db: Database) -> None:
    office, citizens = await setup(db)
    citizen = citizens[0]
    replies = await citizen.send("/broadcast")
    assert "Chỉ Văn phòng xã" in texts(replies)
    delegate, outsider = citizens[1], citizens[2]
    d, o = await delegate.person(), await outsider.person()
    async with db.transaction() as session:
        province = (await session.execute(select(Province))).scalars().first()
        assert province is not None
        other = Commune(province_id=province.id, code="xa-khac", name="Xã Khác")
        session.add(other)
        await session.flush()
        assert d is not None and o is not None
        main = (await session.execute(select(Commune).where(Commune.code == "tan-thuan-tay")))
        session.add(RoleGrant(person_id=d.id, commune_id=main.scalar_one().id, role="delegate"))
        session.add(RoleGrant(person_id=o.id, commune_id=other.id, role="office"))
    assert "Chỉ Văn phòng xã" in texts(await delegate.send("/broadcast"))
    # Staff of another commune compose for their own commune only: nobody here is reached,
    # only the outsider, its one member of staff.
    await outsider.send("/broadcast")
    await outsider.send("Tin của xã khác")
    await outsider.press("aud:commune")
    await outsider.press("bt:general")
    preview = texts(await outsider.press("bu:routine"))
    assert "Xã Khác" in preview and "1 người" in preview
    # And a forged "stop" of this commune's broadcast is refused.
    await compose(office, "Tin thật")
    await office.press("bw:now")
    await outsider.send("/broadcasts")
    assert "không dừng được" in texts(await outsider.press("bx:1"))


async def test_citizen_mutes_a_topic_in_settings(db: Database) -> None:
    office, citizens = await setup(db)
    citizen = citizens[0]
    replies = await citizen.send("/settings")
    assert "mute:agriculture" in actions(replies)
    replies = await citizen.press("mute:agriculture")
    assert "🔕 Nông nghiệp" in [c.label for r in replies for c in r.choices]
    await citizen.press("mute:done")
    preview = await compose(office, "Hướng dẫn bón phân")
    assert "4 người" in preview


async def test_cancel_at_any_step_discards_the_draft(db: Database) -> None:
    office, _citizens = await setup(db)
    await office.send("/broadcast")
    await office.send("Nháp")
    replies = await office.press("bc:abort")
    assert "Đã bỏ thông báo" in texts(replies)
    async with db.transaction() as session:
        assert (await session.execute(select(Broadcast))).first() is None


async def test_an_announcement_with_a_photo_carries_it_to_every_recipient(db: Database) -> None:
    office, _citizens = await setup(db)
    await office.send("/broadcast")
    await office.deliver(kind=Kind.PHOTO, file_ref="fake-file-77",
                         text="Lịch phun thuốc muỗi tuần này")
    await office.press("aud:commune")
    await office.press("bt:health_education")
    preview = await office.press("bu:routine")
    assert any(reply.file for reply in preview)
    await office.press("bw:now")
    async with db.transaction() as session:
        payloads = [row.payload for row in (await session.execute(select(OutboxMessage).where(
            OutboxMessage.broadcast_id.is_not(None)))).scalars()]
    assert len(payloads) == 5 and all(p["params"].get("photo") for p in payloads)


async def test_households_of_a_dialogue_are_an_audience(db: Database) -> None:
    office, citizens = await setup(db)
    async with db.transaction() as session:
        commune = (await session.execute(select(Commune))).scalars().first()
        assert commune is not None
        dialogue = Dialogue(commune_id=commune.id, title="Đối thoại 2026", place="Xã",
                            starts_at=utcnow() + timedelta(days=5), topics=["job_loans"],
                            categories=["poor"], registration_until=utcnow() + timedelta(days=4))
        session.add(dialogue)
        await session.flush()
        for n, chat in enumerate(citizens[:3]):
            person_id = (await session.execute(select(ChannelIdentity.person_id).where(
                ChannelIdentity.external_id == chat.user_id))).scalar_one()
            session.add(Registration(dialogue_id=dialogue.id, person_id=person_id,
                                     hamlet_id=1, topics=[], code=f"DT-{n}",
                                     checkin_code=f"00000{n}",
                                     status="waiting" if n == 2 else "registered"))
    await office.send("/broadcast")
    await office.send("Đối thoại dời sang 8 giờ sáng")
    await office.press("aud:dialogue")
    await office.press(f"bdg:{dialogue.id}")
    await office.press("bt:dialogue")
    assert "2" in texts(await office.press("bu:routine"))  # the two seated households
