"""Benchmark: importing a province's commune workbook (100 communes) into an empty database.

    python -m bench.commune_import [--communes 100]

Measures reading the XLSX (`read_workbook`), planning against the database (`plan_setup`),
applying (`apply_setup`), and planning the same workbook again once applied (it must find no
change), with the peak of Python's own allocations (tracemalloc) and the process's peak RSS.
Runs on a fresh SQLite file and, when `BENCH_DATABASE_URL` is set, on that PostgreSQL
database (its tables are emptied first).

The baseline, measured in the same run on the same database: inserting the same number of
rows (communes, units, hamlets, people, delegates, role grants, fields, agencies, their links
and options) with plain SQLAlchemy Core `executemany`, which is the least any import must do.
The ratio to it holds whatever the machine's speed today.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

from sqlalchemy import insert

from storage.db import Database
from storage.encryption import Keyring, use_keyring
from storage.migrate import upgrade_database_async
from storage.models import Base, Commune, Field, Hamlet, Province
from storage.setup.workbook import Workbook
from storage.setup.workbook_apply import apply_setup, plan_setup
from tests.setup_data import province_workbook


def rows_of(workbook: Workbook) -> int:
    return sum(len(getattr(workbook, name)) for name in (
        "communes", "hamlets", "units", "seats", "fields", "agencies", "options"))


async def empty(db: Database) -> None:
    async with db.transaction() as session:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name != "alembic_version":
                await session.execute(table.delete())


async def baseline(db: Database, workbook: Workbook) -> float:
    """Plain executemany of as many rows as the import writes (ids handed out here)."""
    await empty(db)
    started = time.perf_counter()
    async with db.transaction() as session:
        await session.execute(insert(Province), [{"id": 1, "code": "p", "name": "P"}])
        await session.execute(insert(Commune), [
            {"id": i + 1, "province_id": 1, "code": c.code, "name": c.name}
            for i, c in enumerate(workbook.communes)])
        commune_ids = {c.code: i + 1 for i, c in enumerate(workbook.communes)}
        await session.execute(insert(Hamlet), [
            {"commune_id": commune_ids[h.commune_code], "code": h.code, "name": h.name}
            for h in workbook.hamlets])
        await session.execute(insert(Field), [
            {"commune_id": commune_ids[f.commune_code], "code": f.code, "name": f.name}
            for f in workbook.fields])
        # The rest (units, seats with their people and grants, agencies, links, options)
        # as hamlet-sized rows: the same number of rows and round trips.
        rest = rows_of(workbook) - len(workbook.communes) - len(workbook.hamlets) - len(
            workbook.fields) + 2 * len(workbook.seats)
        await session.execute(insert(Hamlet), [
            {"commune_id": 1, "code": f"x-{n}", "name": f"x {n}"} for n in range(rest)])
    return time.perf_counter() - started


async def measure(url: str, workbook: Workbook, data: bytes | None) -> None:
    await upgrade_database_async(url)
    db = Database(url)
    try:
        base = await baseline(db, workbook)
        await empty(db)
        read_s = None
        if data is not None:
            from storage.setup.workbook_file import read_workbook

            started = time.perf_counter()
            parsed = read_workbook(data, "tinh.xlsx")
            read_s = time.perf_counter() - started
            assert parsed.ok, parsed.problems[:3]
            workbook = parsed.workbook
        tracemalloc.start()
        started = time.perf_counter()
        async with db.transaction() as session:
            plan = await plan_setup(session, workbook)
        plan_s = time.perf_counter() - started
        started = time.perf_counter()
        async with db.transaction() as session:
            await apply_setup(session, plan, actor_id=None, actor_label="bench")
        apply_s = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        started = time.perf_counter()
        async with db.transaction() as session:
            again = await plan_setup(session, workbook)
        again_s = time.perf_counter() - started
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        engine = url.split(":", 1)[0]
        print(f"{engine}: {len(workbook.communes)} communes, {rows_of(workbook)} rows")
        if read_s is not None:
            print(f"  read XLSX        {read_s * 1000:8.0f} ms")
        print(f"  plan (empty db)  {plan_s * 1000:8.0f} ms")
        print(f"  apply            {apply_s * 1000:8.0f} ms   {apply_s / base:5.1f}× baseline")
        print(f"  plan + apply     {(plan_s + apply_s) * 1000:8.0f} ms   "
              f"{(plan_s + apply_s) / base:5.1f}× baseline")
        print(f"  re-plan, same    {again_s * 1000:8.0f} ms   changes: {again.changed}")
        print(f"  baseline insert  {base * 1000:8.0f} ms (Core executemany, same row count)")
        print(f"  peak Python memory {peak / 2**20:6.1f} MiB, process peak RSS {rss:6.0f} MiB")
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--communes", type=int, default=100)
    args = parser.parse_args()
    use_keyring(Keyring.generate())
    workbook = province_workbook(args.communes)
    data = None
    try:
        from storage.setup.workbook_file import write_workbook

        data = write_workbook(workbook)
        print(f"workbook file: {len(data) / 1024:.0f} KiB")
    except ImportError:
        print("storage.setup.workbook_file is missing: the XLSX is not read")
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(measure(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}", workbook, data))
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        asyncio.run(measure(url, workbook, data))


if __name__ == "__main__":
    main()
