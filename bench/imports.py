"""What the memory of an idle `cutri run` is made of: resident size after each import.

    python -m bench.imports [--lazy-aiogram]

Each library is imported in turn in a fresh interpreter and the growth of VmRSS printed, then
the process's own modules. `--lazy-aiogram` first applies `defer_aiogram_models()`: aiogram
declares its ~630 pydantic models `defer_build=True` and then builds every one of them at
import anyway (`model_rebuild` in `aiogram/types/__init__.py`), which is most of an idle
process. Deferred, each model is built on its first use, with the same namespace.
"""

from __future__ import annotations

import argparse
import importlib
import time
from pathlib import Path
from typing import Any

STEPS = [
    "sqlalchemy.ext.asyncio",
    "aiohttp",
    "pydantic",
    "aiogram",
    "babel.messages.pofile",
    "openpyxl",
    "docx",
    "rapidfuzz",
    "holidays",
    "icalendar",
    "apscheduler.schedulers.asyncio",
    "storage.models",
    "handlers.conversation",
    "bot.telegram",
    "bot.zalo",
    "scheduler.jobs",
    "bot.app",
]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def defer_aiogram_models() -> None:
    """Make aiogram's import-time `model_rebuild` keep its namespace instead of building.

    Must run before aiogram is imported. Relies on pydantic's deferred build (a model that is
    not complete is built on first validation, resolving names in
    `__pydantic_parent_namespace__`).
    """
    from pydantic import BaseModel

    namespace: dict[str, Any] = {}
    rebuild = BaseModel.model_rebuild.__func__  # type: ignore[attr-defined]

    def deferred(cls: Any, **kwargs: Any) -> Any:
        types_namespace = kwargs.get("_types_namespace")
        if (types_namespace is not None and cls.__module__.startswith("aiogram.")
                and cls.model_config.get("defer_build")):
            namespace.update(types_namespace)
            cls.__pydantic_parent_namespace__ = namespace
            return None
        return rebuild(cls, **kwargs)

    BaseModel.model_rebuild = classmethod(deferred)  # type: ignore[method-assign,assignment]
    import aiogram.methods

    # Methods refer to types by name too; they see the same namespace.
    for name in aiogram.methods.__all__:
        model = getattr(aiogram.methods, name)
        if isinstance(model, type) and issubclass(model, BaseModel):
            model.__pydantic_parent_namespace__ = {
                **namespace, **(model.__pydantic_parent_namespace__ or {})
            }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lazy-aiogram", action="store_true")
    args = parser.parse_args()
    last, cpu = rss_mb(), time.process_time()
    print(f"{'interpreter':<32} {last:7.1f} MB")
    if args.lazy_aiogram:
        defer_aiogram_models()  # imports pydantic and aiogram (deferred) already
        now = rss_mb()
        print(f"{'aiogram, models deferred':<32} {now:7.1f} MB  (+{now - last:5.1f})")
        last = now
    for module in STEPS:
        importlib.import_module(module)
        now = rss_mb()
        print(f"{module:<32} {now:7.1f} MB  (+{now - last:5.1f})")
        last = now
    print(f"{'all imports':<32} {last:7.1f} MB, {time.process_time() - cpu:.2f} CPU s")


if __name__ == "__main__":
    main()
