"""The office works petitions in the panel: the table's filters, a petition's page and moves."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import Agency, AuditEntry, ChannelIdentity, Field, Hamlet, Petition
from storage.models.base import utcnow
from storage.people.people import set_locale
from storage.petitions import table
from storage.petitions.petitions import PetitionDraft, submit_petition
from tests.bot.panel.client import PHOTO, panel_client, sign_in
from tests.chat import texts
from tests.factories import make_commune
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
        whole = code["Cầu ấp Tân Hùng xuống cấp"]
        assert await codes(client, f"q={whole.lower()}") == [whole]  # by its unique index
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


async def contents_in_order(client: object, query: str, rows: dict[str, Petition]) -> list[str]:
    """The table's petitions under a query, as their contents, in the order shown."""
    by_code = {p.code: content for content, p in rows.items()}
    return [by_code[code] for code in await codes(client, query)]


async def stored(db: Database) -> dict[str, Petition]:
    async with db.transaction() as session:
        return {p.content: p for p in (await session.execute(select(Petition))).scalars()}


async def test_the_table_filters_by_agency_and_by_the_days_received_in_local_time(
    db: Database,
) -> None:
    office, _officer, _citizen = await setup(db)
    await add_petitions(db, [
        ("Ấp Tân Dân", "transport", "Cầu khỉ ấp Tân Dân gãy"),
        ("Ấp Tân Dân", "power", "Mất điện ba ngày"),
        ("Ấp Tân Hùng", "land", "Lấn chiếm đất công"),
        ("Ấp Tân Hùng", "land", "Khói lò gạch"),
    ])
    local = timezone(timedelta(hours=7))
    async with db.transaction() as session:
        rows = {p.content: p for p in (await session.execute(select(Petition))).scalars()}
        power = (await session.execute(select(Agency).where(Agency.name == "Điện lực khu vực"))
                 ).scalar_one()
        rows["Mất điện ba ngày"].agency_id = power.id
        # The month of March 2026 in Vietnam: its first minute and last minute are in it.
        for content, moment in (
            ("Cầu khỉ ấp Tân Dân gãy", datetime(2026, 3, 1, 0, 10, tzinfo=local)),
            ("Mất điện ba ngày", datetime(2026, 3, 31, 23, 50, tzinfo=local)),
            ("Lấn chiếm đất công", datetime(2026, 4, 1, 0, 5, tzinfo=local)),
            ("Khói lò gạch", datetime(2026, 2, 28, 23, 55, tzinfo=local)),
        ):
            rows[content].created_at = moment
    async with panel_client(db) as client:
        await sign_in(client, office)
        assert await contents_in_order(client, f"status=&agency={power.id}", rows) == [
            "Mất điện ba ngày"]
        march = "status=&from=01/03/2026&to=31/03/2026"
        assert await contents_in_order(client, march, rows) == [
            "Mất điện ba ngày", "Cầu khỉ ấp Tân Dân gãy"]
        assert await contents_in_order(client, "status=&from=01/04/2026", rows) == [
            "Lấn chiếm đất công"]
        assert await contents_in_order(client, "status=&to=28/02/2026", rows) == [
            "Khói lò gạch"]
        async with client.get("/panel/petitions?status=&from=31/02/2026") as page:
            body = await page.text()
        assert "Có một ngày chưa đọc được" in body  # and the filter is left out
        assert len(CODE.findall(body)) == 4
        async with client.get(f"/panel/petitions?{march}&sort=hamlet") as page:
            body = await page.text()
        # Paging and sorting keep the filters.
        assert "from=01%2F03%2F2026" in body and "to=31%2F03%2F2026" in body


async def test_a_column_header_sorts_the_table_either_way_and_the_pages_keep_the_order(
    db: Database,
) -> None:
    office, _officer, _citizen = await setup(db)
    await add_petitions(db, [
        ("Ấp Tân Hậu", "other", "Một"),
        ("Ấp Tân Dân", "transport", "Hai"),
        ("Ấp Tân Hùng", "land", "Ba"),
        ("Ấp Tân Dân", "land", "Bốn"),
    ])
    today = utcnow().date()
    async with db.transaction() as session:
        rows = {p.content: p for p in (await session.execute(select(Petition))).scalars()}
        rows["Hai"].status, rows["Hai"].due_on = "forwarded", today + timedelta(days=9)
        rows["Ba"].status, rows["Ba"].due_on = "forwarded", today + timedelta(days=2)
        rows["Bốn"].status = "classified"
        for n, content in enumerate(("Một", "Hai", "Ba", "Bốn")):
            rows[content].created_at = utcnow() - timedelta(days=10 - n)
    async with panel_client(db) as client:
        await sign_in(client, office)
        assert await contents_in_order(client, "", rows) == ["Bốn", "Ba", "Hai", "Một"]
        assert await contents_in_order(client, "sort=received&dir=asc", rows) == [
            "Một", "Hai", "Ba", "Bốn"]
        # Hamlets and fields in the order the commune lists them; newest first within one.
        assert await contents_in_order(client, "sort=hamlet", rows) == [
            "Bốn", "Hai", "Ba", "Một"]
        assert await contents_in_order(client, "sort=hamlet&dir=desc", rows) == [
            "Một", "Ba", "Bốn", "Hai"]
        assert await contents_in_order(client, "sort=field", rows) == [
            "Bốn", "Ba", "Hai", "Một"]
        assert await contents_in_order(client, "sort=status", rows) == [
            "Một", "Bốn", "Ba", "Hai"]
        # The nearest deadline first; petitions with none come last either way.
        assert await contents_in_order(client, "sort=due", rows) == ["Ba", "Hai", "Bốn", "Một"]
        assert await contents_in_order(client, "sort=due&dir=desc", rows) == [
            "Hai", "Ba", "Bốn", "Một"]
        async with client.get("/panel/petitions?sort=due") as page:
            body = await page.text()
        # The header of the order in use turns it round; the others start their own way.
        assert 'href="?status=open&amp;sort=due&amp;dir=desc"' in body
        assert 'href="?status=open&amp;sort=received&amp;dir=desc"' in body
        for nonsense in ("sort=content", "sort=due&dir=up", "from=<b>&to=99/99/9999"):
            async with client.get(f"/panel/petitions?{nonsense}") as page:
                assert page.status == 200
    await add_petitions(db, [("Ấp Tân Chủ", "land", f"Ao số {n}") for n in range(30)])
    async with panel_client(db) as client:
        await sign_in(client, office)
        async with client.get("/panel/petitions?sort=hamlet&dir=desc") as page:
            body = await page.text()
        assert 'href="?status=open&amp;sort=hamlet&amp;dir=desc&amp;page=2"' in body
        second = await contents_in_order(client, "sort=hamlet&dir=desc&page=2",
                                         await stored(db))
        # Ấp Tân Dân is listed first: last, going down; Tân Chủ's 30 span the two pages.
        assert len(second) == 9 and second[-3:] == ["Ba", "Bốn", "Hai"]


async def tick(db: Database, contents: list[str]) -> list[tuple[str, str]]:
    rows = await stored(db)
    return [("id", str(rows[content].id)) for content in contents]


async def test_the_office_classifies_ticked_petitions_at_once_and_sees_which_were_refused(
    db: Database,
) -> None:
    office, _officer, _citizen = await setup(db)
    await add_petitions(db, [
        ("Ấp Tân Dân", "other", "Đèn đường tắt"),
        ("Ấp Tân Hùng", "other", "Đèn chợ tắt"),
        ("Ấp Tân Chủ", "other", "Đã trả lời rồi"),
    ])
    async with db.transaction() as session:
        answered = (await session.execute(select(Petition).where(
            Petition.content == "Đã trả lời rồi"))).scalar_one()
        answered.status = "answered"
        power = (await session.execute(select(Field).where(Field.code == "power"))
                 ).scalar_one()
    form = [*(await tick(db, ["Đèn đường tắt", "Đèn chợ tắt", "Đã trả lời rồi"])),
            ("move", "classify"), ("field", str(power.id)), ("competence", "utility")]
    async with panel_client(db) as client:
        csrf = await sign_in(client, office)
        async with client.post("/panel/petitions/bulk", data=[("csrf", csrf), *form]) as done:
            assert done.status == 200
            body = await done.text()
    assert "Đã làm xong cho 2 kiến nghị" in body
    assert answered.code in body and "kiến nghị đang ở bước không làm được việc này" in body
    rows = await stored(db)
    for content in ("Đèn đường tắt", "Đèn chợ tắt"):
        assert (rows[content].status, rows[content].field_id, rows[content].competence) == (
            "classified", power.id, "utility")
    assert rows["Đã trả lời rồi"].status == "answered"
    async with db.transaction() as session:
        audit = (await session.execute(select(AuditEntry.subject_id).where(
            AuditEntry.action == "petition.classified"))).scalars().all()
    assert sorted(audit) == sorted([rows["Đèn đường tắt"].id, rows["Đèn chợ tắt"].id])


async def test_the_office_forwards_ticked_petitions_and_the_agency_hears_of_each(
    db: Database,
) -> None:
    office, officer, _citizen = await setup(db)
    await add_petitions(db, [
        ("Ấp Tân Dân", "transport", "Ổ gà đường số 1"),
        ("Ấp Tân Hùng", "transport", "Ổ gà đường số 2"),
        ("Ấp Tân Hậu", "transport", "Đã chuyển rồi"),
    ])
    async with db.transaction() as session:
        agency = (await session.execute(select(Agency).where(Agency.name == AGENCY))
                  ).scalar_one()
        for petition in (await session.execute(select(Petition))).scalars():
            petition.status = "classified"
            if petition.content == "Đã chuyển rồi":
                petition.status, petition.agency_id = "forwarded", agency.id
    form = [*(await tick(db, ["Ổ gà đường số 1", "Ổ gà đường số 2", "Đã chuyển rồi"])),
            ("move", "forward"), ("agency", str(agency.id))]
    async with panel_client(db) as client:
        csrf = await sign_in(client, office)
        async with client.post("/panel/petitions/bulk", data=[("csrf", csrf), *form]) as done:
            body = await done.text()
    assert "Đã làm xong cho 2 kiến nghị" in body and "Chưa thay đổi: 1" in body
    rows = await stored(db)
    for content in ("Ổ gà đường số 1", "Ổ gà đường số 2"):
        petition = rows[content]
        assert petition.status == "forwarded" and petition.agency_id == agency.id
        assert petition.due_on is not None and petition.due_on > utcnow().date()
    told = texts(await officer.new_replies())
    assert rows["Ổ gà đường số 1"].code in told and rows["Ổ gà đường số 2"].code in told
    assert rows["Đã chuyển rồi"].code not in told


async def test_a_bulk_form_without_its_token_or_with_another_communes_petitions_changes_none(
    db: Database,
) -> None:
    office, _officer, _citizen = await setup(db)
    await add_petitions(db, [("Ấp Tân Dân", "other", "Cây đổ chắn đường")])
    other = await make_commune(db, "Xã Tân Hiệp", ["Ấp Một"])
    async with db.transaction() as session:
        theirs = (await submit_petition(session, None, PetitionDraft(
            commune_id=other, content="Kiến nghị của xã khác", voter_name="Cử tri"))).petition
    async with db.transaction() as session:
        field = (await session.execute(select(Field).where(
            Field.code == "security", Field.commune_id != other))).scalars().first()
    assert field is not None
    ours = await tick(db, ["Cây đổ chắn đường"])
    form = [*ours, ("id", str(theirs.id)), ("move", "classify"), ("field", str(field.id)),
            ("competence", "commune")]
    async with panel_client(db) as client:
        csrf = await sign_in(client, office)
        async with client.post("/panel/petitions/bulk", data=form) as forged:
            assert forged.status == 403
        async with client.post("/panel/petitions/bulk",
                               data=[("csrf", "forged"), *form]) as forged:
            assert forged.status == 403
        assert (await stored(db))["Cây đổ chắn đường"].status == "received"
        async with client.post("/panel/petitions/bulk", data=[("csrf", csrf), *form]) as done:
            body = await done.text()
        assert "Đã làm xong cho 1 kiến nghị" in body
        assert "1 kiến nghị không có trong xã này" in body and theirs.code not in body
        async with client.post("/panel/petitions/bulk", data=[
                ("csrf", csrf), ("move", "classify"), ("field", str(field.id))]) as empty:
            assert empty.status == 400
    rows = await stored(db)
    assert rows["Cây đổ chắn đường"].status == "classified"
    assert rows["Kiến nghị của xã khác"].status == "received"


async def test_common_words_are_counted_among_the_newest_petitions_and_paged_there(
    db: Database, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # At a million petitions the newest 5,000 are read first; here the newest 6.
    monkeypatch.setattr(table, "SEARCH_WINDOW", 6)
    monkeypatch.setattr(table, "COMMON_HITS", 2)
    office, _officer, _citizen = await setup(db)
    await add_petitions(db, [("Ấp Tân Dân", "transport", f"Đường số {n} bị ngập")
                             for n in range(8)] + [("Ấp Tân Hùng", "land", "Khói lò gạch")])
    async with db.transaction() as session:
        for n, petition in enumerate((await session.execute(
                select(Petition).order_by(Petition.id))).scalars()):
            petition.created_at = utcnow() - timedelta(days=30 - n)
    rows = await stored(db)
    async with panel_client(db) as client:
        await sign_in(client, office)
        async with client.get("/panel/petitions?q=duong+so") as page:
            body = await page.text()
        # The newest six hold five of the eight: "more than 5", newest first, all of them.
        assert "hơn 5 kiến nghị" in body
        assert await contents_in_order(client, "q=duong+so", rows) == [
            f"Đường số {n} bị ngập" for n in (7, 6, 5, 4, 3)]
        # Rare words are looked for everywhere, and counted exactly.
        assert await contents_in_order(client, "q=lo+gach", rows) == ["Khói lò gạch"]
        assert await contents_in_order(client, "q=so+1+bi", rows) == ["Đường số 1 bị ngập"]
