"""Applying a commune workbook: what it creates, what it updates, and what it keeps."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import func, select

from storage.db import Database
from storage.demo import seed_demo
from storage.models import (
    Agency,
    AgencyField,
    AuditEntry,
    Commune,
    Delegate,
    DialogueOption,
    ElectoralUnit,
    Field,
    Hamlet,
    Person,
    Province,
    RoleGrant,
)
from storage.places import find_commune_by_code, list_delegate_seats, list_hamlets
from storage.setup.workbook import (
    AgencyRow,
    CommuneRow,
    DialogueOptionRow,
    FieldRow,
    HamletRow,
    SeatRow,
    UnitRow,
    Workbook,
)
from storage.setup.workbook_apply import (
    SetupPlan,
    apply_setup,
    export_workbook,
    plan_setup,
)


def commune_workbook(code: str = "minh-tien", name: str = "Xã Minh Tiến",
                     prefix: str = "mt") -> Workbook:
    """A commune of Lạng Sơn with four hamlets in two units, four seats, three fields."""
    hamlets = ("Thôn Nà Pàn", "Thôn Khòn Khẩu", "Thôn Bản Chặng", "Thôn Nà Lừa")
    return Workbook(
        communes=(CommuneRow(
            province_code="lang-son", province_name="Tỉnh Lạng Sơn", code=code, name=name,
            kind="xa", district="Huyện Hữu Lũng", office_phone="02053825111",
            address="Thôn Nà Pàn", opening_hours="Sáng 7:30–11:30, chiều 13:30–17:00",
            reception_schedule="Thứ Năm hằng tuần", answer_days=15),),
        hamlets=tuple(HamletRow(code, f"{prefix}-{i + 1}", hamlet)
                      for i, hamlet in enumerate(hamlets)),
        units=(UnitRow(code, 1, "Đơn vị bầu cử số 1", (f"{prefix}-1", f"{prefix}-2")),
               UnitRow(code, 2, "Đơn vị bầu cử số 2", (f"{prefix}-3", f"{prefix}-4"))),
        seats=(SeatRow(code, "Hoàng Văn Tùng", 1, "0912345001", "Đại biểu HĐND xã"),
               SeatRow(code, "Lương Thị Hằng", 1, None, "Đại biểu HĐND xã"),
               SeatRow(code, "Vi Văn Thắng", 2, "0912345003", "Đại biểu HĐND xã"),
               SeatRow(code, "Nông Thị Dung", 2, None, "Đại biểu HĐND xã")),
        fields=(FieldRow(code, "land", "Đất đai, tài nguyên, môi trường", 30),
                FieldRow(code, "transport", "Giao thông, xây dựng, thủy lợi", None),
                FieldRow(code, "other", "Lĩnh vực khác", None)),
        agencies=(AgencyRow(code, "Văn phòng HĐND và UBND xã", "commune", ("other",)),
                  AgencyRow(code, "Phòng Kinh tế xã", "commune", ("land", "transport"))),
        options=(DialogueOptionRow(code, "category", "poor", "Hộ nghèo"),
                 DialogueOptionRow(code, "category", "near_poor", "Hộ cận nghèo"),
                 DialogueOptionRow(code, "topic", "forest", "Trồng rừng, giao khoán rừng")),
    )


async def plan_and_apply(db: Database, workbook: Workbook) -> SetupPlan:
    async with db.transaction() as session:
        plan = await plan_setup(session, workbook)
        assert plan.ok, plan.problems
        await apply_setup(session, plan, actor_id=None, actor_label="operator")
    return plan


async def count(db: Database, model: type) -> int:
    async with db.transaction() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_a_workbook_applied_to_an_empty_database_creates_everything(db: Database) -> None:
    plan = await plan_and_apply(db, commune_workbook())

    assert [commune.code for commune in plan.communes] == ["minh-tien"]
    assert plan.communes[0].new
    assert plan.communes[0].count("added") == {
        "commune": 1, "unit": 2, "hamlet": 4, "seat": 4, "field": 3, "agency": 2, "option": 3}
    async with db.transaction() as session:
        commune = await find_commune_by_code(session, "minh-tien")
        assert commune is not None
        province = await session.get(Province, commune.province_id)
        assert province is not None and province.name == "Tỉnh Lạng Sơn"
        assert (commune.office_phone, commune.district) == ("02053825111", "Huyện Hữu Lũng")
        hamlets = await list_hamlets(session, commune.id)
        assert [h.name for h in hamlets] == ["Thôn Nà Pàn", "Thôn Khòn Khẩu", "Thôn Bản Chặng",
                                             "Thôn Nà Lừa"]
        units = {u.id: u.number for u in (await session.execute(
            select(ElectoralUnit))).scalars()}
        assert [units[h.electoral_unit_id or 0] for h in hamlets] == [1, 1, 2, 2]
        seats = await list_delegate_seats(session, commune.id)
        assert [name for _, name in seats] == ["Hoàng Văn Tùng", "Lương Thị Hằng",
                                               "Vi Văn Thắng", "Nông Thị Dung"]
        first = await session.get(Delegate, seats[0][0])
        assert first is not None and units[first.electoral_unit_id or 0] == 1
        holder = await session.get(Person, first.person_id)
        assert holder is not None and holder.phone == "0912345001"
        grants = (await session.execute(select(RoleGrant.role))).scalars().all()
        assert grants == ["delegate"] * 4
        economy = (await session.execute(
            select(Agency).where(Agency.name == "Phòng Kinh tế xã"))).scalar_one()
        linked = (await session.execute(
            select(Field.code).join(AgencyField, AgencyField.field_id == Field.id)
            .where(AgencyField.agency_id == economy.id).order_by(Field.code))).scalars().all()
        assert linked == ["land", "transport"]
        land = (await session.execute(select(Field).where(Field.code == "land"))).scalar_one()
        assert land.answer_days == 30
        audit = (await session.execute(select(AuditEntry))).scalars().all()
        assert [(a.action, a.subject_id) for a in audit] == [("commune.setup", commune.id)]
        assert audit[0].after is not None and audit[0].after["added"]["hamlet"] == 4
    assert await count(db, DialogueOption) == 3


async def test_the_same_workbook_again_plans_no_change(db: Database) -> None:
    await plan_and_apply(db, commune_workbook())
    async with db.transaction() as session:
        plan = await plan_setup(session, commune_workbook())
        assert plan.ok and not plan.changed
        await apply_setup(session, plan, actor_id=None)
    assert await count(db, Hamlet) == 4
    assert await count(db, Delegate) == 4
    assert await count(db, AuditEntry) == 1  # nothing changed, nothing recorded


async def test_the_database_exported_plans_no_change(db: Database) -> None:
    async with db.transaction() as session:
        await seed_demo(session)
    await plan_and_apply(db, commune_workbook())
    async with db.transaction() as session:
        exported = await export_workbook(session, None)
        assert [c.code for c in exported.communes] == ["minh-tien", "tan-thuan-tay"]
        plan = await plan_setup(session, exported)
    assert plan.ok and not plan.changed
    async with db.transaction() as session:
        only = await export_workbook(session, ["minh-tien"])
    mine = commune_workbook()
    assert only.hamlets == mine.hamlets and only.units == mine.units
    assert only.seats == mine.seats and only.agencies == mine.agencies
    assert only == replace(mine, options=tuple(sorted(mine.options, key=lambda o: o.kind)))


async def test_a_renamed_hamlet_is_updated_not_replaced(db: Database) -> None:
    await plan_and_apply(db, commune_workbook())
    async with db.transaction() as session:
        before = (await session.execute(select(Hamlet).where(Hamlet.code == "mt-2"))).scalar_one()
        before_id = before.id
    workbook = commune_workbook()
    renamed = replace(workbook, hamlets=tuple(
        replace(h, name="Thôn Khòn Khẩu Mới") if h.code == "mt-2" else h
        for h in workbook.hamlets))
    plan = await plan_and_apply(db, renamed)

    (commune,) = plan.communes
    assert commune.added == () and commune.removed == ()
    assert [(c.kind, c.key, c.attributes) for c in commune.updated] == [
        ("hamlet", "mt-2", (("name", "Thôn Khòn Khẩu", "Thôn Khòn Khẩu Mới"),))]
    async with db.transaction() as session:
        after = (await session.execute(select(Hamlet).where(Hamlet.code == "mt-2"))).scalar_one()
        assert (after.id, after.name) == (before_id, "Thôn Khòn Khẩu Mới")


async def test_a_removed_hamlet_where_people_live_is_kept_and_reported(db: Database) -> None:
    await plan_and_apply(db, commune_workbook())
    async with db.transaction() as session:
        hamlet = (await session.execute(select(Hamlet).where(Hamlet.code == "mt-4"))).scalar_one()
        session.add_all(Person(full_name=f"Cử tri {i}", hamlet_id=hamlet.id) for i in range(12))
    workbook = commune_workbook()
    without = replace(workbook, hamlets=workbook.hamlets[:3], units=(
        workbook.units[0], replace(workbook.units[1], hamlet_codes=("mt-3",))))
    plan = await plan_and_apply(db, without)

    (commune,) = plan.communes
    assert commune.removed == ()
    assert [(k.kind, k.key, k.label, k.uses) for k in commune.kept] == [
        ("hamlet", "mt-4", "Thôn Nà Lừa", (("people", 12),))]
    assert await count(db, Hamlet) == 4


async def test_a_removed_unused_field_goes_only_once_confirmed(db: Database) -> None:
    await plan_and_apply(db, commune_workbook())
    workbook = commune_workbook()
    without = replace(workbook, fields=workbook.fields[:2], agencies=(
        replace(workbook.agencies[0], field_codes=()), workbook.agencies[1]))
    async with db.transaction() as session:
        plan = await plan_setup(session, without)
    (commune,) = plan.communes
    assert [(c.kind, c.key) for c in commune.removed] == [("field", "other")]

    # A plan that did not list the removal (the office saw an older one) removes nothing.
    unconfirmed = replace(plan, communes=(replace(commune, removed=()),))
    async with db.transaction() as session:
        applied = await apply_setup(session, unconfirmed, actor_id=None)
    assert applied.communes[0].removed == ()
    assert await count(db, Field) == 3

    async with db.transaction() as session:
        applied = await apply_setup(session, plan, actor_id=None)
    assert [(c.kind, c.key) for c in applied.communes[0].removed] == [("field", "other")]
    assert await count(db, Field) == 2
    assert await count(db, AgencyField) == 2


async def test_a_hamlet_code_of_another_commune_is_refused(db: Database) -> None:
    async with db.transaction() as session:
        await seed_demo(session)
    workbook = commune_workbook()
    taken = replace(workbook, hamlets=(
        replace(workbook.hamlets[0], code="ttt-tan-dan"), *workbook.hamlets[1:]),
        units=(replace(workbook.units[0], hamlet_codes=("ttt-tan-dan", "mt-2")),
               workbook.units[1]))
    async with db.transaction() as session:
        plan = await plan_setup(session, taken)
    assert not plan.ok
    (problem,) = plan.problems
    assert (problem.sheet, problem.row, problem.key) == ("Thôn, ấp", 2, "hamlet_code_taken")
    assert problem.params == {"value": "ttt-tan-dan", "commune": "Xã Tân Thuận Tây"}
    assert await count(db, Commune) == 1


async def test_rows_of_a_commune_the_uploader_does_not_administer_are_refused(
    db: Database,
) -> None:
    async with db.transaction() as session:
        plan = await plan_setup(session, commune_workbook(), allowed={"tan-thuan-tay"})
    assert not plan.ok
    assert {p.key for p in plan.problems} == {"commune_not_allowed"}
    assert len(plan.problems) == 1 + 4 + 2 + 4 + 3 + 2 + 3


async def test_two_communes_in_one_workbook(db: Database) -> None:
    first = commune_workbook()
    second = commune_workbook("huu-lien", "Xã Hữu Liên", "hl")
    both = Workbook(*(a + b for a, b in zip(
        (first.communes, first.hamlets, first.units, first.seats, first.fields,
         first.agencies, first.options),
        (second.communes, second.hamlets, second.units, second.seats, second.fields,
         second.agencies, second.options), strict=True)))
    plan = await plan_and_apply(db, both)

    assert [c.code for c in plan.communes] == ["minh-tien", "huu-lien"]
    assert await count(db, Province) == 1
    assert await count(db, Hamlet) == 8
    assert await count(db, Field) == 6
    async with db.transaction() as session:
        for code in ("minh-tien", "huu-lien"):
            commune = await find_commune_by_code(session, code)
            assert commune is not None
            assert len(await list_delegate_seats(session, commune.id)) == 4
    # One commune alone later leaves the other as it is.
    async with db.transaction() as session:
        assert not (await plan_setup(session, second)).changed


async def test_a_seat_whose_delegate_joined_keeps_their_name_and_cannot_go(db: Database) -> None:
    await plan_and_apply(db, commune_workbook())
    async with db.transaction() as session:
        seat = (await session.execute(select(Delegate).order_by(Delegate.id))).scalars().first()
        assert seat is not None
        # As accept_invite does: the seat moves onto the person who joined.
        joined = Person(full_name="Hoàng Tùng", phone="0912345001")
        session.add(joined)
        await session.flush()
        from storage.conversations import ensure_identity

        identity = await ensure_identity(session, "telegram", "777")
        identity.person_id = joined.id
        seat.person_id = joined.id
    # The office's spelling still finds the seat by the phone: nothing added, nothing doubled.
    async with db.transaction() as session:
        plan = await plan_setup(session, commune_workbook())
    assert not plan.changed
    workbook = commune_workbook()
    without = replace(workbook, seats=workbook.seats[1:])
    plan = await plan_and_apply(db, without)
    (commune,) = plan.communes
    assert [(k.kind, k.uses) for k in commune.kept] == [("seat", (("account", 1),))]
    assert await count(db, Delegate) == 4


async def test_a_removed_placeholder_seat_goes_with_its_placeholder(db: Database) -> None:
    await plan_and_apply(db, commune_workbook())
    workbook = commune_workbook()
    plan = await plan_and_apply(db, replace(workbook, seats=workbook.seats[:3]))
    assert [(c.kind, c.label) for c in plan.communes[0].removed] == [("seat", "Nông Thị Dung")]
    assert await count(db, Delegate) == 3
    assert await count(db, Person) == 3
    assert await count(db, RoleGrant) == 3


async def test_a_hamlets_households_come_with_the_workbook_and_a_new_count_is_an_update(
    db: Database,
) -> None:
    workbook = commune_workbook()
    counted = replace(workbook, hamlets=tuple(
        replace(h, households=120 + n) if n < 3 else h for n, h in enumerate(workbook.hamlets)))
    await plan_and_apply(db, counted)
    async with db.transaction() as session:
        found = await session.execute(select(Hamlet.code, Hamlet.households))
        figures = {code: households for code, households in found.tuples().all()}
    assert figures == {"mt-1": 120, "mt-2": 121, "mt-3": 122, "mt-4": None}
    recounted = replace(counted, hamlets=tuple(
        replace(h, households=130) if h.code == "mt-1" else h for h in counted.hamlets))
    plan = await plan_and_apply(db, recounted)
    (commune,) = plan.communes
    assert [(c.kind, c.key, c.attributes) for c in commune.updated] == [
        ("hamlet", "mt-1", (("households", "120", "130"),))]
    async with db.transaction() as session:
        assert (await export_workbook(session, ["minh-tien"])).hamlets == recounted.hamlets
