"""The office works petitions in the panel: the table's filters, a petition's page and moves."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from storage.db import Database
from storage.models import Agency, AuditEntry, ChannelIdentity, Field, Hamlet, Petition
from storage.models.base import utcnow
from storage.people.people import set_locale
from storage.petitions.petitions import PetitionDraft, submit_petition
from tests.bot.panel.client import PHOTO, panel_client, sign_in
from tests.chat import texts
from tests.handlers.petitions.test_submit import AGENCY, petition_id, send_petition, setup

CODE = re.compile(r">(KN-\d{4}-\d{5})<")


async def add_petitions(db: Database, texts_by_hamlet: list[tuple[str, str, str]]) -> None:
    """Petitions entered straight into storage: (hamlet, field code, text)."""
    async with db.transaction() as session:
        for hamlet_name, field_code, text in texts_by_hamlet:
            hamlet = (await session.execute(select(Hamlet).where(Hamlet.name == hamlet_name))
                      ).scalar_one()
            field = (await session.execute(select(Field).where(
                Field.code == field_code, Field.commune_id == hamlet.commune_id))).scalar_one()
            await submit_petition(session, None, PetitionDraft(
                commune_id=hamlet.commune_id, content=text, hamlet_id=hamlet.id,
                field_id=field.id, voter_name="Cử tri"))


async def codes(client: object, query: str) -> list[str]:
    async with client.get(f"/panel/petitions?{query}") as page:  # type: ignore[attr-defined]
        assert page.status == 200
        return CODE.findall(await page.text())


async def test_the_table_filters_by_status_field_hamlet_overdue_and_words_without_accents(
    db: Database,
) -> None:
    office, _officer, _citizen = await setup(db)
    await add_petitions(db, [
        ("Ấp Tân Dân", "transport", "Đường làng ấp Tân Dân bị hỏng nặng"),
        ("Ấp Tân Hùng", "transport", "Cầu ấp Tân Hùng xuống cấp"),
        ("Ấp Tân Hùng", "land", "Rác thải đổ bừa bãi ven kênh"),
    ] + [("Ấp Tân Chủ", "land", f"Ao tù số {n} bốc mùi") for n in range(30)])
    async with db.transaction() as session:
        rows = {p.content: p for p in (await session.execute(select(Petition))).scalars()}
        late = rows["Cầu ấp Tân Hùng xuống cấp"]
        late.status, late.due_on = "forwarded", (utcnow() - timedelta(days=3)).date()
        rows["Rác thải đổ bừa bãi ven kênh"].status = "answered"
        hamlet = (await session.execute(select(Hamlet).where(Hamlet.name == "Ấp Tân Hùng"))
                  ).scalar_one()
        transport = (await session.execute(select(Field).where(Field.code == "transport"))
                     ).scalar_one()
        code = {content: p.code for content, p in rows.items()}
    async with panel_client(db) as client:
        await sign_in(client, office)
        first_page = await codes(client, "")
        assert len(first_page) == 25  # paged; answered ones are not open
        assert code["Rác thải đổ bừa bãi ven kênh"] not in first_page
        assert len(await codes(client, "page=2")) == 7
        assert await codes(client, "status=answered") == [code["Rác thải đổ bừa bãi ven kênh"]]
        assert await codes(client, f"status=&hamlet={hamlet.id}") == [
            code["Rác thải đổ bừa bãi ven kênh"], code["Cầu ấp Tân Hùng xuống cấp"]]
        assert sorted(await codes(client, f"field={transport.id}")) == sorted(
            [code["Đường làng ấp Tân Dân bị hỏng nặng"], code["Cầu ấp Tân Hùng xuống cấp"]])
        assert await codes(client, "overdue=1") == [code["Cầu ấp Tân Hùng xuống cấp"]]
        assert await codes(client, "q=duong+lang") == [code["Đường làng ấp Tân Dân bị hỏng nặng"]]
        assert await codes(client, "q=ĐƯỜNG LÀNG") == [code["Đường làng ấp Tân Dân bị hỏng nặng"]]
        assert await codes(client, "q=100%25") == []  # a wildcard typed is just a character
        number = code["Cầu ấp Tân Hùng xuống cấp"][-5:]
        assert await codes(client, f"q={number}") == [code["Cầu ấp Tân Hùng xuống cấp"]]
        for nonsense in ("page=-3", "page=abc", "field=x", "hamlet=99999999999", "status=<b>"):
            async with client.get(f"/panel/petitions?{nonsense}") as page:
                assert page.status == 200


async def test_the_office_classifies_forwards_and_answers_in_the_panel(db: Database) -> None:
    office, officer, citizen = await setup(db)
    code = await send_petition(db, citizen, "Cống thoát nước ấp Tân Dân bị tắc <gấp>")
    pid = await petition_id(db, code)
    await citizen.new_replies()
    async with db.transaction() as session:
        field = (await session.execute(select(Field.id).where(Field.code == "transport"))
                 ).scalar_one()
        agency = (await session.execute(select(Agency.id).where(Agency.name == AGENCY))
                  ).scalar_one()
    async with panel_client(db) as client:
        csrf = await sign_in(client, office)
        async with client.get(f"/panel/petitions/{pid}") as page:
            body = await page.text()
        assert "Cống thoát nước ấp Tân Dân bị tắc &lt;gấp&gt;" in body  # escaped, not HTML
        assert f'src="/panel/petitions/{pid}/files/1"' in body  # the photo, inline
        async with client.get(f"/panel/petitions/{pid}/files/1") as photo:
            assert photo.status == 200 and await photo.read() == PHOTO
            assert photo.headers["Content-Disposition"].startswith("inline")
        async with client.get(f"/panel/petitions/{pid}/files/2") as missing:
            assert missing.status == 403
        for move, form in (("classify", {"field": str(field), "competence": "commune"}),
                           ("forward", {"agency": str(agency)}),
                           ("answer", {"text": "Xã đã cho nạo vét cống ngày 10/12."})):
            async with client.post(f"/panel/petitions/{pid}/{move}",
                                   data={"csrf": csrf, **form}) as done:
                assert done.status == 200
                assert "Đã lưu" in await done.text(), move
        async with client.post(f"/panel/petitions/{pid}/forward",
                               data={"csrf": csrf, "agency": str(agency)}) as again:
            assert "Chưa có gì thay đổi" in await again.text()
        async with client.get(f"/panel/petitions/{pid}") as page:
            body = await page.text()
        for step in ("Đã phân loại", "Đã chuyển cơ quan giải quyết", "Xã đã cho nạo vét"):
            assert step in body
    notices = texts(await citizen.new_replies())
    assert "Xã đã cho nạo vét cống ngày 10/12." in notices
    assert code in texts(await officer.new_replies())  # the agency was told of the forward
    reader = await office.person()
    async with db.transaction() as session:
        reads = (await session.execute(select(AuditEntry.after).where(
            AuditEntry.action == "personal_data.read", AuditEntry.subject_id == pid,
            AuditEntry.actor_id == (reader.id if reader else None)))).scalars().all()
    assert {"what": "card"} in reads and {"what": "attachment"} in reads


async def test_the_panel_speaks_the_language_chosen_in_the_chat(db: Database) -> None:
    office, _officer, _citizen = await setup(db)
    async with panel_client(db) as client:
        await sign_in(client, office)
        async with client.get("/panel/petitions") as page:
            assert "Đăng xuất" in await page.text()
        async with db.transaction() as session:
            identity = (await session.execute(select(ChannelIdentity).where(
                ChannelIdentity.external_id == office.user_id))).scalar_one()
            await set_locale(session, identity, "en")
        async with client.get("/panel/petitions") as page:
            body = await page.text()
        assert '<html lang="en">' in body and "Sign out" in body and "Đăng xuất" not in body
