"""What the desk pages' tests share: sessions that must be refused, from the bot's own links."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import delete

from storage.db import Database
from storage.models import RoleGrant
from tests.bot.panel.client import sign_in
from tests.chat import Chat
from tests.factories import make_commune, staff

Client = TestClient[web.Request, web.Application]


async def other_communes_office(db: Database, chat: Chat) -> Chat:
    """The office of Xã Tân Hiệp, another commune of the province, as a chat."""
    other = await make_commune(db, "Xã Tân Hiệp", ["Ấp Một"])
    await staff(db, "9777", commune_id=other, hamlet_name="Ấp Một")
    return Chat(db, user_id="9777", runner=chat.runner)


async def sign_in_as_citizen(client: Client, db: Database, office: Chat) -> str:
    """A session whose person is no longer office staff: a citizen like any other.

    The bot gives citizens no sign-in link, so the session is an office one whose role is
    then taken away (the panel asks for the role on every request)."""
    csrf = await sign_in(client, office)
    person = await office.person()
    assert person is not None
    async with db.transaction() as session:
        await session.execute(delete(RoleGrant).where(RoleGrant.person_id == person.id))
    return csrf


async def assert_refused(client: Client, paths: list[str], *, private: tuple[str, ...] = ()
                         ) -> None:
    for path in paths:
        async with client.get(path) as response:
            assert response.status == 403, path
            body = await response.text()
            for secret in private:
                assert secret not in body, (path, secret)
