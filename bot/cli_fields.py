"""`cutri fields train`: retrain a commune's field model from its staff's classifications.

The scheduler runs this command in a process of its own (`bot.field_training`); an operator
may run it by hand, for one commune or for every commune with new classifications. Printed in
the default language, from the catalogs, like `cutri commune`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from handlers.i18n import LOCALES, translator


def add_parser(commands: Any) -> None:
    fields = commands.add_parser(
        "fields", help="the petition field suggested from the text: retrain a commune's model")
    fields.add_argument("action", choices=["train"])
    which = fields.add_mutually_exclusive_group(required=True)
    which.add_argument("--commune", action="append",
                       help="commune code, e.g. tan-thuan-tay (again for more)")
    which.add_argument("--due", action="store_true",
                       help="every commune whose staff classified petitions since its model")


def run_fields(database_url: str, args: argparse.Namespace) -> int:
    """0 when every model was trained and kept; 2 for an unknown commune, 1 for a model not
    kept (a petitioner forgotten meanwhile: run it again)."""
    return asyncio.run(_train(database_url, list(args.commune or []), due=bool(args.due)))


async def _train(database_url: str, codes: list[str], *, due: bool) -> int:
    from bot.field_training import due_communes, train_commune
    from storage.db import Database
    from storage.migrate import upgrade_database_async

    t = translator(LOCALES[0])
    if database_url.startswith("sqlite"):
        await upgrade_database_async(database_url)
    db = Database(database_url)
    status = 0
    try:
        if due:
            codes = await due_communes(db, 1)
            if not codes:
                print(t._("No commune has new classifications."))
        for code in codes:
            trained = await train_commune(db, code)
            if trained is None:
                print(t._("No commune with the code {code}.", code=code), file=sys.stderr)
                status = 2
            elif not trained.kept:
                print(t._("{commune}: the model was not kept (someone asked to be forgotten "
                          "meanwhile). Run the command again.", commune=trained.name))
                status = max(status, 1)
            else:
                print(t._("{commune}: learnt from {count} petitions classified by the staff, "
                          "{fields} fields.", commune=trained.name, count=trained.examples,
                          fields=trained.fields))
    finally:
        await db.dispose()
    return status
