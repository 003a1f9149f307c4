"""A year and a half of petitions in 200 communes, loaded in bulk for `bench.petitions`.

The demo commune (`storage.demo.seed_demo`) is the big one and gets a tenth of the petitions;
199 more communes, each with 4 hamlets, the demo's 9 fields and 6 agencies, share the rest,
unevenly. Residents are one pool per commune; petitions are written with one COPY.

The rows are shaped like a real year, because the inbox queries' cost depends on it: ids grow
with `created_at`; open petitions are recent and closed ones spread over the whole span; a
third of the forwarded ones are past their due date; the field decides the agency and so the
competence; texts are Vietnamese sentences built from fragments, with the folded copy that
duplicate search reads.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.demo import AGENCIES, FIELDS, seed_demo
from storage.encryption import current_keyring
from storage.folding import fold
from storage.models import Agency, Commune, Field, Hamlet, Person, Petition, Province
from storage.petitions.petitions import LOCAL
from storage.working_days import add_working_days

COMMUNES = 200
DEMO_SHARE = 0.10
SPAN_DAYS = 548  # 18 months
DEMO_RESIDENTS = 20_000
RESIDENTS = 1_000  # per other commune
ANSWER_DAYS = 15  # the commune default (`Commune.answer_days`)
# The status mix of a real year, as shares of all petitions.
STATUS_MIX = {
    "received": 0.05,
    "classified": 0.05,
    "forwarded": 0.20,
    "answered": 0.10,
    "closed": 0.55,
    "rejected": 0.02,
    "merged": 0.03,
}
OVERDUE_SHARE = 1 / 3  # of the forwarded ones
# Moves made so far, which is what `version` counts (it starts at 1).
VERSIONS = {"received": 1, "classified": 2, "forwarded": 3, "answered": 4, "closed": 5,
            "rejected": 2, "merged": 2}
SEED = 20_260_101

# -- words -----------------------------------------------------------------------------------

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Hoàng", "Võ", "Phan", "Trương", "Bùi",
          "Đặng", "Đỗ", "Ngô", "Hồ", "Dương", "Lý"]
MIDDLE = ["Văn", "Thị", "Minh", "Hữu", "Thanh", "Ngọc", "Quốc", "Thị Kim", "Văn", "Thị"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Lan", "Long",
         "Mai", "Nam", "Phúc", "Sáu", "Tâm", "Thu", "Tuấn", "Út", "Vân", "Yến", "Bảy", "Đức"]
COMMUNE_FIRST = ["Tân", "Mỹ", "An", "Bình", "Long", "Phú", "Hòa", "Thạnh", "Hưng", "Vĩnh"]
COMMUNE_SECOND = ["Hội", "Thuận", "Phước", "Lợi", "Đông", "Tây", "Khánh", "Thới", "Điền",
                  "Quới", "Xuân", "Hiệp", "Nhơn", "Trung", "Hòa", "Thành", "Mỹ", "Long",
                  "Phú", "An"]
OTHER_PROVINCE = ("vinh-long", "Tỉnh Vĩnh Long")
PLACES = ["nhà văn hóa ấp", "chợ xã", "trường tiểu học", "trạm y tế", "cầu Kênh Mới",
          "ngã ba Cây Dương", "bến đò", "chùa Phước Hưng", "đầu kênh Hai Ngàn", "cuối xóm",
          "trụ sở ấp", "cống Bà Bảy", "cầu Ông Mười", "nhà ông Tư Lợi", "khu dân cư vượt lũ"]
OPENINGS = ["", "", "", "Cử tri phản ánh: ", "Kính gửi UBND xã. ", "Bà con trong xóm cho biết ",
            "Tôi xin phản ánh việc ", "Nhiều hộ dân kiến nghị: "]
REQUESTS = ["Đề nghị UBND xã quan tâm giải quyết.", "Mong chính quyền sớm xem xét.",
            "Đề nghị các cơ quan có thẩm quyền kiểm tra, xử lý.", "Kính mong được trả lời.",
            "Xin cảm ơn.", "", "Đề nghị khắc phục trước mùa mưa."]
# Per field code: what people write about.
TOPICS: dict[str, list[str]] = {
    "transport": [
        "Đường làng bị hỏng nặng, nhiều ổ gà, xe cộ đi lại khó khăn.",
        "Đường liên ấp đoạn từ {place} đến {place2} bị sạt lở, mùa mưa lầy lội.",
        "Cầu gần {place} xuống cấp, lan can gãy, học sinh qua cầu rất nguy hiểm.",
        "Kênh nội đồng gần {place} bị bồi lắng, cần nạo vét để kịp tưới vụ Đông Xuân.",
        "Cống thoát nước tại {place} bị nghẹt, mưa lớn là ngập nhà dân.",
        "Đề nghị bê tông hóa tuyến đường đất từ {place} vào xóm trong.",
        "Bờ bao chống lũ gần {place} bị rò rỉ, nước tràn vào ruộng lúa.",
    ],
    "power": [
        "Đèn đường từ {place} đến {place2} hư nhiều tháng chưa được thay.",
        "Điện sinh hoạt chập chờn, sụt áp vào buổi tối, hư cả tủ lạnh.",
        "Đề nghị kéo điện lưới cho các hộ ở cuối xóm gần {place}.",
        "Trụ điện gần {place} bị nghiêng, dây điện võng thấp rất nguy hiểm.",
        "Sóng điện thoại, internet tại {place} rất yếu, học sinh học trực tuyến khó khăn.",
    ],
    "land": [
        "Hồ sơ cấp giấy chứng nhận quyền sử dụng đất nộp đã lâu mà chưa có kết quả.",
        "Tranh chấp ranh đất với hộ bên cạnh gần {place}, đề nghị xã hòa giải.",
        "Rác thải đổ bừa bãi tại {place}, bốc mùi hôi, ruồi muỗi nhiều.",
        "Cơ sở chăn nuôi gần {place} xả nước thải ra kênh gây ô nhiễm.",
        "Giá bồi thường đất làm đường chưa thỏa đáng, đề nghị xem xét lại.",
    ],
    "agriculture": [
        "Đề nghị hỗ trợ lúa giống cho các hộ bị thiệt hại do mưa lũ vụ vừa qua.",
        "Dịch bệnh trên đàn heo, đề nghị hỗ trợ tiêm phòng và tiêu độc.",
        "Giá lúa xuống thấp, thương lái ép giá, đề nghị hỗ trợ kết nối tiêu thụ.",
        "Trạm bơm tưới tiêu gần {place} hư hỏng, không đủ nước cho ruộng.",
        "Đề nghị mở lớp tập huấn kỹ thuật trồng cây ăn trái cho bà con.",
    ],
    "social": [
        "Việc bình xét hộ nghèo, cận nghèo năm nay chưa công bằng.",
        "Trợ cấp người cao tuổi chi trả chậm, đề nghị chi đúng hạn hằng tháng.",
        "Đề nghị cấp thẻ bảo hiểm y tế cho hộ cận nghèo còn thiếu.",
        "Gia đình chính sách có nhà xuống cấp, đề nghị hỗ trợ xây nhà tình nghĩa.",
        "Người khuyết tật trong ấp chưa được hưởng trợ cấp xã hội.",
    ],
    "culture": [
        "Trạm y tế thiếu thuốc, người dân phải ra huyện mua.",
        "Phòng học trường tiểu học gần {place} dột nát, mùa mưa rất khổ.",
        "Loa phát thanh của ấp mở quá lớn vào sáng sớm.",
        "Đề nghị sửa chữa sân chơi cho thiếu nhi tại {place}.",
        "Nhà văn hóa ấp xuống cấp, không đủ chỗ họp dân.",
    ],
    "security": [
        "Tình trạng trộm cắp gà vịt, xe đạp xảy ra nhiều tại {place}.",
        "Thanh thiếu niên tụ tập đua xe vào ban đêm trên đường gần {place}.",
        "Quán karaoke gần {place} hát đến khuya, gây ồn ào.",
        "Đề nghị lắp camera an ninh tại {place}.",
    ],
    "admin": [
        "Thủ tục chứng thực bản sao còn chậm, phải đi lại nhiều lần.",
        "Cổng dịch vụ công khó dùng, người lớn tuổi không biết cách nộp hồ sơ.",
        "Đăng ký khai sinh cho cháu bị trả hồ sơ nhiều lần mà không nói rõ lý do.",
        "Đề nghị bố trí cán bộ tiếp dân vào sáng thứ Bảy.",
    ],
    "other": [
        "Đề nghị xã thông báo rõ lịch tiếp xúc cử tri trước kỳ họp.",
        "Chó thả rông tại {place}, đã có người bị cắn.",
        "Đề nghị có kế hoạch phòng chống sốt xuất huyết tại {place}.",
    ],
}
DETAILS = ["", "", "", "Việc này đã phản ánh nhiều lần nhưng chưa được giải quyết.",
           "Khoảng {n} hộ bị ảnh hưởng.", "Tình trạng kéo dài hơn {n} tháng nay.",
           "Bà con rất bức xúc."]
ANSWERS = [
    "UBND xã đã kiểm tra thực tế và chỉ đạo khắc phục xong trong tháng {month}.",
    "Nội dung đã được đưa vào kế hoạch đầu tư công năm {year}, sẽ triển khai khi có vốn.",
    "Cơ quan chức năng đã làm việc với các hộ liên quan; kết quả được thông báo tại ấp.",
    "Đã chi trả đầy đủ cho các trường hợp đủ điều kiện; hồ sơ còn thiếu được hướng dẫn bổ sung.",
    "Kiến nghị thuộc thẩm quyền cấp tỉnh, UBND xã đã chuyển và sẽ thông báo khi có trả lời.",
    "Điện lực khu vực đã thay thiết bị và cân pha, điện áp đã ổn định.",
]
# Field code → the demo agency (by its index in `AGENCIES`) that answers it; land and
# agriculture sometimes go up to the province.
AGENCY_OF: dict[str, tuple[int, ...]] = {
    "land": (1, 4, 4), "transport": (1,), "agriculture": (1, 1, 4), "social": (2,),
    "culture": (2,), "power": (5,), "security": (3,), "admin": (0,), "other": (0,),
}
# How often people write about each field.
FIELD_WEIGHTS = {"land": 12, "transport": 30, "agriculture": 10, "social": 14, "culture": 8,
                 "power": 12, "security": 6, "admin": 5, "other": 3}

PETITION_COLUMNS = (
    "id", "commune_id", "code", "person_id", "entered_by_id", "source", "source_note",
    "voter_name", "hamlet_id", "field_id", "competence", "agency_id", "content",
    "content_folded", "address", "latitude", "longitude", "show_name", "status", "created_at",
    "status_at", "forwarded_at", "due_on", "answer", "answer_file", "answered_at",
    "merged_into_id", "version",
)
PEOPLE_COLUMNS = ("id", "full_name", "phone", "phone_hash", "phone_verified", "hamlet_id",
                  "created_at")


@dataclass
class Place:
    """One commune's ids, in the orders of `storage.demo`'s lists."""

    id: int
    hamlets: list[int]
    hamlet_names: list[str]
    fields: list[int]  # FIELDS order
    agencies: list[int]  # AGENCIES order
    # (person id, hamlet index) for each resident, filled by `copy_residents`.
    residents: list[tuple[int, int]] = dataclass_field(default_factory=list)


@dataclass(frozen=True)
class Loaded:
    demo: Place
    communes: int
    residents: int
    petitions: int
    distinct_texts: int
    seconds: dict[str, float]  # per stage


# -- places ----------------------------------------------------------------------------------


async def seed_places(session: AsyncSession) -> list[Place]:
    """The demo commune first, then 199 more with plain INSERTs; their ids in list order."""
    demo = await seed_demo(session)
    dong_thap = demo.province_id
    other = (await session.execute(
        insert(Province).values(code=OTHER_PROVINCE[0], name=OTHER_PROVINCE[1])
        .returning(Province.id)
    )).scalar_one()
    names = [f"Xã {a} {b}" for a in COMMUNE_FIRST for b in COMMUNE_SECOND if a != b]
    random.Random(SEED).shuffle(names)
    rows = [
        {"province_id": dong_thap if n % 2 else other, "code": f"bench-{n:03d}",
         "name": names[n % len(names)], "kind": "xa"}
        for n in range(1, COMMUNES)
    ]
    await session.execute(insert(Commune), rows)
    others = dict((await session.execute(
        select(Commune.code, Commune.id).where(Commune.code.like("bench-%"))
    )).tuples().all())
    await session.execute(insert(Hamlet), [
        {"commune_id": commune, "code": f"{code}-ap-{h + 1}", "name": f"Ấp {h + 1}",
         "position": h}
        for code, commune in others.items() for h in range(4)
    ])
    await session.execute(insert(Field), [
        {"commune_id": commune, "code": code, "name": name, "position": position}
        for commune in others.values() for position, (code, name) in enumerate(FIELDS)
    ])
    await session.execute(insert(Agency), [
        {"commune_id": commune, "name": name, "competence": competence}
        for commune in others.values() for name, competence in AGENCIES
    ])
    return [await load_place(session, demo.id)] + [
        await load_place(session, commune) for commune in sorted(others.values())
    ]


async def load_place(session: AsyncSession, commune_id: int) -> Place:
    hamlets = (await session.execute(
        select(Hamlet.id, Hamlet.name).where(Hamlet.commune_id == commune_id)
        .order_by(Hamlet.position, Hamlet.id)
    )).tuples().all()
    fields = dict((await session.execute(
        select(Field.code, Field.id).where(Field.commune_id == commune_id)
    )).tuples().all())
    agencies = dict((await session.execute(
        select(Agency.name, Agency.id).where(Agency.commune_id == commune_id)
    )).tuples().all())
    return Place(
        id=commune_id,
        hamlets=[h for h, _ in hamlets],
        hamlet_names=[name for _, name in hamlets],
        fields=[fields[code] for code, _ in FIELDS],
        agencies=[agencies[name] for name, _ in AGENCIES],
    )


# -- people ----------------------------------------------------------------------------------


def person_name(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


async def copy_residents(session: AsyncSession, places: list[Place], now: datetime) -> int:
    """A pool of residents per commune (the demo's is bigger); fills each `Place.residents`."""
    rng = random.Random(SEED + 1)
    keyring = current_keyring()
    first = ((await session.execute(select(func.max(Person.id)))).scalar_one() or 0) + 1
    rows: list[tuple[Any, ...]] = []
    for index, place in enumerate(places):
        for _ in range(DEMO_RESIDENTS if index == 0 else RESIDENTS):
            person = first + len(rows)
            hamlet = rng.randrange(len(place.hamlets))
            phone = f"09{rng.randrange(10**8):08d}" if rng.random() < 0.5 else None
            # COPY bypasses the model: the phone is sealed and hashed here, as the model would.
            sealed = keyring.encrypt(phone, "people.phone") if phone else None
            rows.append((person, person_name(rng), sealed,
                         keyring.lookup_hash(phone) if phone else None, phone is not None,
                         place.hamlets[hamlet], now - timedelta(days=rng.uniform(0, 700))))
            place.residents.append((person, hamlet))
    await copy(session, "people", PEOPLE_COLUMNS, iter(rows))
    await session.execute(text(
        "SELECT setval(pg_get_serial_sequence('people', 'id'), (SELECT max(id) FROM people))"
    ))
    return len(rows)


# -- petitions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Skeleton:
    """What decides a petition's place in time; the rest is drawn while it is written."""

    age: float  # days before now it was received
    commune: int  # index into the places
    status: str
    forwarded_age: float | None


def skeletons(total: int, places: int, rng: random.Random) -> list[Skeleton]:
    """Every petition's commune, status and age, oldest first (ids follow this order)."""
    statuses = [status for status, share in STATUS_MIX.items()
                for _ in range(round(total * share))]
    statuses = (statuses + ["closed"] * total)[:total]
    rng.shuffle(statuses)
    demo = round(total * DEMO_SHARE)
    # Communes differ in size: a weight each, from a third to twice the average.
    weights = [rng.uniform(0.35, 2.0) for _ in range(places - 1)]
    communes = [0] * demo + rng.choices(range(1, places), weights=weights, k=total - demo)
    rng.shuffle(communes)
    result = []
    for status, commune in zip(statuses, communes, strict=True):
        forwarded_age = None
        if status == "received":
            age = min(rng.expovariate(1 / 6), 60)
        elif status == "classified":
            age = min(rng.expovariate(1 / 10), 90)
        elif status == "forwarded":
            # 15 working days are 21 to about 30 calendar days: forwarded in the last 20 days
            # is never late, 32 days ago or more always is.
            if rng.random() < OVERDUE_SHARE:
                forwarded_age = min(32 + rng.expovariate(1 / 45), SPAN_DAYS - 10)
            else:
                forwarded_age = rng.uniform(0.01, 20)
            age = forwarded_age + rng.expovariate(1 / 3)
        elif status == "answered":
            age = min(3 + rng.expovariate(1 / 30), SPAN_DAYS)
        else:
            age = rng.uniform(5, SPAN_DAYS)
        result.append(Skeleton(min(age, SPAN_DAYS), commune, status, forwarded_age))
    result.sort(key=lambda s: -s.age)
    return result


@cache
def due_date(forwarded_on: date) -> date:
    return add_working_days(forwarded_on, ANSWER_DAYS)


def local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL).date()


class PetitionWriter:
    """Turns skeletons into COPY rows, in id order, keeping codes and merges consistent."""

    def __init__(self, places: list[Place], now: datetime, rng: random.Random) -> None:
        self.places = places
        self.now = now
        self.rng = rng
        self.counters: dict[tuple[int, int], int] = {}
        self.last_of: dict[int, int] = {}  # commune index → its latest petition id
        self.folded: dict[str, str] = {}
        self.field_codes = [code for code, _ in FIELDS]
        self.field_indexes = range(len(FIELDS))
        weights = [FIELD_WEIGHTS[code] for code in self.field_codes]
        self.field_cumulative = [sum(weights[: n + 1]) for n in self.field_indexes]

    def content(self, field: str, hamlet_name: str | None) -> str:
        rng = self.rng
        place, place2 = rng.sample(PLACES, 2)
        if hamlet_name and rng.random() < 0.3:
            place = f"khu vực {hamlet_name[0].lower()}{hamlet_name[1:]}"
        opening = rng.choice(OPENINGS)
        topic = rng.choice(TOPICS[field]).format(place=place, place2=place2)
        if opening and not opening.endswith((". ", ": ")):
            topic = topic[0].lower() + topic[1:]  # the topic continues the opening's sentence
        parts = [
            opening + topic,
            rng.choice(DETAILS).format(n=rng.randrange(2, 40)),
            rng.choice(REQUESTS),
        ]
        return " ".join(part for part in parts if part)

    def fold(self, content: str) -> str:
        # The texts repeat (they come from fragments): fold each distinct one once.
        folded = self.folded.get(content)
        if folded is None:
            folded = self.folded[content] = fold(content)
        return folded

    def rows(self, plan: list[Skeleton], first_id: int) -> Iterator[tuple[Any, ...]]:
        rng, now = self.rng, self.now
        for offset, s in enumerate(plan):
            pid = first_id + offset
            place = self.places[s.commune]
            created = now - timedelta(days=s.age)
            year = local_day(created).year
            number = self.counters.get((place.id, year), 0) + 1
            self.counters[(place.id, year)] = number
            status = s.status
            merged_into = self.last_of.get(s.commune) if status == "merged" else None
            if status == "merged" and merged_into is None:
                status = "rejected"  # nothing earlier in this commune to merge into
            self.last_of[s.commune] = pid

            person, hamlet = rng.choice(place.residents)
            hamlet_id: int | None = place.hamlets[hamlet]
            if rng.random() < 0.08:
                hamlet_id = None
            field_index = rng.choices(self.field_indexes, cum_weights=self.field_cumulative)[0]
            field = self.field_codes[field_index]
            chosen = status != "received" or rng.random() < 0.6
            agency_index = rng.choice(AGENCY_OF[field])
            classified = status not in ("received", "merged", "rejected")
            competence = AGENCIES[agency_index][1] if classified else None
            content = self.content(field, place.hamlet_names[hamlet] if hamlet_id else None)

            meeting = rng.random() < 0.2
            entered_by = voter_name = source_note = None
            if meeting:
                entered_by = place.residents[rng.randrange(3)][0]  # a delegate or clerk
                voter_name = person_name(rng)
                source_note = (f"Hội nghị tiếp xúc cử tri ngày {local_day(created):%d/%m/%Y} "
                               f"tại nhà văn hóa {place.hamlet_names[hamlet]}")
            address = (f"Số {rng.randrange(1, 300)}, {place.hamlet_names[hamlet]}"
                       if rng.random() < 0.4 else None)
            located = rng.random() < 0.15
            latitude = rng.uniform(10.3, 10.9) if located else None
            longitude = rng.uniform(105.4, 106.0) if located else None

            forwarded_at: datetime | None = None
            answered_at: datetime | None = None
            due_on: date | None = None
            answer: str | None = None
            status_at = created
            if status in ("forwarded", "answered", "closed"):
                if s.forwarded_age is not None:
                    forwarded_at = now - timedelta(days=s.forwarded_age)
                else:
                    forwarded_at = min(created + timedelta(days=rng.uniform(0.2, 4)), now)
                due_on = due_date(local_day(forwarded_at))
                status_at = forwarded_at
            if status in ("answered", "closed"):
                # Most answers come in time; some late, some very late.
                late = rng.random() < 0.15
                days = rng.uniform(21, 60) if late else rng.uniform(0.5, 20)
                assert forwarded_at is not None  # answered and closed ones were forwarded
                answered = min(forwarded_at + timedelta(days=days), now)
                answered_at = answered
                month = local_day(answered)
                answer = rng.choice(ANSWERS).format(month=f"{month.month:02d}/{month.year}",
                                                    year=month.year + 1)
                status_at = answered
                if status == "closed":
                    status_at = min(answered + timedelta(days=rng.uniform(0, 10)), now)
            if status in ("classified", "rejected", "merged"):
                status_at = min(created + timedelta(days=rng.uniform(0.05, 5)), now)

            yield (
                pid, place.id, f"KN-{year}-{number:05d}", None if meeting else person,
                entered_by, "meeting" if meeting else "chat", source_note, voter_name,
                hamlet_id, place.fields[field_index] if chosen else None, competence,
                place.agencies[agency_index] if forwarded_at is not None else None,
                content, self.fold(content), address, latitude, longitude,
                rng.random() < 0.35, status, created, status_at, forwarded_at, due_on, answer,
                None, answered_at, merged_into, VERSIONS[status],
            )


async def copy(
    session: AsyncSession, table: str, columns: tuple[str, ...], rows: Iterator[tuple[Any, ...]]
) -> None:
    """COPY rows through the session's own asyncpg connection, inside its transaction."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.copy_records_to_table(table, records=rows, columns=list(columns))


async def populate(session: AsyncSession, total: int) -> Loaded:
    """Places, residents and `total` petitions into an empty, migrated database."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    # The rows are consistent by construction: skip the per-row foreign key triggers, which
    # would otherwise cost more than the COPY itself (superuser only, this transaction only).
    await session.execute(text("SET LOCAL session_replication_role = replica"))
    now = datetime.now(UTC)
    places = await seed_places(session)
    residents = await copy_residents(session, places, now)
    seconds["places and residents"] = time.perf_counter() - started
    started = time.perf_counter()
    rng = random.Random(SEED + 2)
    plan = skeletons(total, len(places), rng)
    seconds["petition plan"] = time.perf_counter() - started
    started = time.perf_counter()
    writer = PetitionWriter(places, now, rng)
    first = 1
    await copy(session, Petition.__tablename__, PETITION_COLUMNS, writer.rows(plan, first))
    await session.execute(text(
        "SELECT setval(pg_get_serial_sequence('petitions', 'id'), "
        "(SELECT max(id) FROM petitions))"
    ))
    # The code counters where `next_code` would find them, so new petitions keep codes unique.
    await session.execute(
        text("INSERT INTO petition_counters (commune_id, year, last) VALUES (:c, :y, :n)"),
        [{"c": c, "y": y, "n": n} for (c, y), n in writer.counters.items()],
    )
    seconds["petitions COPY"] = time.perf_counter() - started
    return Loaded(demo=places[0], communes=len(places), residents=residents, petitions=total,
                  distinct_texts=len(writer.folded), seconds=seconds)
