"""`cutri commune`: the empty workbook, importing a filled one, exporting the database's.

The operator is Vietnamese: everything printed comes from the catalogs in the default
language. An import with any problem changes nothing; a clean one shows what it would change
per commune and asks before applying.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

from handlers.i18n import LOCALES, translator
from handlers.setup import describe_applied, describe_plan, describe_problem
from storage.db import Database
from storage.folding import fold
from storage.setup.workbook import SetupProblem, Workbook
from storage.setup.workbook_apply import (
    SetupApplied,
    SetupNotClean,
    SetupPlan,
    apply_setup,
    export_workbook,
    plan_setup,
)

YES = {"c", "co", "y", "yes"}


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    commune = commands.add_parser(
        "commune", help="set communes up from a workbook: template, import, export")
    commune.add_argument("action", choices=["template", "import", "export"])
    commune.add_argument("file", nargs="?", help="for import: the filled workbook (.xlsx)")
    commune.add_argument("-o", "--output", help="the file to write (template, export)")
    commune.add_argument("--commune", action="append",
                         help="for export: a commune's code (again for more; default all)")
    commune.add_argument("--yes", action="store_true", help="for import: apply without asking")


def run_commune(
    database_url: str, args: argparse.Namespace, *, ask: Callable[[str], str] = input,
) -> int:
    t = translator(LOCALES[0])
    if args.action == "template":
        from storage.setup.workbook_file import build_workbook_template

        path = Path(args.output or "mau-thiet-lap-xa.xlsx")
        path.write_bytes(build_workbook_template())
        print(t._("Written: {file}", file=path))
        return 0
    if args.action == "export":
        if not args.output:
            print(t._("Give the file to write with -o."), file=sys.stderr)
            return 2
        return _export(database_url, args.commune, Path(args.output))
    if not args.file:
        print(t._("Give the workbook to import."), file=sys.stderr)
        return 2
    return _import(database_url, Path(args.file), yes=args.yes, ask=ask)


async def _open(database_url: str) -> Database:
    from storage.migrate import upgrade_database_async

    await upgrade_database_async(database_url)
    return Database(database_url)


def _export(database_url: str, codes: list[str] | None, path: Path) -> int:
    from storage.setup.workbook_file import write_workbook

    async def read() -> Workbook:
        db = await _open(database_url)
        try:
            async with db.transaction() as session:
                return await export_workbook(session, codes)
        finally:
            await db.dispose()

    t = translator(LOCALES[0])
    workbook = asyncio.run(read())
    missing = sorted(set(codes or ()) - {commune.code for commune in workbook.communes})
    if missing:
        print(t._("No commune with the code {code}.", code=", ".join(missing)), file=sys.stderr)
        return 2
    path.write_bytes(write_workbook(workbook))
    print(t._("Written: {file} ({count} communes).", file=path, count=len(workbook.communes)))
    return 0


def _refuse(problems: tuple[SetupProblem, ...]) -> int:
    t = translator(LOCALES[0])
    print(t._("Nothing was changed: {count} problems to fix.", count=len(problems)))
    for problem in problems:
        print("• " + describe_problem(t, problem))
    return 2


def _import(database_url: str, path: Path, *, yes: bool, ask: Callable[[str], str]) -> int:
    from storage.setup.workbook_file import read_workbook

    t = translator(LOCALES[0])
    try:
        data = path.read_bytes()
    except OSError:
        print(t._("The file {file} cannot be opened.", file=path), file=sys.stderr)
        return 2
    parsed = read_workbook(data, path.name)
    if parsed.problems:
        return _refuse(parsed.problems)

    async def plan() -> SetupPlan:
        db = await _open(database_url)
        try:
            async with db.transaction() as session:
                return await plan_setup(session, parsed.workbook)
        finally:
            await db.dispose()

    async def apply(confirmed: SetupPlan) -> SetupApplied:
        db = await _open(database_url)
        try:
            async with db.transaction() as session:
                return await apply_setup(session, confirmed, actor_id=None,
                                         actor_label="operator")
        finally:
            await db.dispose()

    planned = asyncio.run(plan())
    if not planned.ok:
        return _refuse(planned.problems)
    for line in describe_plan(t, planned.communes):
        print(line)
    if not planned.changed:
        return 0
    if not yes and fold(ask(t._("Apply? (y/n) "))) not in YES:
        print(t._("Stopped. Nothing was changed."))
        return 1
    try:
        applied = asyncio.run(apply(planned))
    except SetupNotClean as refused:
        return _refuse(refused.problems)
    print(describe_applied(t, applied))
    return 0
