"""Demo data built from the seed plans: a commune a newcomer can explore at once.

Tân Thuận Tây's hamlets and dialogue quotas come from seed 003; the fields are the ones used
in real consolidated reports (domain.md §2); every person's name is invented.

`seed_demo` sets up the commune alone (the tests' commune too); `load_demo` adds a commune's
life on top of it, made through the same storage operations the chat and the office use, so
the demo holds what the real product would: a voter-contact round with meetings in the coming
working days and their reminders planned, an open poverty-policy dialogue with seed 003's hamlet
quotas and some households registered, and citizens' petitions in every status.

Nothing the demo queues can reach a real person. Delegates and the agency officer have no
chat account, so their reminders and notices find nobody to go to. The invented citizens and
the office clerk must have an account, because consent is recorded for an account as
onboarding records it: theirs are accounts of the local chat page (`demo-...`), whose
messages go only to the page's in-memory mailbox; where the page is off (a platform token is
set), the dispatcher has no sender for them and marks them dead unsent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.conversations import ensure_identity
from storage.dialogues.dialogues import (
    DialogueDraft,
    RegistrationForm,
    consent_to_category,
    create_dialogue,
    register_household,
)
from storage.models import (
    Agency,
    ChannelIdentity,
    Commune,
    Delegate,
    ElectoralUnit,
    Field,
    Hamlet,
    Person,
    Petition,
    Province,
)
from storage.models.base import utcnow
from storage.people.people import give_consent, set_full_name, set_hamlet
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
)
from storage.working_days import add_working_days, is_working_day

PROVINCE = ("dong-thap", "Tỉnh Đồng Tháp")
COMMUNE = ("tan-thuan-tay", "Xã Tân Thuận Tây")
# The law has the commune chairman receive citizens at least one day a month, and the
# reception office every working week; the days here are invented.
RECEPTION = (
    "Thứ Năm hằng tuần, 7:30–11:00, Phòng tiếp công dân, Trụ sở UBND xã. "
    "Chủ tịch UBND xã tiếp công dân định kỳ ngày 15 hằng tháng."
)
# Invented, but shaped like the real thing (Đồng Tháp's area code is 0277).
OFFICE_PHONE = "0277 3851 246"
ADDRESS = "Trụ sở UBND xã Tân Thuận Tây, ấp Tân Dân, xã Tân Thuận Tây, tỉnh Đồng Tháp"
OPENING_HOURS = "Thứ Hai – Thứ Sáu: 7:00–11:30 và 13:30–17:00"
HAMLETS = [  # (code, name, electoral unit number)
    ("ttt-tan-dan", "Ấp Tân Dân", 1),
    ("ttt-tan-hung", "Ấp Tân Hùng", 2),
    ("ttt-tan-chu", "Ấp Tân Chủ", 3),
    ("ttt-tan-hau", "Ấp Tân Hậu", 4),
]
# Households per hamlet, as the commune counts them (the panel's reach is measured by them).
HOUSEHOLDS = {"ttt-tan-dan": 412, "ttt-tan-hung": 356, "ttt-tan-chu": 298, "ttt-tan-hau": 505}
FIELDS = [
    ("land", "Đất đai, tài nguyên, môi trường"),
    ("transport", "Giao thông, xây dựng, thủy lợi"),
    ("agriculture", "Nông nghiệp, lâm nghiệp"),
    ("social", "Chính sách, an sinh xã hội"),
    ("culture", "Văn hóa, xã hội, giáo dục, y tế"),
    ("power", "Điện, viễn thông"),
    ("security", "An ninh, trật tự"),
    ("admin", "Thủ tục hành chính"),
    ("other", "Lĩnh vực khác"),
]
AGENCIES = [
    ("Văn phòng HĐND và UBND xã", "commune"),
    ("Phòng Kinh tế xã", "commune"),
    ("Phòng Văn hóa - Xã hội xã", "commune"),
    ("Công an xã", "commune"),
    ("Sở Nông nghiệp và Môi trường tỉnh", "province"),
    ("Điện lực khu vực", "utility"),
]
DELEGATES = [  # (name, electoral unit number)
    ("Nguyễn Văn Hùng", 1),
    ("Trần Thị Lan", 1),
    ("Lê Văn Bình", 2),
    ("Phạm Thị Hoa", 2),
    ("Võ Minh Tâm", 3),
    ("Huỳnh Thị Mai", 3),
    ("Đặng Văn Phúc", 4),
    ("Bùi Thị Thu", 4),
]

# -- the commune's life ---------------------------------------------------------------------

# Local chat accounts (see the module's docstring): the page's API takes them as user ids, so
# `http://127.0.0.1:8080/?user=demo-citizen-1` reads the demo as that citizen.
DEMO_CHANNEL = "local"
CLERK = ("demo-office-1", "Đỗ Thị Ngọc Hân")
AGENCY_OFFICER = ("Lê Quốc Khánh", "Phòng Kinh tế xã")
CITIZENS = [  # (account, name, hamlet)
    ("demo-citizen-1", "Trần Văn Út", "Ấp Tân Dân"),
    ("demo-citizen-2", "Nguyễn Thị Bé Tư", "Ấp Tân Hùng"),
    ("demo-citizen-3", "Lê Văn Tám", "Ấp Tân Chủ"),
    ("demo-citizen-4", "Phạm Thị Hồng", "Ấp Tân Chủ"),
    ("demo-citizen-5", "Võ Thị Mỹ", "Ấp Tân Hậu"),
    ("demo-citizen-6", "Huỳnh Văn Sáu", "Ấp Tân Hậu"),
]
# Meetings: (electoral unit, working days from today, local start). Two days ahead at least,
# so that the delegates' day-before reminders are still to come.
MEETINGS = [(1, 2, time(7, 30)), (2, 3, time(14, 0)), (3, 4, time(7, 30)), (4, 6, time(14, 0))]
MEETING_AGENDA = (
    "Thông báo kết quả kỳ họp trước và dự kiến nội dung kỳ họp; "
    "tiếp nhận ý kiến, kiến nghị của cử tri."
)
# Seed 003: 50 households, 10 from each hamlet and 20 from Tân Hậu; 15:30 at the commune's
# community learning centre.
QUOTAS = {"Ấp Tân Dân": 10, "Ấp Tân Hùng": 10, "Ấp Tân Chủ": 10, "Ấp Tân Hậu": 20}
DIALOGUE_PLACE = "Trung tâm Văn hóa - Học tập cộng đồng xã Tân Thuận Tây"
DIALOGUE_HOUR = time(15, 30)
DIALOGUE_ORGANISER = "UBND xã Tân Thuận Tây"
REGISTRATIONS = [  # (account, category, topics, questions)
    ("demo-citizen-1", "poor", ("poor_list_review", "job_loans"),
     "Hộ tôi đủ điều kiện vay vốn giải quyết việc làm không, thủ tục ra sao?"),
    ("demo-citizen-2", "near_poor", ("benefits",), ""),
    ("demo-citizen-5", "newly_non_poor", ("vocational_training", "labour_export"),
     "Con tôi muốn đi lao động ở Hàn Quốc, có được hỗ trợ học tiếng không?"),
    ("demo-citizen-6", "poor", ("benefits", "poor_list_review"), ""),
]


@dataclass(frozen=True)
class LoadedDemo:
    commune: Commune
    # False when the commune's life was there already: nothing was added.
    life_added: bool


async def has_any_commune(db: AsyncSession) -> bool:
    return (await db.execute(select(func.count()).select_from(Commune))).scalar_one() > 0


async def load_demo(db: AsyncSession, *, now: datetime | None = None) -> LoadedDemo:
    """The demo commune and its life, dated from `now`; running it twice changes nothing."""
    commune = await seed_demo(db)
    clerk = (await db.execute(
        select(ChannelIdentity).where(ChannelIdentity.channel == DEMO_CHANNEL,
                                      ChannelIdentity.external_id == CLERK[0]))
    ).scalar_one_or_none()
    # The life is added in one transaction with the clerk's account: the account is its mark.
    if clerk is not None:
        return LoadedDemo(commune, life_added=False)
    await seed_demo_life(db, commune, now=now or utcnow())
    return LoadedDemo(commune, life_added=True)


async def seed_demo(db: AsyncSession) -> Commune:
    """Load the demo commune's places, fields, agencies and delegates; twice changes nothing."""
    existing = (
        await db.execute(select(Commune).where(Commune.code == COMMUNE[0]))
    ).scalar_one_or_none()
    if existing is not None:
        _office_contact(existing)  # a demo loaded before communes had one gets it
        return existing
    province = Province(code=PROVINCE[0], name=PROVINCE[1])
    db.add(province)
    await db.flush()
    commune = Commune(province_id=province.id, code=COMMUNE[0], name=COMMUNE[1], kind="xa",
                      reception_schedule=RECEPTION)
    _office_contact(commune)
    db.add(commune)
    await db.flush()
    units = {}
    for number in sorted({unit for _, _, unit in HAMLETS}):
        unit = ElectoralUnit(
            commune_id=commune.id, number=number, name=f"Đơn vị bầu cử số {number}"
        )
        db.add(unit)
        units[number] = unit
    await db.flush()
    for position, (code, name, unit_number) in enumerate(HAMLETS):
        db.add(
            Hamlet(
                commune_id=commune.id,
                code=code,
                name=name,
                electoral_unit_id=units[unit_number].id,
                position=position,
                households=HOUSEHOLDS.get(code),
            )
        )
    for position, (code, name) in enumerate(FIELDS):
        db.add(Field(commune_id=commune.id, code=code, name=name, position=position))
    for name, competence in AGENCIES:
        db.add(Agency(commune_id=commune.id, name=name, competence=competence))
    for name, unit_number in DELEGATES:
        person = Person(full_name=name)
        db.add(person)
        await db.flush()
        db.add(
            Delegate(
                person_id=person.id,
                commune_id=commune.id,
                electoral_unit_id=units[unit_number].id,
                title="Đại biểu HĐND xã",
            )
        )
        await grant_role(db, person, commune, "delegate", actor_id=None, actor_label="demo")
    await db.flush()
    return commune


def _office_contact(commune: Commune) -> None:
    if commune.office_phone is None and commune.address is None and commune.opening_hours is None:
        commune.office_phone = OFFICE_PHONE
        commune.address = ADDRESS
        commune.opening_hours = OPENING_HOURS


async def seed_demo_life(db: AsyncSession, commune: Commune, *, now: datetime) -> None:
    """The office clerk, the citizens, the voter-contact round, the dialogue and petitions."""
    hamlets = {h.name: h for h in (await db.execute(
        select(Hamlet).where(Hamlet.commune_id == commune.id))).scalars()}
    clerk = await _chat_user(db, CLERK[0], CLERK[1], hamlets["Ấp Tân Dân"])
    await grant_role(db, clerk, commune, "office", actor_id=None, actor_label="demo")
    citizens = {
        account: await _chat_user(db, account, name, hamlets[hamlet])
        for account, name, hamlet in CITIZENS
    }
    await _voter_contact(db, commune, clerk, now)
    await _dialogue(db, commune, clerk, citizens, hamlets, now)
    await _petitions(db, commune, clerk, citizens, now)


async def _chat_user(db: AsyncSession, account: str, name: str, hamlet: Hamlet) -> Person:
    """Someone who onboarded on the local chat page: consent first, then hamlet and name."""
    identity = await ensure_identity(db, DEMO_CHANNEL, account)
    person = await give_consent(db, identity)
    await set_hamlet(db, person, hamlet)
    await set_full_name(db, person, name)
    return person


def _local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=LOCAL)


def _working_day_from(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


async def _voter_contact(db: AsyncSession, commune: Commune, clerk: Person,
                         now: datetime) -> None:
    """The round before the next session: one meeting per electoral unit in the coming days,
    each in its hamlet's cultural house with the unit's delegates (reminders planned)."""
    today = now.astimezone(LOCAL).date()
    days = {unit: add_working_days(today, ahead) for unit, ahead, _ in MEETINGS}
    window_end = max(days.values()) + timedelta(days=3)
    opens_on = _working_day_from(window_end + timedelta(days=7))
    session = await create_session(
        db, clerk, commune.id, f"Kỳ họp thường lệ tháng {opens_on:%m/%Y}", opens_on,
        opens_on + timedelta(days=1), term="2021-2026")
    contact_round = await create_round(
        db, clerk, session, "before", today, window_end,
        front_report_by=window_end + timedelta(days=2), now=now)
    units = {u.number: u for u in (await db.execute(
        select(ElectoralUnit).where(ElectoralUnit.commune_id == commune.id))).scalars()}
    places = {h.electoral_unit_id: h.name for h in (await db.execute(
        select(Hamlet).where(Hamlet.commune_id == commune.id))).scalars()}
    for number, _, at in MEETINGS:
        unit = units[number]
        hamlet = places[unit.id].removeprefix("Ấp ")
        await add_meeting(db, clerk, contact_round, MeetingDraft(
            electoral_unit_id=unit.id, place=f"Nhà văn hóa ấp {hamlet}",
            starts_at=_local(days[number], at), agenda=MEETING_AGENDA, expected_voters=80,
        ), now=now)


async def _dialogue(db: AsyncSession, commune: Commune, clerk: Person,
                    citizens: dict[str, Person], hamlets: dict[str, Hamlet],
                    now: datetime) -> None:
    """Seed 003's dialogue, ten days or so ahead, registration open for a few days more."""
    today = now.astimezone(LOCAL).date()
    day = _working_day_from(today + timedelta(days=10))
    dialogue = await create_dialogue(db, clerk, DialogueDraft(
        commune_id=commune.id,
        title=f"Đối thoại với công dân về chính sách giảm nghèo, lao động, việc làm năm "
              f"{day.year}",
        starts_at=_local(day, DIALOGUE_HOUR), place=DIALOGUE_PLACE,
        quotas={hamlets[name].id: seats for name, seats in QUOTAS.items()},
        organiser=DIALOGUE_ORGANISER,
        registration_until=_local(day - timedelta(days=4), time(17, 0)),
    ), now=now)
    for account, category, topics, questions in REGISTRATIONS:
        person = citizens[account]
        await consent_to_category(db, person, DEMO_CHANNEL)
        assert person.hamlet_id is not None and person.full_name is not None
        await register_household(db, dialogue, person, RegistrationForm(
            hamlet_id=person.hamlet_id, representative=person.full_name, category=category,
            topics=topics, questions=questions), now=now)


async def _petitions(db: AsyncSession, commune: Commune, clerk: Person,
                     citizens: dict[str, Person], now: datetime) -> None:
    """One petition in each status, moved there the way the office, the agency and the
    petitioners move them."""
    fields = {f.code: f.id for f in (await db.execute(
        select(Field).where(Field.commune_id == commune.id))).scalars()}
    agencies = {a.name: a.id for a in (await db.execute(
        select(Agency).where(Agency.commune_id == commune.id))).scalars()}
    officer = Person(full_name=AGENCY_OFFICER[0])
    db.add(officer)
    await db.flush()
    await grant_role(db, officer, commune, "agency", actor_id=None, actor_label="demo",
                     agency_id=agencies[AGENCY_OFFICER[1]])

    async def submit(account: str, field: str | None, content: str, days_ago: int,
                     *, show_name: bool = True, address: str | None = None) -> Petition:
        person = citizens[account]
        submitted = await submit_petition(db, person, PetitionDraft(
            commune_id=commune.id, content=content,
            field_id=fields[field] if field else None, hamlet_id=person.hamlet_id,
            show_name=show_name, address=address), now=now - timedelta(days=days_ago))
        return submitted.petition

    async def forwarded(petition: Petition, field: str, agency: str) -> None:
        await classify_petition(db, petition, clerk, field_id=fields[field],
                                competence="commune")
        await forward_petition(db, petition, clerk, agency_id=agencies[agency], now=now)

    # Submitted in the order their codes say, each so many days ago.
    closed = await submit(
        "demo-citizen-3", "culture",
        "Đề nghị xã mở lớp dạy bơi miễn phí cho trẻ em trong dịp hè.", 30)
    settled = await submit(
        "demo-citizen-1", "agriculture",
        "Đề nghị xã hỗ trợ giống lúa chịu mặn cho các hộ ở ấp Tân Dân trước vụ Đông Xuân.", 24)
    answered = await submit(
        "demo-citizen-5", "land",
        "Tôi bị mất giấy chứng nhận quyền sử dụng đất, xin hướng dẫn thủ tục cấp lại.", 18)
    reopened = await submit(
        "demo-citizen-2", "power",
        "Tiền điện tháng này nhà tôi tăng gấp đôi dù sử dụng như mọi tháng, đề nghị kiểm tra "
        "lại công tơ.", 15)
    rejected = await submit(
        "demo-citizen-6", "land",
        "Hộ bên cạnh lấn ranh đất nhà tôi khoảng nửa mét, đề nghị xã buộc họ trả lại.", 9,
        show_name=False)
    road = await submit(
        "demo-citizen-3", "transport",
        "Đoạn đường đal gần cầu Kênh Ngang ở ấp Tân Chủ bị sụt lún, xe máy đi lại rất nguy "
        "hiểm, đề nghị sửa chữa sớm.", 6, address="Đường đal ấp Tân Chủ, gần cầu Kênh Ngang")
    duplicate = await submit(
        "demo-citizen-4", "transport",
        "Đường đal gần cầu kênh Ngang bị lún sâu, trời mưa đọng nước, xin xã sửa giùm.", 4,
        show_name=False)
    classified = await submit(
        "demo-citizen-2", "transport",
        "Đề nghị nạo vét kênh nội đồng ấp Tân Hùng trước mùa nước nổi.", 2)
    # Received: the office has not looked at it yet.
    await submit(
        "demo-citizen-1", "power",
        "Ba bóng đèn đường trên tuyến liên ấp Tân Dân – Tân Hùng bị hư, buổi tối đi lại rất "
        "tối.", 1)

    # Closed by the office, after an answer given straight from the office.
    await classify_petition(db, closed, clerk, field_id=fields["culture"], competence="commune")
    await answer_petition(db, closed, clerk, text=(
        "UBND xã phối hợp Đoàn Thanh niên mở 2 lớp dạy bơi miễn phí tại ấp Tân Chủ và ấp Tân "
        "Hậu vào dịp hè tới; đăng ký tại Ban nhân dân ấp."), now=now)
    await move_petition(db, closed, Status.CLOSED, clerk, now=now)

    # Closed as settled: answered by the agency, and the petitioner said it settles it.
    await forwarded(settled, "agriculture", "Phòng Kinh tế xã")
    await answer_petition(db, settled, officer, text=(
        "Phòng Kinh tế xã đã lập danh sách hỗ trợ giống vụ Đông Xuân; hộ ông đăng ký với Ban "
        "nhân dân ấp Tân Dân trước ngày 15 của tháng tới."), now=now)
    await respond_to_answer(db, settled, citizens["demo-citizen-1"], settles=True, now=now)

    # Answered, waiting for the petitioner's word.
    await forwarded(answered, "land", "Phòng Kinh tế xã")
    await answer_petition(db, answered, officer, text=(
        "Bà nộp đơn đề nghị cấp lại kèm giấy xác nhận đã đăng tin mất giấy tại bộ phận một cửa "
        "của xã; thời hạn giải quyết 10 ngày làm việc."), now=now)

    # Reopened: the answer did not settle it, and the petitioner said why.
    await forwarded(reopened, "power", "Điện lực khu vực")
    # The utility has no officer here: the office relays its answer, as staff may.
    await answer_petition(db, reopened, clerk, text=(
        "Điện lực khu vực cho biết chỉ số công tơ được ghi đúng; đề nghị gia đình kiểm tra "
        "các thiết bị điện trong nhà."), now=now)
    await respond_to_answer(db, reopened, citizens["demo-citizen-2"], settles=False, reason=(
        "Nhà tôi không mua thêm thiết bị nào, xin cử người xuống kiểm tra công tơ tại chỗ."),
        now=now)

    # Rejected, with the reason the petitioner reads.
    await move_petition(db, rejected, Status.REJECTED, clerk, now=now, reason=(
        "Tranh chấp ranh đất giữa hai hộ được hòa giải tại Tổ hòa giải ấp trước; nếu hòa giải "
        "không thành, ông gửi đơn đến UBND xã theo thủ tục giải quyết tranh chấp đất đai."))

    # Forwarded with a deadline, and a neighbour's duplicate merged into it.
    await forwarded(road, "transport", "Phòng Kinh tế xã")
    await merge_petitions(db, road, duplicate, clerk)

    # Classified, waiting to be forwarded.
    await classify_petition(db, classified, clerk, field_id=fields["transport"],
                            competence="commune")
