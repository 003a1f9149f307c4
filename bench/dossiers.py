"""Benchmark: every delegate's dossier of a province before a round, against a plain query.

    python -m bench.dossiers [--delegates 100] [--petitions 200000]
    BENCH_DATABASE_URL=postgresql+asyncpg://... python -m bench.dossiers   (PostgreSQL too)

A province of 25 communes, each with 8 hamlets in 4 electoral units and one delegate per unit
(100 delegates), holds 200,000 petitions over 18 months, spread unevenly over the hamlets; each
commune held a round every six months (the last one 40 days ago, its meetings' opinions
recorded as petitions) and has a round about to begin. Then, for each delegate:

- dossier, read only and read + DOCX: `read_dossier` (the unit's petitions since the last
  round with field, agency, visibility and the audit row, in a transaction of its own), and
  the DOCX built from it, as the document worker does;
- baseline: one plain SELECT of the same unit's petitions since the last round (ids, codes,
  statuses and texts, no joins, no document), the least any dossier must read.

Figures: total and per-dossier time (p50, worst), the ratio to the baseline, the petitions per
dossier, peak Python memory (tracemalloc) and the process's peak RSS over each phase (VmHWM,
reset before it), and the query plan of the per-unit read, which must use an index.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from bench.petition_population import ANSWERS, TOPICS
from bench.population import prepare_database
from handlers.documents.dossier import build_dossier_docx
from handlers.voter_contact.dossiers import printed_status
from storage.db import Database
from storage.demo import AGENCIES, FIELDS
from storage.encryption import Keyring, use_keyring
from storage.folding import fold
from storage.models import (
    Agency,
    Commune,
    ContactRound,
    CouncilSession,
    Delegate,
    ElectoralUnit,
    Field,
    Hamlet,
    Meeting,
    Person,
    Petition,
    Province,
)
from storage.petitions.petitions import LOCAL
from storage.voter_contact.dossiers import read_dossier

UNITS_PER_COMMUNE = 4
HAMLETS_PER_UNIT = 2
SPAN_DAYS = 548
ROUND_AGES = (400, 220, 40)  # days ago each earlier round began
RESIDENTS = 40  # per commune, the petitioners who write by chat
CHUNK = 20_000
SEED = 20_261_207
STATUSES = (("closed", 0.5), ("answered", 0.12), ("forwarded", 0.2), ("classified", 0.06),
            ("received", 0.06), ("rejected", 0.03), ("reopened", 0.03))


@dataclass
class Province_:
    delegates: list[tuple[int, int]]  # (seat id, person id)
    units: list[tuple[int, list[int], datetime]]  # (unit id, hamlet ids, last round start)


async def populate(db: Database, delegates: int, petitions: int) -> Province_:
    """The province, its rounds and meetings, and the petitions in bulk (Core executemany)."""
    rng = random.Random(SEED)
    now = datetime.now(UTC)
    today = now.astimezone(LOCAL).date()
    communes = max(1, delegates // UNITS_PER_COMMUNE)
    seats: list[tuple[int, int]] = []
    units: list[tuple[int, list[int], datetime]] = []
    # (commune, hamlet, unit, fields, agencies, residents, meeting of the last round)
    hamlet_rows: list[tuple[int, int, list[int], list[int], list[int], int | None]] = []
    async with db.transaction() as session:
        province = Province(code="bench-dossiers", name="Tỉnh Đồng Tháp")
        session.add(province)
        await session.flush()
        for number in range(communes):
            commune = Commune(province_id=province.id, code=f"bd-{number:03d}",
                              name=f"Xã Bình Thành {number + 1}")
            session.add(commune)
            await session.flush()
            fields = [Field(commune_id=commune.id, code=code, name=name, position=position)
                      for position, (code, name) in enumerate(FIELDS)]
            agencies = [Agency(commune_id=commune.id, name=name, competence=competence)
                        for name, competence in AGENCIES]
            residents = [Person(full_name=f"Cử tri {number}-{r}") for r in range(RESIDENTS)]
            session.add_all([*fields, *agencies, *residents])
            council_sessions = []
            for age in (*ROUND_AGES, -5):
                start = today - timedelta(days=age)
                council = CouncilSession(commune_id=commune.id, title=f"Kỳ họp {start:%m/%Y}",
                                         opens_on=start + timedelta(days=20),
                                         closes_on=start + timedelta(days=21))
                session.add(council)
                council_sessions.append((council, start))
            await session.flush()
            rounds = []
            for council, start in council_sessions:
                contact_round = ContactRound(session_id=council.id, timing="before",
                                             window_start=start,
                                             window_end=start + timedelta(days=10))
                session.add(contact_round)
                rounds.append(contact_round)
            await session.flush()
            last_round, coming_round = rounds[-2], rounds[-1]
            for unit_number in range(1, UNITS_PER_COMMUNE + 1):
                unit = ElectoralUnit(commune_id=commune.id, number=unit_number,
                                     name=f"Đơn vị bầu cử số {unit_number}")
                session.add(unit)
                await session.flush()
                hamlets = [Hamlet(commune_id=commune.id, code=f"bd-{number}-{unit_number}-{h}",
                                  name=f"Ấp {unit_number}{'AB'[h]}", electoral_unit_id=unit.id)
                           for h in range(HAMLETS_PER_UNIT)]
                person = Person(full_name=f"Đại biểu {number}-{unit_number}")
                session.add_all([*hamlets, person])
                await session.flush()
                seat = Delegate(person_id=person.id, commune_id=commune.id,
                                electoral_unit_id=unit.id, title="Đại biểu HĐND xã")
                held = Meeting(round_id=last_round.id, electoral_unit_id=unit.id,
                               place=f"Nhà văn hóa {hamlets[0].name}",
                               starts_at=datetime.combine(last_round.window_start, day_time(8),
                                                          tzinfo=LOCAL),
                               status="held")
                coming = Meeting(round_id=coming_round.id, electoral_unit_id=unit.id,
                                 place=f"Nhà văn hóa {hamlets[0].name}",
                                 starts_at=datetime.combine(coming_round.window_start,
                                                            day_time(8), tzinfo=LOCAL))
                session.add_all([seat, held, coming])
                await session.flush()
                seats.append((seat.id, person.id))
                since = datetime.combine(last_round.window_start, day_time(0), tzinfo=LOCAL)
                units.append((unit.id, [h.id for h in hamlets], since))
                for hamlet in hamlets:
                    hamlet_rows.append((commune.id, hamlet.id, [f.id for f in fields],
                                        [a.id for a in agencies], [r.id for r in residents],
                                        held.id))
    # Hamlets differ in size: a weight each, from a third to twice the average.
    weights = [rng.uniform(0.35, 2.0) for _ in hamlet_rows]
    cumulative = [sum(weights[: n + 1]) for n in range(len(weights))]
    folded: dict[str, str] = {}
    counters: dict[int, int] = {}
    rows: list[dict[str, Any]] = []
    statuses, shares = zip(*STATUSES, strict=True)
    last_start = now - timedelta(days=ROUND_AGES[-1])
    for index in range(petitions):
        commune_id, hamlet_id, field_ids, agency_ids, resident_ids, meeting_id = rng.choices(
            hamlet_rows, cum_weights=cumulative)[0]
        counters[commune_id] = counters.get(commune_id, 0) + 1
        created = now - timedelta(days=rng.uniform(0, SPAN_DAYS))
        status = rng.choices(statuses, weights=shares)[0]
        field_index = rng.randrange(len(FIELDS))
        content = rng.choice(TOPICS[FIELDS[field_index][0]]).format(
            place="nhà văn hóa ấp", place2="chợ xã")
        forwarded = status in ("forwarded", "answered", "closed", "reopened")
        answered = status in ("answered", "closed", "reopened")
        at_meeting = created >= last_start and rng.random() < 0.2
        rows.append({
            "commune_id": commune_id, "code": f"KN-{created.year}-{counters[commune_id]:06d}",
            "person_id": None if at_meeting else rng.choice(resident_ids),
            "source": "meeting" if at_meeting else "chat",
            "meeting_id": meeting_id if at_meeting else None,
            "voter_name": f"Cử tri {index}" if at_meeting else None,
            "hamlet_id": hamlet_id, "field_id": field_ids[field_index],
            "competence": "commune" if status != "received" else None,
            "agency_id": rng.choice(agency_ids) if forwarded else None,
            "content": content, "content_folded": folded.setdefault(content, fold(content)),
            "show_name": rng.random() < 0.35, "status": status, "created_at": created,
            "status_at": created, "forwarded_at": created if forwarded else None,
            "due_on": (created + timedelta(days=21)).date() if forwarded else None,
            "answer": rng.choice(ANSWERS).format(month="05/2026", year=2027)
            if answered else None,
            "answered_at": created + timedelta(days=10) if answered else None,
            "version": 1,
        })
        if len(rows) >= CHUNK:
            await _insert(db, rows)
            rows = []
    if rows:
        await _insert(db, rows)
    return Province_(seats, units)


async def _insert(db: Database, rows: list[dict[str, Any]]) -> None:
    async with db.transaction() as session:
        await session.execute(insert(Petition), rows)


def memory_mb(field: str) -> float:
    """VmHWM (peak resident since the last reset) or VmRSS of this process, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak() -> None:
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux).
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


@dataclass
class Phase:
    name: str
    seconds: list[float]
    rows: list[int]
    peak_python_mb: float = 0.0
    peak_rss_mb: float = 0.0


async def measure(name: str, items: list[Any],
                  one: Callable[[Any], Awaitable[int]]) -> Phase:
    """Timed without tracing (tracemalloc slows Python down several times), then traced."""
    phase = Phase(name, [], [])
    reset_peak()
    for item in items:
        started = time.perf_counter()
        phase.rows.append(await one(item))
        phase.seconds.append(time.perf_counter() - started)
    phase.peak_rss_mb = memory_mb("VmHWM")
    tracemalloc.start()
    for item in items:
        await one(item)
    phase.peak_python_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return phase


async def run(url: str, delegates: int, petitions: int) -> None:
    engine = url.split(":", 1)[0]
    db = await prepare_database(url)
    try:
        started = time.perf_counter()
        province = await populate(db, delegates, petitions)
        loaded = time.perf_counter() - started
        if not db.is_sqlite:
            async with db.transaction() as session:
                await session.execute(text("ANALYZE"))
        units = {unit_id: (hamlets, since) for unit_id, hamlets, since in province.units}
        seat_units = {}
        async with db.transaction() as session:
            for seat_id, _person in province.delegates:
                seat = await session.get(Delegate, seat_id)
                assert seat is not None and seat.electoral_unit_id is not None
                seat_units[seat_id] = seat.electoral_unit_id
            people = {p.id: p for p in (await session.execute(select(Person).where(
                Person.id.in_([p for _, p in province.delegates])))).scalars()}

        async def baseline(seat: tuple[int, int]) -> int:
            hamlets, since = units[seat_units[seat[0]]]
            async with db.transaction() as session:
                found = (await session.execute(
                    select(Petition.id, Petition.code, Petition.status, Petition.content,
                           Petition.answer)
                    .where(Petition.hamlet_id.in_(hamlets), Petition.created_at >= since)
                )).all()
            return len(found)

        async def read_only(seat: tuple[int, int]) -> int:
            async with db.transaction() as session:
                read = await read_dossier(session, people[seat[1]], seat[0])
            return len(read.lines)

        async def dossier(seat: tuple[int, int]) -> int:
            async with db.transaction() as session:
                read = await read_dossier(session, people[seat[1]], seat[0])
            build_dossier_docx(read, printed_status)
            return len(read.lines)

        plain = await measure("baseline: plain SELECT", province.delegates, baseline)
        reads = await measure("dossier: read", province.delegates, read_only)
        full = await measure("dossier: read + DOCX", province.delegates, dossier)
        plan = await query_plan(db, units[seat_units[province.delegates[0][0]]])
        async with db.transaction() as session:
            total = (await session.execute(select(func.count()).select_from(Petition))
                     ).scalar_one()
        print(f"\n{engine}: {len(province.delegates)} delegates, {total:,} petitions "
              f"(loaded in {loaded:.0f} s)")
        header = (f"{'':<26} {'total s':>8} {'p50 ms':>8} {'max ms':>8} {'rows/unit':>10} "
                  f"{'py MiB':>7} {'RSS MiB':>8}")
        print(header)
        print("-" * len(header))
        for phase in (plain, reads, full):
            print(f"{phase.name:<26} {sum(phase.seconds):8.2f} "
                  f"{statistics.median(phase.seconds) * 1000:8.1f} "
                  f"{max(phase.seconds) * 1000:8.1f} {statistics.mean(phase.rows):10.0f} "
                  f"{phase.peak_python_mb:7.1f} {phase.peak_rss_mb:8.0f}")
        base = max(sum(plain.seconds), 1e-9)
        print(f"read / baseline: {sum(reads.seconds) / base:.1f}× the time (joins, visibility, "
              f"the audit row, the earlier round's opinions); read + DOCX / baseline: "
              f"{sum(full.seconds) / base:.1f}×")
        print("per-unit read plan: " + plan)
    finally:
        await db.dispose()


async def query_plan(db: Database, unit: tuple[list[int], datetime]) -> str:
    hamlets, since = unit
    marks = ", ".join(str(int(h)) for h in hamlets)
    async with db.transaction() as session:
        if db.is_sqlite:
            rows = (await session.execute(text(
                f"EXPLAIN QUERY PLAN SELECT id FROM petitions WHERE hamlet_id IN ({marks}) "
                "AND created_at >= :since"), {"since": since.astimezone(UTC).replace(
                    tzinfo=None)})).all()
            return " | ".join(str(row[-1]) for row in rows)
        rows = (await session.execute(text(
            f"EXPLAIN SELECT id FROM petitions WHERE hamlet_id IN ({marks}) "
            "AND created_at >= :since"), {"since": since})).all()
        return " | ".join(str(row[0]).strip() for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--delegates", type=int, default=100)
    parser.add_argument("--petitions", type=int, default=200_000)
    args = parser.parse_args()
    use_keyring(Keyring.generate())
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}", args.delegates,
                        args.petitions))
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        asyncio.run(run(url, args.delegates, args.petitions))


if __name__ == "__main__":
    main()
