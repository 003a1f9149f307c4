"""A unit's voter-contact history for the dossier and report-back tests.

Electoral unit 1 (Ấp Tân Dân) of the demo commune: a round two months ago whose meeting was held
and reported (two opinions, one since answered), a round about to begin, and the unit's
petitions since the earlier round in every status (one of them overdue at its agency), plus an
older one and another unit's, which a dossier must leave out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from storage.db import Database
from storage.demo import seed_demo
from storage.models import Agency, Delegate, ElectoralUnit, Field, Person, Petition
from storage.models.base import utcnow
from storage.people.roles import grant_role
from storage.petitions.petitions import LOCAL, PetitionDraft, submit_petition
from storage.petitions.workflow import (
    Status,
    answer_petition,
    classify_petition,
    forward_petition,
    merge_petitions,
    move_petition,
    respond_to_answer,
)
from storage.voter_contact.meetings import (
    MeetingDraft,
    add_meeting,
    create_round,
    create_session,
    report_meeting,
)
from tests.factories import citizen, staff

SHOWN_NAME = "Trần Văn Út"
HIDDEN_NAME = "Lê Thị Kín Tên"
OPINIONS = ("Đề nghị lắp đèn đường tổ 3 ấp Tân Dân.",
            "Đề nghị nạo vét kênh Tân Dân trước mùa mưa.")
OPINION_ANSWER = "Đã lắp 6 bóng đèn đường tổ 3 trong tháng này."


@dataclass(frozen=True)
class UnitHistory:
    commune_id: int
    unit_id: int
    seat_id: int
    office: Person
    delegate: Person
    earlier_meeting_id: int
    coming_round_id: int
    coming_meeting_id: int
    expected: dict[str, str]  # code -> status, of what the dossier must list
    absent: set[str]  # codes it must leave out
    overdue: str  # the overdue petition's code
    opinions: list[str]  # the earlier meeting's opinions' codes


def local(day: date, at: time = time(9, 0)) -> datetime:
    return datetime.combine(day, at, tzinfo=LOCAL)


async def unit_history(db: Database, delegate: Person) -> UnitHistory:
    """`delegate` takes unit 1's first seat; everything else is made here."""
    async with db.transaction() as session:
        commune = await seed_demo(session)
        unit = (await session.execute(select(ElectoralUnit).where(
            ElectoralUnit.commune_id == commune.id, ElectoralUnit.number == 1))).scalar_one()
        seat = (await session.execute(select(Delegate).where(
            Delegate.electoral_unit_id == unit.id).order_by(Delegate.id))).scalars().first()
        assert seat is not None
        seat.person_id = delegate.id
        await grant_role(session, delegate, commune, "delegate", actor_id=None,
                         actor_label="test")
        commune_id, unit_id, seat_id = commune.id, unit.id, seat.id
    office = await staff(db, "9001")
    shown = await citizen(db, "9101", "Ấp Tân Dân", name=SHOWN_NAME)
    hidden = await citizen(db, "9102", "Ấp Tân Dân", name=HIDDEN_NAME)
    elsewhere = await citizen(db, "9103", "Ấp Tân Hùng", name="Nguyễn Thị Ấp Khác")
    now = utcnow()
    today = now.astimezone(LOCAL).date()
    expected: dict[str, str] = {}
    absent: set[str] = set()
    async with db.transaction() as session:
        office_p = await session.get(Person, office.id)
        delegate_p = await session.get(Person, delegate.id)
        assert office_p is not None and delegate_p is not None
        people = {p.id: p for p in (await session.execute(select(Person).where(
            Person.id.in_([shown.id, hidden.id, elsewhere.id])))).scalars()}
        fields = {f.code: f.id for f in (await session.execute(
            select(Field).where(Field.commune_id == commune_id))).scalars()}
        agency = (await session.execute(select(Agency.id).where(
            Agency.name == "Phòng Kinh tế xã"))).scalar_one()

        # The earlier round: held two months ago, its meeting reported with two opinions.
        earlier_session = await create_session(
            session, office_p, commune_id, "Kỳ họp thường lệ giữa năm", today - timedelta(45),
            today - timedelta(44))
        earlier_round = await create_round(session, office_p, earlier_session, "before",
                                           today - timedelta(60), today - timedelta(50),
                                           now=now)
        earlier_meeting = await add_meeting(session, office_p, earlier_round, MeetingDraft(
            unit_id, "Nhà văn hóa ấp Tân Dân", local(today - timedelta(55), time(7, 30))),
            now=now)
        opinions = await report_meeting(session, delegate_p, earlier_meeting, voters_present=52,
                                        opinions=list(OPINIONS),
                                        now=local(today - timedelta(55), time(11)))
        # The round about to begin.
        coming_session = await create_session(
            session, office_p, commune_id, "Kỳ họp thường lệ cuối năm", today + timedelta(20),
            today + timedelta(21))
        coming_round = await create_round(session, office_p, coming_session, "before",
                                          today + timedelta(3), today + timedelta(15), now=now)
        coming_meeting = await add_meeting(session, office_p, coming_round, MeetingDraft(
            unit_id, "Nhà văn hóa ấp Tân Dân", local(today + timedelta(5), time(7, 30))),
            now=now)

        async def submit(person: Person, content: str, days_ago: int, *, field: str = "transport",
                         show_name: bool = True) -> Petition:
            result = await submit_petition(session, person, PetitionDraft(
                commune_id=commune_id, content=content, field_id=fields[field],
                hamlet_id=person.hamlet_id, show_name=show_name),
                now=local(today - timedelta(days_ago)))
            return result.petition

        async def forwarded(petition: Petition, days_ago: int) -> None:
            await classify_petition(session, petition, office_p, field_id=petition.field_id or 0,
                                    competence="commune")
            await forward_petition(session, petition, office_p, agency_id=agency,
                                   now=local(today - timedelta(days_ago)))

        a, h = people[shown.id], people[hidden.id]
        old = await submit(a, "Kiến nghị cũ từ trước đợt tiếp xúc trước.", 70)
        absent.add(old.code)
        other = await submit(people[elsewhere.id], "Kiến nghị của ấp Tân Hùng.", 5)
        absent.add(other.code)

        received = await submit(a, "Đèn đường liên ấp bị hư.", 2, field="power")
        classified = await submit(h, "Đề nghị nạo vét kênh nội đồng.", 5, show_name=False)
        await classify_petition(session, classified, office_p, field_id=fields["transport"],
                                competence="commune")
        late = await submit(a, "Cầu Kênh Ngang sụt lún, đề nghị sửa gấp.", 48)
        await forwarded(late, 45)
        on_time = await submit(h, "Đường đal tổ 5 bị lún.", 3, show_name=False)
        await forwarded(on_time, 1)
        duplicate = await submit(a, "Đường đal tổ 5 lún sâu, xin sửa.", 2)
        await merge_petitions(session, on_time, duplicate, office_p)
        answered = await submit(a, "Xin hướng dẫn cấp lại sổ đỏ.", 20, field="land")
        await forwarded(answered, 19)
        await answer_petition(session, answered, office_p, text="Nộp đơn tại bộ phận một cửa.",
                              now=local(today - timedelta(10)))
        closed = await submit(a, "Mở lớp dạy bơi cho trẻ em.", 30, field="culture")
        await classify_petition(session, closed, office_p, field_id=fields["culture"],
                                competence="commune")
        await answer_petition(session, closed, office_p, text="Đã mở 2 lớp dạy bơi.",
                              now=local(today - timedelta(25)))
        await move_petition(session, closed, Status.CLOSED, office_p,
                            now=local(today - timedelta(25)))
        reopened = await submit(a, "Tiền điện tăng gấp đôi.", 15, field="power")
        await forwarded(reopened, 14)
        await answer_petition(session, reopened, office_p, text="Công tơ ghi đúng.",
                              now=local(today - timedelta(12)))
        await respond_to_answer(session, reopened, a, settles=False,
                                reason="Xin kiểm tra tại chỗ.", now=local(today - timedelta(11)))
        rejected = await submit(h, "Hộ bên cạnh lấn ranh đất.", 10, field="land",
                                show_name=False)
        await move_petition(session, rejected, Status.REJECTED, office_p,
                            now=local(today - timedelta(9)), reason="Hòa giải tại ấp trước.")
        first_opinion = (await session.execute(select(Petition).where(
            Petition.code == opinions[0]))).scalar_one()
        await answer_petition(session, first_opinion, office_p, text=OPINION_ANSWER,
                              now=local(today - timedelta(20)))
        for petition in (received, classified, late, on_time, duplicate, answered, closed,
                         reopened, rejected):
            expected[petition.code] = petition.status
        for code in opinions:
            expected[code] = (await session.execute(select(Petition.status).where(
                Petition.code == code))).scalar_one()
        history = UnitHistory(
            commune_id=commune_id, unit_id=unit_id, seat_id=seat_id, office=office,
            delegate=delegate, earlier_meeting_id=earlier_meeting.id,
            coming_round_id=coming_round.id, coming_meeting_id=coming_meeting.id,
            expected=expected, absent=absent, overdue=late.code, opinions=opinions)
    return history
