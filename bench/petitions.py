"""Benchmark: the petition inbox, an agency's queue, duplicate search and the report, at scale.

    python -m bench.petitions [--petitions 1000000] [--repeat 200] [--report-size 10000]
                              [--database-url URL] [--keep] [--explain]

PostgreSQL only. The database (`cutri_bench` unless `--database-url` names another) is created
if missing, its schema dropped and rebuilt with the project's migrations, and filled by
`bench.petition_population`: 200 communes, the demo commune holding a tenth of the petitions,
a real year's status mix over 18 months. `--keep` reuses a database that already holds the
asked number of petitions (to try an index, say). Population ends with VACUUM ANALYZE: a live
database has been vacuumed, so its index-only scans do not visit the heap.

Every query is the bot's own storage function, each call in a transaction of its own, 10
warm-up calls then `--repeat` measured ones. The baseline, measured the same way in the same
run, is reading one petition by primary key: the ratios to it hold whatever the machine's
speed today. The aim is p95 < 50 ms; for the panel's table, timed for each filter, order,
search and deep page alone, 100 ms (issue 15). `--explain` prints EXPLAIN (ANALYZE,
BUFFERS) of the SQL the two slowest queries send.

Then the consolidated report: `report_lines` for a period of the demo commune covering about
`--report-size` petitions, and the DOCX and XLSX built from those rows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import event, func, literal_column, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from bench.petition_population import Loaded, Place, load_place, populate
from handlers.documents.petition_report import build_report_docx, build_report_xlsx
from handlers.documents.report_rows import ReportHeading
from handlers.petitions.report import to_row
from storage.db import Database
from storage.demo import COMMUNE, PROVINCE
from storage.migrate import upgrade_database
from storage.models import Commune, Petition
from storage.petitions.dashboard import petition_figures
from storage.petitions.duplicates import find_similar_petitions
from storage.petitions.petitions import LOCAL
from storage.petitions.report import report_lines
from storage.petitions.table import COUNT_CAP, PetitionQuery, find_petitions
from storage.petitions.views import agency_queue, list_inbox

# Never BENCH_DATABASE_URL: `make bench` points it at the test database, and this benchmark
# drops the schema of whatever it is given.
DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/cutri_bench"
# Databases the tests and the server itself use: never emptied, whatever the flags say.
UNTOUCHABLE = frozenset({"test", "test_lead", "postgres", "template0", "template1"})
WARMUP = 10
AIM_MS = 50.0
# The panel's table is a whole page the office waits for: its goal is each filter's p95
# server time under 100 ms (issue 15).
TABLE_AIM_MS = 100.0
DUPLICATE_TEXT = "duong lang bi hong"

Run = Callable[[AsyncSession, int], Awaitable[int]]


@dataclass(frozen=True)
class Query:
    label: str
    run: Run  # (session, step) → a size to show: rows matched or returned
    aim_ms: float = AIM_MS


@dataclass(frozen=True)
class Timing:
    label: str
    p50: float  # seconds
    p95: float
    size: int
    aim_ms: float = AIM_MS

    def ratio(self, baseline: Timing) -> float:
        return self.p50 / baseline.p50

    @property
    def verdict(self) -> str:
        return "ok" if self.p95 * 1000 < self.aim_ms else "SLOW"


@dataclass(frozen=True)
class ReportFigures:
    first: date
    last: date
    rows: int
    query: float
    convert: float
    docx: float
    xlsx: float
    docx_bytes: int
    xlsx_bytes: int


def percentile(values: list[float], rank: int) -> float:
    # As in `bench.handling`, which is not imported: it would load the whole conversation core.
    return statistics.quantiles(values, n=100)[rank - 1] if len(values) > 1 else values[0]


# -- the database ----------------------------------------------------------------------------


def driver_dsn(url: str, database: str | None = None) -> str:
    """The SQLAlchemy URL as asyncpg wants it, optionally on another database."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def ensure_database(url: str) -> None:
    name = make_url(url).database or ""
    if name in UNTOUCHABLE or not name:
        raise SystemExit(f"refusing to use the database {name!r}: pick one of the benchmark's own")
    try:
        server = await asyncpg.connect(driver_dsn(url, "postgres"))
    except (OSError, asyncpg.PostgresError) as error:
        raise SystemExit(f"bench.petitions needs PostgreSQL ({error}); skipped") from None
    try:
        exists = await server.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            # Identifiers cannot be parameters; the name was checked against nothing but
            # quoting keeps odd names harmless.
            await server.execute(f'CREATE DATABASE "{name.replace(chr(34), chr(34) * 2)}"')
    finally:
        await server.close()


async def petition_count(url: str) -> int | None:
    """Petitions in the database, or None when it has no petitions table yet."""
    connection = await asyncpg.connect(driver_dsn(url))
    try:
        if await connection.fetchval("SELECT to_regclass('public.petitions')") is None:
            return None
        count: int = await connection.fetchval("SELECT count(*) FROM petitions")
        return count
    finally:
        await connection.close()


async def rebuild(url: str, petitions: int) -> Loaded:
    """Empty schema, the project's migrations, then the population; VACUUM ANALYZE last."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    connection = await asyncpg.connect(driver_dsn(url))
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()
    await asyncio.to_thread(upgrade_database, url)
    seconds["schema and migrations"] = time.perf_counter() - started
    db = Database(url)
    try:
        async with db.transaction() as session:
            loaded = await populate(session, petitions)
    finally:
        await db.dispose()
    started = time.perf_counter()
    connection = await asyncpg.connect(driver_dsn(url))
    try:
        # VACUUM cannot run in a transaction: its own connection, in autocommit.
        await connection.execute("VACUUM (ANALYZE)")
    finally:
        await connection.close()
    seconds |= loaded.seconds
    seconds["vacuum analyze"] = time.perf_counter() - started
    return Loaded(loaded.demo, loaded.communes, loaded.residents, loaded.petitions,
                  loaded.distinct_texts, seconds)


async def demo_place(db: Database) -> Place:
    async with db.transaction() as session:
        commune_id = (
            await session.execute(select(Commune.id).where(Commune.code == COMMUNE[0]))
        ).scalar_one()
        return await load_place(session, commune_id)


# -- measuring -------------------------------------------------------------------------------


def queries(demo: Place, today: date, busiest_agency: int, petition_ids: list[int]) -> list[Query]:
    commune = demo.id

    def inbox(name: str | Callable[[int], str], offset: int = 0) -> Run:
        async def run(session: AsyncSession, step: int) -> int:
            filter_name = name(step) if callable(name) else name
            _lines, total = await list_inbox(session, commune, filter_name, today, offset=offset)
            return total

        return run

    async def by_id(session: AsyncSession, step: int) -> int:
        petition = await session.get(Petition, petition_ids[step % len(petition_ids)])
        return int(petition is not None)

    async def queue(session: AsyncSession, step: int) -> int:
        return len(await agency_queue(session, busiest_agency))

    async def similar(session: AsyncSession, step: int) -> int:
        return len(await find_similar_petitions(session, commune, DUPLICATE_TEXT))

    def table(wanted: Callable[[int], PetitionQuery], page: int = 1) -> Run:
        async def run(session: AsyncSession, step: int) -> int:
            found = await find_petitions(session, commune, wanted(step), today,
                                         offset=(page - 1) * 25, limit=25)
            return found.total

        return run

    async def overview(session: AsyncSession, step: int) -> int:
        figures = await petition_figures(session, commune, today)
        return figures.open

    return [
        Query("baseline: petition by id", by_id),
        Query("inbox new", inbox("new")),
        Query("inbox overdue", inbox("overdue")),
        Query("inbox open", inbox("open")),
        Query("inbox answered", inbox("answered")),
        Query("inbox field:<id> (9 fields)",
              inbox(lambda step: f"field:{demo.fields[step % len(demo.fields)]}")),
        Query("inbox hamlet:<id> (4 hamlets)",
              inbox(lambda step: f"hamlet:{demo.hamlets[step % len(demo.hamlets)]}")),
        Query("inbox open, page 5 (offset 40)", inbox("open", offset=40)),
        Query(f"agency queue (agency {busiest_agency})", queue),
        Query(f'similar petitions "{DUPLICATE_TEXT}"', similar),
        # The web panel's petitions table (25 a page), every filter and order, and overview.
        *table_queries(demo, today, busiest_agency, table),
        Query("panel overview figures", overview),
    ]


def table_queries(demo: Place, today: date, agency: int,
                  table: Callable[..., Run]) -> list[Query]:
    """The panel's table: each filter alone, each order, deep pages. Callables pick among
    the demo's fields and hamlets in turn."""
    last_month = (today - timedelta(days=30), today)
    year_ago = (today - timedelta(days=395), today - timedelta(days=365))

    def field(step: int) -> int:
        return demo.fields[step % len(demo.fields)]

    def hamlet(step: int) -> int:
        return demo.hamlets[step % len(demo.hamlets)]

    def q(**values: Any) -> Callable[[int], PetitionQuery]:
        return lambda step: PetitionQuery(**{
            key: value(step) if callable(value) else value for key, value in values.items()})

    shown: list[tuple[str, Callable[[int], PetitionQuery], int]] = [
        ("open (the default)", q(status="open"), 1),
        ("all, page 40", q(), 40),
        (f"all, page {COUNT_CAP // 25} (the last served)", q(), COUNT_CAP // 25),
        ("status closed", q(status="closed"), 1),
        ("field (9 fields), open", q(status="open", field_id=field), 1),
        ("hamlet (4 hamlets), all", q(hamlet_id=hamlet), 1),
        (f"agency {agency}, all", q(agency_id=agency), 1),
        ("overdue", q(overdue=True), 1),
        ("received in the last 30 days, all", q(received_from=last_month[0],
                                                received_to=last_month[1]), 1),
        ("received a year ago (30 days), all", q(received_from=year_ago[0],
                                                 received_to=year_ago[1]), 1),
        (f'search "{DUPLICATE_TEXT}", all', q(text=DUPLICATE_TEXT), 1),
        ('search "cau ong muoi", open', q(status="open", text="cau ong muoi"), 1),
        ('search a code "kn-2025-01234", all', q(text="kn-2025-01234"), 1),
        ('search "cong ba bay", sort field', q(text="cong ba bay", sort="field"), 1),
        ("sort received oldest first, all", q(descending=False), 1),
        ("sort due nearest first, open", q(status="open", sort="due", descending=False), 1),
        ("sort due latest first, all", q(sort="due"), 1),
        ("sort status, all", q(sort="status", descending=False), 1),
        ("sort field, open, page 40", q(status="open", sort="field", descending=False), 40),
        ("sort hamlet last first, all", q(sort="hamlet"), 1),
        ("field + hamlet + last 30 days, sort due", q(
            field_id=field, hamlet_id=hamlet, received_from=last_month[0], sort="due",
            descending=False), 1),
    ]
    return [Query(f"panel table {label}", table(wanted, page=page), TABLE_AIM_MS)
            for label, wanted, page in shown]


async def measure(db: Database, query: Query, repeat: int) -> Timing:
    latencies: list[float] = []
    size = 0
    for step in range(WARMUP + repeat):
        started = time.perf_counter()
        async with db.transaction() as session:
            size = await query.run(session, step)
        if step >= WARMUP:
            latencies.append(time.perf_counter() - started)
    return Timing(query.label, percentile(latencies, 50), percentile(latencies, 95), size,
                  query.aim_ms)


async def busiest_agency(db: Database) -> int:
    async with db.transaction() as session:
        query = (
            select(Petition.agency_id)
            .where(Petition.status == "forwarded", Petition.agency_id.is_not(None))
            .group_by(Petition.agency_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        agency = (await session.execute(query)).scalar_one()
        assert agency is not None
        return agency


async def explain(db: Database, query: Query) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement one call of the query sends, twice.

    First as planned for the call's values. Then the generic plan: SQLAlchemy's asyncpg
    dialect keeps prepared statements per connection, and from the sixth call on PostgreSQL
    may run one plan made without the values, which is what the timings above mostly saw.
    """
    sent: list[tuple[str, Any]] = []

    def remember(_conn: Any, _cursor: Any, statement: str, parameters: Any,
                 _context: Any, _executemany: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):  # not a SET, say
            sent.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", remember)
    try:
        async with db.transaction() as session:
            await query.run(session, 0)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", remember)
    plans = []
    for statement, parameters in sent:
        shown = " ".join(statement.split())
        async with db.transaction() as session:
            connection = await session.connection()
            custom = await connection.exec_driver_sql(
                f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters
            )
            custom_plan = "\n".join(f"    {row[0]}" for row in custom)
            # The statement's parameters carry casts ($1::INTEGER), so PREPARE knows their
            # types; EXECUTE takes the values as literals.
            await connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
            await connection.exec_driver_sql(f"PREPARE bench_explained AS {statement}")
            values = ", ".join(literal(value) for value in parameters)
            generic = await connection.exec_driver_sql(
                f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_explained({values})"
            )
            generic_plan = "\n".join(f"    {row[0]}" for row in generic)
            await connection.exec_driver_sql("DEALLOCATE bench_explained")
        plans.append(f"  {shown}\n  parameters: {parameters}\n"
                     f"  - planned for these values:\n{custom_plan}\n"
                     f"  - generic plan (prepared statement, from the sixth call on):\n"
                     f"{generic_plan}")
    return plans


def literal(value: object) -> str:
    """A parameter as an SQL literal, for EXECUTE; only the types these queries bind."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, date | datetime):
        return f"'{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


# -- the report ------------------------------------------------------------------------------


async def report_start(db: Database, commune_id: int, today: date, size: int) -> date:
    """The first local day of the period up to today whose report has nearest `size` rows."""
    # The zone as a literal: as a bound parameter, SELECT and GROUP BY would each get their own
    # and PostgreSQL would not see them as the same expression.
    day = func.date(func.timezone(literal_column(f"'{LOCAL.key}'"), Petition.created_at))
    query = (
        select(day, func.count())
        .where(Petition.commune_id == commune_id, Petition.status != "merged")
        .group_by(day)
        .order_by(day.desc())
    )
    async with db.transaction() as session:
        per_day = (await session.execute(query)).tuples().all()
    first, covered = today, 0
    for when, count in per_day:
        if covered and abs(covered + count - size) > abs(covered - size):
            break
        first, covered = when, covered + count
    return first


async def time_report(db: Database, commune_id: int, today: date, size: int) -> ReportFigures:
    first = await report_start(db, commune_id, today, size)
    started = time.perf_counter()
    async with db.transaction() as session:
        lines = await report_lines(session, commune_id, first, today)
    query_seconds = time.perf_counter() - started
    started = time.perf_counter()
    rows = [to_row(line, today) for line in lines]
    convert_seconds = time.perf_counter() - started
    heading = ReportHeading(
        province=PROVINCE[1], commune=COMMUNE[1],
        period_label=f"từ ngày {first:%d/%m/%Y} đến ngày {today:%d/%m/%Y}", issued_on=today,
    )
    started = time.perf_counter()
    docx = build_report_docx(heading, rows)
    docx_seconds = time.perf_counter() - started
    started = time.perf_counter()
    xlsx = build_report_xlsx(heading, rows)
    xlsx_seconds = time.perf_counter() - started
    return ReportFigures(first, today, len(rows), query_seconds, convert_seconds, docx_seconds,
                         xlsx_seconds, len(docx), len(xlsx))


# -- printing --------------------------------------------------------------------------------


def megabytes(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB"


def print_table(timings: Sequence[Timing]) -> None:
    baseline = timings[0]
    width = max(len(t.label) for t in timings)
    header = (f"{'query':<{width}} {'p50 ms':>8} {'p95 ms':>8} {'p50/base':>9} {'size':>8}  "
              f"p95 < aim ({AIM_MS:g} ms; the panel's table {TABLE_AIM_MS:g} ms)")
    print(header)
    print("-" * len(header))
    for t in timings:
        print(f"{t.label:<{width}} {t.p50 * 1000:8.2f} {t.p95 * 1000:8.2f} "
              f"{t.ratio(baseline):9.1f} {t.size:>8}  {t.verdict}")
    print("  size: the filter's total for the inbox, rows returned for the queue, "
          "matches for similar petitions")


async def server_facts(db: Database) -> dict[str, str]:
    async with db.transaction() as session:
        version = (await session.execute(text("SHOW server_version"))).scalar_one()
        buffers = (await session.execute(text("SHOW shared_buffers"))).scalar_one()
        size = (await session.execute(
            text("SELECT pg_size_pretty(pg_total_relation_size('petitions'))")
        )).scalar_one()
    return {"version": str(version), "shared_buffers": str(buffers), "petitions size": str(size)}


async def main_async(args: argparse.Namespace) -> None:
    url = args.database_url
    await ensure_database(url)
    loaded: Loaded | None = None
    population_seconds = 0.0
    count = await petition_count(url) if args.keep else None
    if count == args.petitions:
        print(f"reusing {count:,} petitions in {make_url(url).database} (--keep)")
    else:
        if args.keep:
            print(f"--keep: the database holds {count} petitions, not {args.petitions:,}: "
                  "rebuilding")
        started = time.perf_counter()
        loaded = await rebuild(url, args.petitions)
        population_seconds = time.perf_counter() - started
        print(f"populated {loaded.petitions:,} petitions, {loaded.residents:,} residents, "
              f"{loaded.communes} communes ({loaded.distinct_texts:,} distinct texts) "
              f"in {population_seconds:.1f} s:")
        for stage, seconds in loaded.seconds.items():
            print(f"  {stage:<24} {seconds:6.1f} s")

    db = Database(url)
    try:
        facts = await server_facts(db)
        demo = await demo_place(db)
        today = datetime.now(LOCAL).date()
        async with db.transaction() as session:
            top = (await session.execute(select(func.max(Petition.id)))).scalar_one()
            demo_count = (await session.execute(
                select(func.count()).where(Petition.commune_id == demo.id)
            )).scalar_one()
        rng = random.Random(7)
        petition_ids = [rng.randint(1, top) for _ in range(1000)]
        agency = await busiest_agency(db)
        print(f"\nPostgreSQL {facts['version']}, {os.cpu_count()} cores, shared_buffers "
              f"{facts['shared_buffers']}; petitions table with indexes {facts['petitions size']}")
        print(f"demo commune {demo.id} ({COMMUNE[1]}): {demo_count:,} petitions; "
              f"{args.repeat} calls per query after {WARMUP} warm-up, one transaction each\n")
        plan = queries(demo, today, agency, petition_ids)
        timings = [await measure(db, query, args.repeat) for query in plan]
        print_table(timings)
        slowest = sorted(range(1, len(timings)), key=lambda n: timings[n].p95)[-2:][::-1]
        if args.explain:
            for index in slowest:
                print(f"\nEXPLAIN (ANALYZE, BUFFERS): {timings[index].label}")
                for shown in await explain(db, plan[index]):
                    print(shown)
        report = await time_report(db, demo.id, today, args.report_size)
    finally:
        await db.dispose()
    print(f"\nReport for {COMMUNE[1]}, {report.first:%d/%m/%Y} to {report.last:%d/%m/%Y}: "
          f"{report.rows:,} rows")
    print(f"  report_lines query   {report.query:7.2f} s")
    print(f"  ReportLine→ReportRow {report.convert:7.2f} s")
    print(f"  DOCX                 {report.docx:7.2f} s  {megabytes(report.docx_bytes)}")
    print(f"  XLSX                 {report.xlsx:7.2f} s  {megabytes(report.xlsx_bytes)}")

    baseline = timings[0]
    slow = [t for t in timings if t.verdict == "SLOW"]
    print("\n--- summary ---")
    print(f"PostgreSQL {facts['version']}, {os.cpu_count()} cores, shared_buffers "
          f"{facts['shared_buffers']}; {top:,} petitions ({facts['petitions size']}), demo "
          f"commune {demo_count:,}")
    if loaded is not None:
        print(f"population: {population_seconds:.0f} s (COPY "
              f"{loaded.seconds['petitions COPY']:.0f} s, vacuum analyze "
              f"{loaded.seconds['vacuum analyze']:.0f} s)")
    print(f"baseline (petition by id): p50 {baseline.p50 * 1000:.2f} ms, "
          f"p95 {baseline.p95 * 1000:.2f} ms")
    for t in timings[1:]:
        print(f"{t.label}: p50 {t.p50 * 1000:.1f} ms, p95 {t.p95 * 1000:.1f} ms, "
              f"{t.ratio(baseline):.0f}× baseline, {t.verdict}")
    print(f"report ({report.rows:,} rows): query {report.query:.1f} s, DOCX {report.docx:.1f} s "
          f"({megabytes(report.docx_bytes)}), XLSX {report.xlsx:.1f} s "
          f"({megabytes(report.xlsx_bytes)})")
    print("over the aim (p95 < 50 ms): "
          + (", ".join(t.label for t in slow) if slow else "none"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL,
                        help="PostgreSQL URL; its schema is dropped and rebuilt")
    parser.add_argument("--petitions", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--report-size", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true",
                        help="reuse the database if it already holds --petitions petitions")
    parser.add_argument("--explain", action="store_true",
                        help="print EXPLAIN (ANALYZE, BUFFERS) of the two slowest queries")
    args = parser.parse_args()
    if make_url(args.database_url).get_backend_name() != "postgresql":
        parser.error("PostgreSQL only: --database-url postgresql+asyncpg://...")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
