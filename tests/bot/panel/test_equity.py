"""The reach page: which hamlets, households and channels the bot reaches, for the office only."""

from __future__ import annotations

import re

from sqlalchemy import update

from storage.db import Database
from storage.models import Hamlet
from tests.bot.panel.client import panel_client, sign_in
from tests.bot.panel.desk import assert_refused, other_communes_office, sign_in_as_citizen
from tests.chat import Chat
from tests.storage.people.test_reach import people_of_tan_thuan_tay

NUMBERS = re.compile(r'<td class="num"[^>]*>([^<]*)</td>')


def row_of(body: str, hamlet: str) -> list[str]:
    """The figures of a hamlet's row: households, people, petitioners, petitions, seats, came."""
    table = body.split('class="list reach"', 1)[1].split("</table>", 1)[0]
    row = next(part for part in table.split("<tr")[1:] if f">{hamlet}" in part)
    return NUMBERS.findall(row)


async def test_the_office_sees_each_hamlets_reach_against_its_households(db: Database) -> None:
    village = await people_of_tan_thuan_tay(db)
    office = Chat(db, user_id="office-1")
    async with panel_client(db) as client:
        await sign_in(client, office)
        period = f"from={village.first:%d/%m/%Y}&to={village.last:%d/%m/%Y}"
        async with client.get(f"/panel/equity?{period}") as page:
            assert page.status == 200
            body = await page.text()
        async with client.get("/panel/equity?from=31/02/2026&to=x") as page:
            assert page.status == 200  # the period falls back to this year
    assert row_of(body, "Ấp Tân Hậu") == ["200", "4", "2", "3", "2", "1"]
    assert row_of(body, "Ấp Tân Hùng") == ["150", "1", "0", "0", "0", "0"]
    assert row_of(body, "Ấp Tân Chủ") == ["—", "0", "0", "1", "0", "0"]
    hung = body.split(">Ấp Tân Hùng", 1)[1].split("</tr>", 1)[0]
    assert "ít người tham gia" in hung  # under half the commune's share of households
    assert "ít người tham gia" not in body.split(">Ấp Tân Hậu", 1)[1].split("</tr>", 1)[0]
    assert '<span class="pct">2,0</span>' in body  # 4 people for 200 households
    assert "Hộ nghèo" in body and "Hộ cận nghèo" in body and "<svg" in body
    assert "Trực tiếp, do cán bộ hoặc đại biểu nhập giúp" in body
    for private in ("Đại diện hộ", "Cử tri ấp Tân Chủ", "Đường ấp Tân Hậu lầy lội"):
        assert private not in body


async def test_a_commune_without_household_figures_is_told_where_to_give_them(
    db: Database,
) -> None:
    await people_of_tan_thuan_tay(db)
    async with db.transaction() as session:
        await session.execute(update(Hamlet).values(households=None))
    async with panel_client(db) as client:
        await sign_in(client, Chat(db, user_id="office-1"))
        async with client.get("/panel/equity") as page:
            body = await page.text()
    assert "Xã chưa nhập số hộ" in body and "Số hộ" in body


async def test_a_citizen_or_another_communes_office_cannot_see_this_communes_reach(
    db: Database,
) -> None:
    await people_of_tan_thuan_tay(db)
    office = Chat(db, user_id="office-1")
    other = await other_communes_office(db, office)
    async with panel_client(db) as client:
        await sign_in(client, other)
        async with client.get("/panel/equity") as page:
            body = await page.text()
        assert "Ấp Một" in body and "Ấp Tân Hậu" not in body
    async with panel_client(db) as client:
        await sign_in_as_citizen(client, db, office)
        await assert_refused(client, ["/panel/equity"], private=("Ấp Tân Hậu",))
