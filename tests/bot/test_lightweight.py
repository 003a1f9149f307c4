"""The bot at rest loads no library it only needs now and then (idle memory, start-up time).

Documents (python-docx, openpyxl, segno) load when a document is made; scikit-learn only in
the training process; no typed Telegram client at all (`bot.telegram_api` says why).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("aiogram", "docx", "openpyxl", "segno", "sklearn", "numpy", "scipy", "redis")

_SCRIPT = f"""
import json, sys
import bot.cli, bot.app, bot.documents, bot.plan_imports, bot.setup_imports, scheduler.jobs
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r}))))
"""


def test_the_running_bot_imports_no_document_library_nor_a_typed_telegram_client() -> None:
    done = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, check=True,
                          cwd=Path(__file__).resolve().parents[2])
    assert json.loads(done.stdout) == []


def test_the_check_sees_a_heavy_library_when_one_is_loaded() -> None:
    script = _SCRIPT.replace("import json, sys", "import json, sys, openpyxl")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True,
                          cwd=Path(__file__).resolve().parents[2])
    assert "openpyxl" in json.loads(done.stdout)
