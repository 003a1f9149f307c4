"""The panel opens on the commune's figures, each a link to the petitions behind it."""

from __future__ import annotations

from storage.db import Database
from tests.bot.panel.client import panel_client, sign_in
from tests.handlers.petitions.test_my_petitions import PHONE, hidden_petitioner
from tests.handlers.petitions.test_submit import setup


async def test_the_overview_shows_counts_and_bars_but_nobody_s_data(db: Database) -> None:
    office, _officer, _citizen = await setup(db)
    await hidden_petitioner(db, office)
    async with panel_client(db) as client:
        await sign_in(client, office)
        async with client.get("/panel/") as page:
            assert page.status == 200
            body = await page.text()
    assert "Tổng quan" in body and "mới, chờ văn phòng xử lý" in body
    assert 'href="/panel/petitions?status=received"><strong>1</strong>' in body
    assert "Ấp Tân Dân" in body and "<svg" in body  # the hamlet's bar
    for private in ("Trần Thị Mười", PHONE, "Đường làng"):
        assert private not in body
