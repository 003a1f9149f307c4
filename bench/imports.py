"""What the memory of an idle `cutri run` is made of: resident size after each import.

    python -m bench.imports

The modules `cutri run` loads at start are imported in turn and the growth of VmRSS printed;
then, apart, the libraries loaded only when a document or a model is made (python-docx,
openpyxl, segno, scikit-learn), and aiogram, which cutri no longer loads (`bot.telegram_api`),
for comparison. (The interpreter line includes `bench/__init__`'s throwaway key.)
"""

from __future__ import annotations

import argparse
import importlib
import time
from pathlib import Path

AT_START = [
    "sqlalchemy.ext.asyncio",
    "aiohttp",
    "pydantic",
    "babel.messages.pofile",
    "rapidfuzz",
    "holidays",
    "icalendar",
    "httpx",
    "apscheduler.schedulers.asyncio",
    "storage.models",
    "handlers.conversation",
    "bot.telegram",
    "bot.zalo",
    "scheduler.jobs",
    "bot.app",
    "bot.cli",
]
ON_DEMAND = ["docx", "openpyxl", "segno", "sklearn.linear_model", "aiogram"]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def import_in_turn(modules: list[str], last: float) -> float:
    for module in modules:
        importlib.import_module(module)
        now = rss_mb()
        print(f"{module:<32} {now:7.1f} MB  (+{now - last:5.1f})")
        last = now
    return last


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    last, cpu = rss_mb(), time.process_time()
    print(f"{'interpreter':<32} {last:7.1f} MB")
    last = import_in_turn(AT_START, last)
    print(f"{'what cutri run loads':<32} {last:7.1f} MB, {time.process_time() - cpu:.2f} CPU s")
    print("-- loaded only when needed --")
    import_in_turn(ON_DEMAND, last)


if __name__ == "__main__":
    main()
