"""A citizen's own petitions in a merged group: their own say, and nobody else's identity."""

from __future__ import annotations

from sqlalchemy import select

from handlers.values import Kind
from storage.db import Database
from storage.models import AuditEntry, Petition
from storage.petitions.workflow import answer_petition, merge_petitions
from tests.chat import Chat, actions, texts
from tests.handlers.petitions.test_submit import (
    VOTER,
    field_action,
    petition_id,
    send_petition,
    setup,
)

PHONE = "0912345678"
ADDRESS = "Số 12, tổ 3, ấp Tân Dân"


async def hidden_petitioner(db: Database, office: Chat) -> tuple[Chat, int]:
    """A second citizen with a name and a phone petitions with a location, name hidden."""
    hidden = Chat(db, user_id="9200", runner=office.runner)
    await hidden.reach_name_step(1)
    await hidden.send("Trần Thị Mười")
    await hidden.share_contact(PHONE)
    await hidden.press("menu:petition")
    await hidden.press(await field_action(db, "transport"))
    await hidden.send("Đường làng ấp Tân Dân bị hỏng nặng, xe không đi được")
    await hidden.press("pa:done")
    await hidden.deliver(kind=Kind.LOCATION, latitude=10.123456, longitude=105.654321)
    await hidden.press("pn:no")
    receipt = texts(await hidden.press("pr:send"))
    code = receipt.split("KN-", 1)[1][:10].join(["KN-", ""])
    pid = await petition_id(db, code)
    async with db.transaction() as session:
        petition = await session.get(Petition, pid)
        assert petition is not None
        petition.address = ADDRESS  # typed on another petition screen; shown the same way
    return hidden, pid


async def test_a_co_petitioner_never_sees_the_hidden_petitioner_nor_decides_for_the_group(
    db: Database,
) -> None:
    office, _officer, citizen = await setup(db)
    hidden, kept_id = await hidden_petitioner(db, office)
    code = await send_petition(db, citizen, "Đường làng hỏng nặng", photos=0, hide=False)
    dup_id = await petition_id(db, code)
    office_person = await office.person()
    assert office_person is not None
    async with db.transaction() as session:
        kept, dup = [await session.get(Petition, i) for i in (kept_id, dup_id)]
        assert kept is not None and dup is not None
        await merge_petitions(session, kept, dup, office_person)
        await answer_petition(session, kept, office_person, text="Xã sẽ sửa trong tháng 12.")
    answer = await citizen.new_replies()
    assert f"pt:ok:{kept_id}" in actions(answer)

    # Opening the kept petition shows none of the hidden petitioner's identity.
    seen = []
    for press in (f"ip:{kept_id}", f"ap:{kept_id}", f"mp:{kept_id}"):
        seen += await citizen.press(press)
    for secret in ("Trần Thị Mười", PHONE, PHONE[-4:], ADDRESS, "10.12", "105.65"):
        assert secret not in texts(seen)
    assert not any(a.startswith("io:") for a in actions(seen))

    # The co-petitioner settles for themselves: the group stays answered for the others.
    await citizen.press(f"pt:ok:{kept_id}")
    await citizen.press(f"io:close:{kept_id}")
    async with db.transaction() as session:
        kept = await session.get(Petition, kept_id)
        assert kept is not None and kept.status == "answered"
        settled = (await session.execute(select(AuditEntry).where(
            AuditEntry.action == "petition.settled_own"))).scalar_one()
    citizen_person = await citizen.person()
    assert citizen_person is not None and settled.actor_id == citizen_person.id
    assert f"pt:ok:{kept_id}" not in actions(await citizen.press(f"mp:{kept_id}"))

    # ... or reopens for themselves: the office hears the reason; the group's status stays.
    await office.new_replies()
    await citizen.press(f"pt:reopen:{kept_id}")
    await citizen.send("Đoạn đường trước nhà tôi vẫn chưa sửa")
    async with db.transaction() as session:
        kept = await session.get(Petition, kept_id)
        assert kept is not None and kept.status == "answered"
    notice = await office.new_replies()
    assert "Đoạn đường trước nhà tôi" in texts(notice) and f"ip:{kept_id}" in actions(notice)

    # The original petitioner, whose petition was kept, also answers only for themselves.
    await hidden.press(f"pt:ok:{kept_id}")
    async with db.transaction() as session:
        kept = await session.get(Petition, kept_id)
        assert kept is not None and kept.status == "answered"
    # Their reopen reason is theirs: the co-petitioner's history does not show it.
    await hidden.press(f"pt:reopen:{kept_id}")
    await hidden.send("Tôi ở số 12 tổ 3, nhà tôi vẫn ngập")
    assert "số 12 tổ 3" not in texts(await citizen.press(f"mp:{kept_id}"))
    assert VOTER not in texts(await hidden.press(f"mp:{kept_id}"))

    # Only the office closes the group.
    await office.press(f"io:close:{kept_id}")
    async with db.transaction() as session:
        kept = await session.get(Petition, kept_id)
        assert kept is not None and kept.status == "closed"
