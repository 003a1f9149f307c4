"""The main menu: six items at most, the rest behind "More", every item reachable."""

from __future__ import annotations

from sqlalchemy import select

from storage.db import Database
from storage.demo import seed_demo
from storage.models import Commune, RoleGrant
from tests.chat import Chat, actions

CITIZEN_ITEMS = {"menu:petition", "menu:mypetitions", "menu:meetings", "menu:dialogue",
                 "menu:help", "menu:mydata", "menu:hamlet", "menu:phone", "menu:settings",
                 "menu:language", "menu:forget"}
OFFICE_ITEMS = {"menu:inbox", "menu:broadcast", "menu:report", "menu:plan",
                "menu:officemeetings", "menu:dialogues", "menu:broadcasts", "menu:collect",
                "menu:invite"}


async def every_page(chat: Chat) -> list[list[str]]:
    pages = [actions(await chat.send("/menu"))]
    while (more := [a for a in pages[-1] if a.startswith("menu:more:")]):
        pages.append(actions(await chat.press(more[0])))
    return pages


async def test_a_citizen_sees_six_items_and_reaches_the_rest_through_more(db: Database) -> None:
    async with db.transaction() as session:
        await seed_demo(session)
    citizen = Chat(db)
    await citizen.onboard(1)
    pages = await every_page(citizen)
    assert all(len(page) <= 6 for page in pages)
    assert pages[0][:2] == ["menu:petition", "menu:mypetitions"]
    reached = [a for page in pages for a in page if a.startswith("menu:")
               and not a.startswith("menu:more:") and a != "menu:main"]
    assert set(reached) == CITIZEN_ITEMS and len(reached) == len(set(reached))
    assert pages[-1][-1] == "menu:main"


async def test_staff_see_their_work_first_and_everything_through_more(db: Database) -> None:
    async with db.transaction() as session:
        await seed_demo(session)
    admin = Chat(db, user_id="7001")
    await admin.onboard(1)
    person = await admin.person()
    async with db.transaction() as session:
        commune_id = (await session.execute(select(Commune.id))).scalars().first()
        assert person is not None and commune_id is not None
        for role in ("office", "admin"):
            session.add(RoleGrant(person_id=person.id, commune_id=commune_id, role=role))
    pages = await every_page(admin)
    assert all(len(page) <= 6 for page in pages)
    assert pages[0][0] == "menu:inbox"
    reached = {a for page in pages for a in page}
    assert reached >= OFFICE_ITEMS | CITIZEN_ITEMS


async def test_a_receipt_stays_on_screen_with_one_line_under_it(db: Database) -> None:
    async with db.transaction() as session:
        await seed_demo(session)
    citizen = Chat(db)
    await citizen.onboard(1)
    fields = [a for a in actions(await citizen.press("menu:petition")) if a.startswith("pf:")]
    await citizen.press(fields[0])
    await citizen.send("Cống ấp Tân Dân bị nghẹt")
    await citizen.press("pa:done")
    await citizen.press("pl:skip")
    await citizen.press("pn:no")
    receipt = await citizen.press("pr:send")
    assert actions(receipt) == ["menu:main"]
