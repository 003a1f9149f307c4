"""The bot's understanding path must not load scikit-learn, numpy or scipy (idle memory)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_SCRIPT = """
import json, sys
from handlers.understanding import understand
from handlers.understanding.fields import suggest_field
from handlers.understanding.model import FieldModel
model = FieldModel.from_json(sys.stdin.buffer.read())
understand("chào cháu, bà muốn hỏi tiền hỗ trợ hộ nghèo")
suggest_field("Đèn đường ấp Tân Hậu bị hư 2 tháng nay", model)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("sklearn", "numpy",
                                                                      "scipy"))))
"""


def test_understanding_with_a_stored_model_loads_no_heavy_library() -> None:
    from handlers.understanding.model import train_field_model

    stored = train_field_model([("đèn đường hư", "power"), ("đường lầy lội", "transport")] * 3)
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT], input=stored.to_json(), capture_output=True,
        check=True, cwd=Path(__file__).resolve().parents[3],
    )
    assert json.loads(done.stdout) == []
