"""Invites in the bot: the admin chooses whom to invite, sees the open links and revokes them."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from storage.db import Database
from storage.models import Invite
from tests.chat import Chat, actions, texts
from tests.factories import demo, staff


async def invite_count(db: Database) -> int:
    async with db.transaction() as session:
        return int((await session.execute(select(func.count()).select_from(Invite))
                    ).scalar_one())


async def test_one_press_makes_one_link_which_the_admin_can_list_and_revoke(
    db: Database,
) -> None:
    await demo(db)
    await staff(db, "6001", role="admin")
    admin = Chat(db, user_id="6001")
    offered = actions(await admin.press("menu:invite"))
    assert "iv:office" in offered and "iv:list" in offered
    assert await invite_count(db) == 0  # opening the menu mints nothing
    link = texts(await admin.press("iv:office"))
    token = re.search(r"/start (inv-[A-Za-z0-9_-]+)", link)
    assert token is not None and await invite_count(db) == 1
    listed = await admin.press("iv:list")
    revoke = [a for a in actions(listed) if a.startswith("iv:rv:")]
    assert len(revoke) == 1 and token.group(1) not in texts(listed)
    assert "thu hồi" in texts(await admin.press(revoke[0])).lower()
    assert "Hiện không có lời mời nào" in texts(await admin.press("iv:list"))
    # The revoked link opens nothing.
    newcomer = Chat(db, user_id="6002", runner=admin.runner)
    await newcomer.send(f"/start {token.group(1)}")
    assert "không còn hiệu lực" in texts(await newcomer.press("consent:yes"))
    # Revoking again, or a forged number, changes nothing and says so.
    assert "đã bị thu hồi" in texts(await admin.press(revoke[0]))


async def test_only_an_admin_can_make_list_or_revoke_invites(db: Database) -> None:
    await demo(db)
    await staff(db, "6101", role="admin")
    admin = Chat(db, user_id="6101")
    await admin.press("iv:office")
    await staff(db, "6102", role="office")
    clerk = Chat(db, user_id="6102", runner=admin.runner)
    for action in ("menu:invite", "iv:office", "iv:ag:1", "iv:dl:1", "iv:list", "iv:rv:1"):
        replies = await clerk.press(action)
        assert "Chỉ quản trị viên" in texts(replies), action
    assert await invite_count(db) == 1
    async with db.transaction() as session:
        invite = (await session.execute(select(Invite))).scalar_one()
    assert invite.revoked_at is None
