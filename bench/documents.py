"""Benchmark: what a neighbour's reply waits while the office asks for the posters or a report.

    python -m bench.documents [--rounds 3] [--petitions 3000] [--interval 0.1]
    BENCH_DATABASE_URL=postgresql+asyncpg://... python -m bench.documents   (PostgreSQL too)

In one process, against the real conversation core (`ConversationRunner`, group commit), a
neighbour sends /help every `interval` seconds and each reply's wait is measured, from the
update's arrival to its reply committed in the outbox:

- quiet: nobody else writes (the baseline, in the same run);
- in the handler: the office asks for the hamlet posters (LibreOffice's PDF) or the year's
  petition report (DOCX + XLSX of `petitions` rows), built as before this worker existed:
  inside the office's update, off the event loop with `asyncio.to_thread` but with the group's
  transaction open, so every update that joins the group waits for the file;
- as a job: the same request as the bot makes it now: the office's update records a job and
  commits; the document worker builds it outside any transaction (here at once; in the bot
  the scheduler looks for jobs every 2 s).

The neighbour keeps writing from the office's request until the file is stored. Figures: the
neighbour's waits (p50 and worst) and their ratio to the quiet baseline's; and how long the
office waited for its first answer and for its file. Tests never measure speed; this does.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

import handlers.petitions.report as report_flow
import handlers.posters as posters_flow
from bench.population import prepare_database
from bot.documents import process_document_jobs
from handlers.conversation import ConversationRunner
from handlers.documents.jobs import BUILDERS, DocumentRequest
from handlers.documents.pdf import libreoffice
from handlers.turn import HandlerConfig, Turn
from handlers.values import Inbound, Kind
from storage.db import Database
from storage.files import store_file
from storage.folding import fold
from storage.models import Commune, Hamlet, Petition, StoredFile
from tests.factories import citizen, demo, staff

OFFICE, NEIGHBOUR = "8001", "8002"
_updates = itertools.count(1)


@dataclass
class Figures:
    name: str
    neighbour: list[float] = field(default_factory=list)
    office_answer: list[float] = field(default_factory=list)
    office_file: list[float] = field(default_factory=list)


def inbound(user: str, **fields: Any) -> Inbound:
    return Inbound(channel="telegram", user_id=user, update_id=f"b{next(_updates)}", **fields)


async def built_inline(turn: Turn, kind: str, params: dict[str, Any], **_rules: Any) -> None:
    """The old way: gather, build and store the document inside the office's update."""
    assert turn.person is not None
    builder = BUILDERS[kind]
    gathered = await builder.gather(turn.db, DocumentRequest(0, kind, params, turn.person,
                                                             turn.locale))
    for built in await asyncio.to_thread(builder.build, gathered):
        store_file(turn.db, built.name, built.content, owner_id=turn.person.id,
                   personal=built.personal)


@contextmanager
def documents_built_in_the_handler() -> Iterator[None]:
    originals = posters_flow.ask_for_document, report_flow.ask_for_document
    posters_flow.ask_for_document = built_inline  # type: ignore[assignment]
    report_flow.ask_for_document = built_inline  # type: ignore[assignment]
    try:
        yield
    finally:
        posters_flow.ask_for_document, report_flow.ask_for_document = originals


async def stored_files(db: Database) -> int:
    async with db.transaction() as session:
        return int((await session.execute(select(func.count()).select_from(StoredFile))
                    ).scalar_one())


async def neighbour_writes(runner: ConversationRunner, interval: float, stop: asyncio.Event,
                           count: int | None, into: list[float]) -> None:
    """/help every `interval` s until `stop` (or `count` times); each reply's wait into `into`."""
    pending: list[asyncio.Task[None]] = []

    async def one() -> None:
        start = time.perf_counter()
        await runner.handle(inbound(NEIGHBOUR, kind=Kind.COMMAND, command="help"))
        into.append(time.perf_counter() - start)

    sent = 0
    while not stop.is_set() and (count is None or sent < count):
        pending.append(asyncio.ensure_future(one()))
        sent += 1
        await asyncio.sleep(interval)
    await asyncio.gather(*pending)


async def office_asks(db: Database, runner: ConversationRunner, action: str, as_job: bool,
                      figures: Figures, interval: float) -> None:
    before = await stored_files(db)
    stop = asyncio.Event()
    neighbour = asyncio.ensure_future(
        neighbour_writes(runner, interval, stop, None, figures.neighbour))
    start = time.perf_counter()
    await runner.handle(inbound(OFFICE, kind=Kind.CHOICE, choice=action))
    figures.office_answer.append(time.perf_counter() - start)
    if as_job:
        # The scheduler's worker, started as soon as the job is there (in the bot it looks
        # every 2 s: the office waits that much longer, nobody else does).
        assert await process_document_jobs(db) == 1
    figures.office_file.append(time.perf_counter() - start)
    assert await stored_files(db) > before, "no file was made"
    stop.set()
    await neighbour


async def add_petitions(db: Database, total: int) -> None:
    async with db.transaction() as session:
        commune_id = (await session.execute(select(Commune.id).order_by(Commune.id))
                      ).scalars().first()
        hamlets = list((await session.execute(select(Hamlet.id).where(
            Hamlet.commune_id == commune_id))).scalars())
        rows = []
        for number in range(total):
            content = (f"Đề nghị sửa chữa tuyến đường liên ấp số {number}, mặt đường hư hỏng "
                       "nặng, mùa mưa ngập sâu, học sinh đi lại khó khăn.")
            rows.append({"commune_id": commune_id, "code": f"KN-B-{number:05d}",
                         "content": content, "content_folded": fold(content),
                         "hamlet_id": hamlets[number % len(hamlets)], "status": "received",
                         "source": "chat"})
        await session.execute(insert(Petition), rows)


async def run_engine(url: str, engine: str, rounds: int, petitions: int, interval: float,
                     kinds: list[str]) -> list[Figures]:
    db = await prepare_database(url)
    results: list[Figures] = []
    try:
        await demo(db)
        await staff(db, OFFICE)
        await citizen(db, NEIGHBOUR)
        await add_petitions(db, petitions)
        runner = ConversationRunner(db, HandlerConfig(bot_username="cutri_bench_bot"))
        await runner.handle(inbound(NEIGHBOUR, kind=Kind.COMMAND, command="help"))  # warm up
        for kind in kinds:
            action = "menu:posters" if kind == "posters" else "rp:year"
            quiet = Figures(f"{engine} {kind}: quiet")
            inline = Figures(f"{engine} {kind}: built in the handler")
            job = Figures(f"{engine} {kind}: built as a job")
            for _round in range(rounds):
                if kind == "report":
                    await runner.handle(inbound(OFFICE, kind=Kind.CHOICE, choice="menu:report"))
                with documents_built_in_the_handler():
                    await office_asks(db, runner, action, False, inline, interval)
                if kind == "report":
                    await runner.handle(inbound(OFFICE, kind=Kind.CHOICE, choice="menu:report"))
                await office_asks(db, runner, action, True, job, interval)
                # As many quiet replies as the neighbour sent while a file was made.
                count = max(1, len(inline.neighbour) // (_round + 1))
                await neighbour_writes(runner, interval, asyncio.Event(), count, quiet.neighbour)
            results += [quiet, inline, job]
    finally:
        await db.dispose()
    return results


def p50(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def worst(values: list[float]) -> float:
    return max(values) if values else float("nan")


def print_table(results: list[Figures], interval: float) -> None:
    print(f"\nA neighbour's /help every {interval:g} s while the office's file is made "
          "(wait until the reply is committed, seconds)\n")
    header = (f"{'':<40} {'n':>4} {'p50':>7} {'worst':>7} {'p50 ×':>7} {'worst ×':>8}"
              f" {'office answer':>14} {'office file':>12}")
    print(header)
    print("-" * len(header))
    quiet: Figures | None = None
    for r in results:
        if r.name.endswith("quiet"):
            quiet = r
        assert quiet is not None
        ratio_p50 = p50(r.neighbour) / p50(quiet.neighbour)
        ratio_worst = worst(r.neighbour) / worst(quiet.neighbour)
        office = (f" {p50(r.office_answer):>14.3f} {p50(r.office_file):>12.3f}"
                  if r.office_answer else "")
        print(f"{r.name:<40} {len(r.neighbour):>4} {p50(r.neighbour):>7.3f} "
              f"{worst(r.neighbour):>7.3f} {ratio_p50:>6.1f}× {ratio_worst:>7.1f}×{office}")


async def main_async(args: argparse.Namespace, workdir: Path) -> None:
    kinds = ["posters", "report"]
    if libreoffice() is None:
        print("LibreOffice is not installed: the posters come as DOCX, which is faster",
              file=sys.stderr)
    engines = [(f"sqlite+aiosqlite:///{workdir / 'bench.db'}", "SQLite")]
    if os.environ.get("BENCH_DATABASE_URL"):
        engines.append((os.environ["BENCH_DATABASE_URL"], "PostgreSQL"))
    results: list[Figures] = []
    for url, engine in engines:
        results += await run_engine(url, engine, args.rounds, args.petitions, args.interval,
                                    kinds)
    print_table(results, args.interval)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--petitions", type=int, default=3000)
    parser.add_argument("--interval", type=float, default=0.1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cutri-bench-") as folder:
        asyncio.run(main_async(args, Path(folder)))


if __name__ == "__main__":
    main()
