"""Commune setup in the chat: the admin sends the workbook, sees the changes, applies them.

The file itself is read by `storage.setup.workbook_file` in the background job; here the job's
second half is run with the workbook values it would have read.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from handlers.values import Kind
from storage.db import Database
from storage.files import file_by_token
from storage.models import Hamlet, Province, SetupImport
from storage.people.roles import create_province_admin
from storage.setup.imports import claim_setup_import, finish_setup_import
from storage.setup.workbook import HamletRow, Workbook
from storage.setup.workbook_apply import apply_setup, export_workbook, plan_setup
from storage.setup.workbook_example import MINH_TIEN
from storage.setup.workbook_file import read_workbook
from tests.chat import Chat, actions, texts
from tests.factories import demo, make_commune, staff


async def send_workbook(db: Database, admin: Chat, workbook: Workbook) -> str:
    """Upload a file in the chat, then check it as the background job would."""
    assert "menu:setup" in await admin.menu_actions()
    offered = actions(await admin.press("menu:setup"))
    assert {"setup:export", "setup:template", "setup:upload"} <= set(offered)
    await admin.press("setup:upload")
    received = texts(await admin.deliver(kind=Kind.FILE, file_ref="f1", file_name="xa.xlsx"))
    assert "xa.xlsx" in received
    async with db.transaction() as session:
        request = await claim_setup_import(session)
        assert request is not None
        request_id = request.id
    async with db.transaction() as session:
        await finish_setup_import(session, request_id, (workbook, ()))
    return texts(await admin.new_replies())


async def with_new_hamlet(db: Database) -> Workbook:
    async with db.transaction() as session:
        exported = await export_workbook(session, None)
    return replace(exported, hamlets=(*exported.hamlets, HamletRow(
        "tan-thuan-tay", "ttt-tan-phu", "Ấp Tân Phú")))


async def test_the_admin_sees_the_changes_and_applies_them(db: Database) -> None:
    await demo(db)
    await staff(db, "6001", role="admin")
    admin = Chat(db, user_id="6001")
    shown = await send_workbook(db, admin, await with_new_hamlet(db))

    assert "Xã Tân Thuận Tây: thêm 1 thôn" in shown
    async with db.transaction() as session:
        request_id = (await session.execute(select(SetupImport.id))).scalar_one()
    applied = texts(await admin.press(f"setup:apply:{request_id}"))
    assert "Đã áp dụng" in applied
    async with db.transaction() as session:
        names = (await session.execute(select(Hamlet.name))).scalars().all()
        assert "Ấp Tân Phú" in names
        request = await session.get(SetupImport, request_id)
        assert request is not None and request.status == "applied"
    # The same button again changes nothing more.
    again = texts(await admin.press(f"setup:apply:{request_id}"))
    assert "đã được áp dụng hoặc đã hủy" in again


async def test_cancel_changes_nothing(db: Database) -> None:
    await demo(db)
    await staff(db, "6001", role="admin")
    admin = Chat(db, user_id="6001")
    await send_workbook(db, admin, await with_new_hamlet(db))
    async with db.transaction() as session:
        request_id = (await session.execute(select(SetupImport.id))).scalar_one()
    assert "Nothing" not in texts(await admin.press(f"setup:cancel:{request_id}"))
    async with db.transaction() as session:
        names = (await session.execute(select(Hamlet.name))).scalars().all()
        assert "Ấp Tân Phú" not in names
    assert "đã được áp dụng hoặc đã hủy" in texts(
        await admin.press(f"setup:apply:{request_id}"))


async def test_rows_of_another_commune_are_refused(db: Database) -> None:
    pytest.importorskip("handlers.setup_problems")  # the file's wording of where a problem is
    await demo(db)
    await staff(db, "6001", role="admin")
    admin = Chat(db, user_id="6001")
    workbook = await with_new_hamlet(db)
    other = Workbook(communes=(replace(workbook.communes[0], code="minh-tien"),),
                     hamlets=(HamletRow("minh-tien", "mt-1", "Thôn Nà Pàn"),))
    refused = await send_workbook(db, admin, other)
    assert "Chưa thay đổi gì từ xa.xlsx" in refused
    assert "Bạn không quản trị xã “minh-tien”" in refused


async def test_only_an_admin_may_set_up_the_commune(db: Database) -> None:
    await demo(db)
    await staff(db, "6002", role="office")
    office = Chat(db, user_id="6002")
    assert "menu:setup" not in await office.menu_actions()
    assert "Chỉ người quản trị" in texts(await office.press("menu:setup"))
    await office.press("setup:upload")
    async with db.transaction() as session:
        assert (await session.execute(select(SetupImport))).first() is None


async def test_a_province_admin_sets_up_the_communes_of_their_province_only(
    db: Database,
) -> None:
    """Who may set a commune up is `storage.permissions`' one rule: a province's admin holds
    every commune of it, and no commune of another province."""
    await demo(db)
    await make_commune(db, "Xã Tân Hiệp", ["Ấp Đông Hòa"])
    async with db.transaction() as session:  # xã Minh Tiến, tỉnh Lạng Sơn: another province
        await apply_setup(session, await plan_setup(session, MINH_TIEN), actor_id=None)
    async with db.transaction() as session:
        demo_province = (await session.execute(
            select(Province).where(Province.code != "lang-son"))).scalar_one()
        await create_province_admin(session, demo_province, "telegram", "tinh")
    admin = Chat(db, user_id="tinh")
    await admin.send("/start")
    await admin.press("consent:yes")

    await admin.press("menu:setup")
    exported = [reply.file for reply in await admin.press("setup:export") if reply.file]
    assert len(exported) == 1
    async with db.transaction() as session:
        stored = await file_by_token(session, exported[0][0])
        assert stored is not None and stored.content is not None
    workbook = read_workbook(stored.content, stored.name).workbook
    assert sorted(commune.name for commune in workbook.communes) == ["Xã Tân Hiệp",
                                                                     "Xã Tân Thuận Tây"]

    shown = await send_workbook(db, admin, replace(workbook, hamlets=(*workbook.hamlets, HamletRow(
        "tan-thuan-tay", "ttt-tan-phu", "Ấp Tân Phú"))))
    assert "Xã Tân Thuận Tây: thêm 1 thôn" in shown
    async with db.transaction() as session:
        request_id = (await session.execute(select(SetupImport.id))).scalar_one()
    assert "Đã áp dụng" in texts(await admin.press(f"setup:apply:{request_id}"))
    async with db.transaction() as session:
        assert "Ấp Tân Phú" in (await session.execute(select(Hamlet.name))).scalars().all()

    other = replace(MINH_TIEN, hamlets=(*MINH_TIEN.hamlets, HamletRow(
        "minh-tien", "minh-tien-pac-lang", "Thôn Pác Làng")))
    refused = await send_workbook(db, admin, other)
    assert "Bạn không quản trị xã “minh-tien”" in refused
    async with db.transaction() as session:
        assert "Thôn Pác Làng" not in (await session.execute(select(Hamlet.name))).scalars().all()
